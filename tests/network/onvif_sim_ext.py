"""TEST/LAB CODE, not the vendor's: the stateful ONVIF setters the tests' cameras get.

They are the lab's own (beffroi/lab/peers/onvif_setters.py: what a camera's firmware does that
ipycam 1.3.0 lacks — PEERS.md), so the tests and `beffroi lab up` exercise the same simulator.
`import onvif_sim_ext` (inside the ipycam venv, from onvif_camera_server.py and
tests/events/onvif_events_sim.py) yields that very module.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: beffroi.lab.peers

from beffroi.lab.peers import onvif_setters

sys.modules[__name__] = onvif_setters
