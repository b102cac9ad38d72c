"""Cameras over ONVIF: desired settings (rendered camera file), read-back, check/diff, apply."""
