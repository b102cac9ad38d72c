"""The one error type of the device boundary: messages a commune's engineer can act on."""

from __future__ import annotations


class NetworkError(Exception):
    """A device could not be reached, refused a setting, or did not converge."""

    def __init__(self, device: str, message: str, rule: str = "") -> None:
        self.device = device
        self.rule = rule
        prefix = f"{rule}: " if rule else ""
        super().__init__(f"{device}: {prefix}{message}")


class UnreachableError(NetworkError):
    """The device did not answer (connection refused, timeout, authentication failure)."""
