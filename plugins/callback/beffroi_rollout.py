"""Callback `beffroi_rollout`: per-host timing and result of a run, as one JSON file.

`beffroi rollout` enables it (ANSIBLE_CALLBACKS_ENABLED) beside the normal screen output and
reads the file it writes (BEFFROI_ROLLOUT_EVENTS) instead of parsing Ansible's text output.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: beffroi_rollout
    type: aggregate
    short_description: per-host start, end, result and first failure as JSON
    description:
        - Writes one JSON document (per-host start, end, result, first failure, and the
          recap stats) to the file named by BEFFROI_ROLLOUT_EVENTS when the playbook ends.
    requirements:
        - enable in the callbacks_enabled setting
"""


class CallbackModule(CallbackBase):
    """Collect per-host timings and outcomes; write them once at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "beffroi_rollout"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.hosts: dict[str, dict[str, Any]] = {}  # the wave play's hosts
        self.refused: dict[str, dict[str, str]] = {}  # hosts failed in another play (guard)
        self.in_waves = False

    def v2_playbook_on_play_start(self, play: Any) -> None:
        # the wave play says so (essaimage.yml): timings are the deploy's, not the guard's
        self.in_waves = bool(play.vars.get("beffroi_rollout_wave_play", False))

    def _host(self, name: str) -> dict[str, Any]:
        return self.hosts.setdefault(name, {"start": None, "end": None, "tasks": 0,
                                            "failed": False, "unreachable": False,
                                            "failure": None})

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        if not self.in_waves:
            return
        entry = self._host(host.get_name())
        if entry["start"] is None:
            entry["start"] = time.time()

    def _done(self, result: Any, failed: bool = False, unreachable: bool = False) -> None:
        if not self.in_waves:
            if failed or unreachable:
                msg = result._result.get("msg") or ""
                self.refused.setdefault(result._host.get_name(), {
                    "task": result._task.get_name(), "message": str(msg)[:500]})
            return
        entry = self._host(result._host.get_name())
        entry["end"] = time.time()
        entry["start"] = entry["start"] or entry["end"]
        entry["tasks"] += 1
        if (failed or unreachable) and entry["failure"] is None:
            msg = result._result.get("msg") or result._result.get("stderr") or ""
            entry["failure"] = {"task": result._task.get_name(), "message": str(msg)[:500]}
        entry["failed"] = entry["failed"] or failed
        entry["unreachable"] = entry["unreachable"] or unreachable

    def v2_runner_on_ok(self, result: Any) -> None:
        self._done(result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._done(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._done(result, failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._done(result, unreachable=True)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        path = os.environ.get("BEFFROI_ROLLOUT_EVENTS")
        if not path:
            return
        summary = {h: stats.summarize(h) for h in sorted(stats.processed)}
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"hosts": self.hosts, "refused": self.refused, "stats": summary}, fh,
                      indent=1)
        os.replace(tmp, path)
