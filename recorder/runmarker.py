"""The run marker: tells the next start whether the previous run stopped cleanly (JRN-1).

A running service holds an exclusive flock on <state_dir>/running.json and writes its pid and
start time there; a clean stop empties it. A marker left with content by a dead process means
kill -9, a crash or a power cut: the next start journals `unclean_shutdown` with the last
known instant (the marker's heartbeat or the newest register/journal entry, whichever is
later).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from recorder import timeutil
from recorder.state import State

NAME = "running.json"


class AlreadyRunning(OSError):
    """Another recorder holds this state_dir."""


class RunMarker:
    """The marker of this run, held from start() to stop()."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.path: Path = state.config.state_dir / NAME
        self.fd: int | None = None

    def start(self) -> dict[str, Any] | None:
        """Take the marker; the previous run's unclean stop (for the journal), if any."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(f"{self.path}: another recorder is running with this "
                                 "state_dir") from None
        self.fd = fd
        previous = self._read()
        unclean = None
        if previous is not None:
            unclean = {"user": "system", "previous_pid": previous.get("pid"),
                       "previous_start": previous.get("started"),
                       **self._last_known(previous)}
        self._write({"pid": os.getpid(), "started": timeutil.iso(timeutil.now())})
        return unclean

    def heartbeat(self) -> None:
        """Move the marker's mtime: the last instant this run was known alive."""
        with contextlib.suppress(OSError):
            os.utime(self.path)

    def stop(self) -> None:
        """Clean stop: empty and release the marker."""
        if self.fd is None:
            return
        os.ftruncate(self.fd, 0)
        os.fsync(self.fd)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def _read(self) -> dict[str, Any] | None:
        assert self.fd is not None
        os.lseek(self.fd, 0, os.SEEK_SET)
        raw = os.read(self.fd, 65536)
        if not raw.strip():
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return {"pid": None, "started": None}  # torn by the power cut: still unclean
        return data if isinstance(data, dict) else {"pid": None, "started": None}

    def _last_known(self, previous: dict[str, Any]) -> dict[str, Any]:
        times = [self.path.stat().st_mtime]
        for ledger in (self.state.register, self.state.journal):
            head = ledger.head()
            if head is not None:
                times.append(float(head["t"]))
        last = max(times)
        return {"last_known_t": round(last, 3), "last_known": timeutil.iso(last)}

    def _write(self, data: dict[str, Any]) -> None:
        assert self.fd is not None
        body = json.dumps(data).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, body, 0)
        os.fsync(self.fd)
