"""The UTC times of the segments one ffmpeg run lists in its CSV segment list.

ffmpeg's segment list gives exact stream-time boundaries; the list file's mtime at each append
is the wall-clock instant the boundary was written. (mtime - stream end) is an upper bound of
the run's stream-time origin in UTC (any delay only makes it larger); the spawn instant is a
lower bound. The origin is the smallest upper bound seen (never before the spawn), and the
first segment is dated only once a second boundary, written in real time, has confirmed it.
Every segment of a run lands contiguously on the wall clock.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

from recorder.writer import GAP_TOLERANCE

log = logging.getLogger("recorder.seglist")


@dataclass
class SegmentList:
    """Reads one run's segment list as ffmpeg appends to it."""

    path: Path
    spawned: float  # UTC when ffmpeg was started: stream time 0 cannot be earlier
    camera: str = ""  # for the log only
    lines_done: int = 0
    size: int = -1
    origin: float | None = None  # UTC of stream time 0
    samples: int = 0  # list appends seen (each gives an upper bound of the origin)
    pending: list[tuple[str, float, float]] = field(default_factory=list)
    last_end: float | None = None  # UTC end of the last segment handed out

    def closed(self, final: bool = False) -> list[tuple[str, float, float]]:
        """(file name, UTC start, UTC end) of the segments closed since the last call, once
        their origin is confirmed (at once when `final`: ffmpeg has exited)."""
        self._read()
        # The first boundary may be written during ffmpeg's probing burst (late by up to its
        # ~2 s); the second is written in real time and corrects the origin: wait for it.
        if self.origin is None or not self.pending or (self.samples < 2 and not final):
            return []
        out = []
        for name, s, e in self.pending:
            start, end = self.origin + s, self.origin + e
            if self.last_end is not None and abs(start - self.last_end) < GAP_TOLERANCE:
                start = self.last_end  # contiguous within a run by construction
            out.append((name, start, end))
            self.last_end = end
        self.pending.clear()
        return out

    def _read(self) -> None:
        try:
            st = self.path.stat()
            text = "" if st.st_size == self.size else self.path.read_text()
        except FileNotFoundError:
            return
        if not text:
            return
        self.size = st.st_size
        lines = text.splitlines()
        if not text.endswith("\n"):
            lines = lines[:-1]  # a line still being written is read at the next poll
        rows = [r for r in csv.reader(lines) if len(r) >= 3]
        new = rows[self.lines_done:]
        try:
            if new:
                # upper bound of the origin: nothing is written before it is received
                candidate = st.st_mtime - float(new[-1][2])
                self.origin = max(self.spawned, min(candidate, self.origin or candidate))
                self.samples += 1
                self.pending += [(r[0], float(r[1]), float(r[2])) for r in new]
                self.lines_done += len(new)
        except ValueError:
            log.error("unreadable segment list line", extra={"camera": self.camera})
