"""Role recorder as the nvr role deploys it: the same checks as the recorder scenario."""

from __future__ import annotations

from recorder_checks import *  # noqa: F403  (pytest collects the imported test_* functions)
