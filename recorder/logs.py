"""Structured logs: one JSON object per line on stderr (journald keeps them as-is)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, ClassVar

from recorder import timeutil


class JsonFormatter(logging.Formatter):
    """Format records as JSON with ts, level, logger, msg and any `extra` fields."""

    _std: ClassVar[set[str]] = set(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": timeutil.iso(record.created), "level": record.levelname,
                               "logger": record.name, "msg": record.getMessage()}
        for key, value in vars(record).items():
            if key not in self._std and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def setup(level: str = "INFO") -> None:
    """Route the `recorder` loggers to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("recorder")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
