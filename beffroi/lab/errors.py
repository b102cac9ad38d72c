"""The lab's one error type: a message an engineer can act on, shown without a traceback."""

from __future__ import annotations


class LabError(Exception):
    """A lab step failed; the message says what failed and what to do."""
