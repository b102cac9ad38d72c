"""Beffroi recorder: the recording service every commune NVR runs.

Records the cameras (stream copy), keeps the legal register (REG-1) and the access journal
(JRN-1/2), serves authorised people (ACC-*), exports evidence (EXP-*) and relays live video to
the crisis cell (ACC-4). Small dependency set: stdlib, cryptography, argon2-cffi,
prometheus-client, msgspec (config schema).
"""

__version__ = "0.1.0"
