"""Beffroi: a commune's video-protection site declared once, rendered once, used everywhere."""

__version__ = "0.1.0"
