"""The write path of one camera's finished segments, shared by the live recorder and the
startup repair: seal (SHA-256, fsync), TIME-1 validity, gap detection, then the signed
register entries (`recording_gap`, `recording`: REG-1, CAM-4) and only then the index rows.

Register first: an indexed segment or gap always has its signed entry (verify relies on it);
a crash between the two leaves a register entry whose file the next start indexes again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path

from recorder import ffmpeg, timeutil
from recorder.clock import SyncCheck
from recorder.config import Camera
from recorder.index import Segment
from recorder.metrics import Metrics
from recorder.state import State

log = logging.getLogger("recorder.writer")
NAME_RE = re.compile(r"^(?P<cam>.+)_(?P<ts>\d{8}T\d{6}Z)-(?P<run>[0-9a-z]+)\.ts\Z")
GAP_TOLERANCE = 0.5  # seconds: less than this between segments is jitter, not a gap
GAP_REASON = "no stream (camera unreachable or recorder stopped)"


def seal(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a closed segment, read once while it is still in the page cache;
    then fsync (the bytes the register will vouch for are on disk before the signed entry
    exists) and drop its pages (the recorder never reads it again: the cache stays for the
    index and the ledgers, not for minutes of video)."""
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
        fd = fh.fileno()
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return digest, os.fstat(fd).st_size


class SegmentWriter:
    """Registers and indexes the closed segments of one camera, in the order they end."""

    def __init__(self, state: State, camera: Camera, sync_check: SyncCheck,
                 metrics: Metrics) -> None:
        self.state = state
        self.camera = camera
        self.sync_check = sync_check
        self.metrics = metrics
        self.out_dir = state.config.storage_root / camera.id
        last = state.index.last_segment(camera.id)
        self.last_end: float | None = last.end if last else None
        self._clock_ok = True  # TIME-1 state of the last segment: an alarm on each change
        self._lock = threading.Lock()

    def write(self, path: Path, start: float, end: float, run_id: str,
              repaired: bool) -> Segment:
        """Seal a closed segment that covers [start, end) in UTC, register the gap before it
        (if any) and the segment, then index both. Returns the indexed segment."""
        with self._lock:
            return self._write_locked(path, start, end, run_id, repaired)

    def write_unlisted(self, path: Path, after: Segment | None) -> Segment | None:
        """Write a file ffmpeg never listed (killed mid-segment, crash): a torn MPEG-TS that
        still plays, marked repaired. It starts where `after` (the previous segment of its
        run) ends, else at the UTC instant its name carries; it lasts what ffprobe reads.
        Returns None for a file that is not a segment or holds no video."""
        m = NAME_RE.match(path.name)
        if not m:
            return None
        if path.stat().st_size == 0:
            path.unlink()  # opened at a boundary as ffmpeg stopped: holds no video
            return None
        duration = ffmpeg.probe_duration(path) or 0.0
        start = after.end if after is not None else timeutil.parse_compact(m["ts"])
        seg = self.write(path, start, start + duration, m["run"], repaired=True)
        log.warning("indexed a segment left unlisted by a stopped ffmpeg (repaired)",
                    extra={"camera": self.camera.id, "segment": seg.path,
                           "duration_s": round(duration, 3)})
        return seg

    def _clock_alarm(self, valid: bool) -> None:
        """TIME-1: journal (and log) the clock losing or regaining its synchronisation."""
        self._clock_ok = valid
        what = ("TIME-1: clock synchronised again: new segments are valid" if valid else
                "TIME-1: clock not synchronised (|offset| > 1 s or no source): new segments "
                "are marked not valid")
        self.state.journal.append("alarm_cleared" if valid else "alarm",
                                  {"what": what, "camera": self.camera.id})
        if valid:
            log.warning(what, extra={"camera": self.camera.id})
        else:
            log.error("ALARM: " + what, extra={"camera": self.camera.id})

    def _write_locked(self, path: Path, start: float, end: float, run_id: str,
                      repaired: bool) -> Segment:
        st, cam = self.state, self.camera
        rel = str(path.relative_to(st.config.storage_root))
        digest, size = seal(path)
        valid = self.sync_check()  # TIME-1: valid only with a synchronised clock
        self.metrics.clock_synced.set(1 if valid else 0)
        if valid != self._clock_ok:
            self._clock_alarm(valid)
        gap_start = self.last_end  # a gap runs from the last written end to this start
        if gap_start is not None and start - gap_start <= GAP_TOLERANCE:
            gap_start = None
        if gap_start is not None:
            st.register.append("recording_gap", {
                "camera": cam.id, "start": timeutil.iso(gap_start), "end": timeutil.iso(start),
                "seconds": round(start - gap_start, 3)})
        # REG-1 recordings made; CAM-4: camera id, location and UTC time of every instant.
        st.register.append("recording", {
            "camera": cam.id, "location": cam.location, "path": rel,
            "start": timeutil.iso(start), "end": timeutil.iso(end), "t_start": round(start, 3),
            "t_end": round(end, 3), "sha256": digest, "size": size, "valid": valid,
            "repaired": repaired, "run": run_id})
        if gap_start is not None:
            st.index.add_gap(cam.id, gap_start, start, GAP_REASON)
            self.metrics.gap_recorded(cam.id, gap_start, start)
            log.warning("recording gap", extra={"camera": cam.id,
                                                "seconds": round(start - gap_start, 3)})
        seg = st.index.add_segment(cam.id, start, end, rel, size, digest, valid, repaired,
                                   run_id)
        self.last_end = end if self.last_end is None else max(self.last_end, end)
        self.metrics.segment_indexed(cam.id, end, size)
        return seg
