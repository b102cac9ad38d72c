"""One entry of the console's navigation (its own module: the records views import it
without importing the page plumbing that lists them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """One entry of the top navigation: shown only to roles granted `action` (recorder.access).
    `key` is the accesskey (Alt+Shift+key in Chromium)."""

    label: str
    path: str
    action: str
    key: str = ""
