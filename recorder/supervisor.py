"""One supervised ffmpeg per camera: spawn it, wait on its pidfd, restart it with capped
exponential backoff, report its status, and hand each closed segment, with its UTC times, to
the camera's SegmentWriter (recorder/writer.py: seal, gap, register, index).

The UTC times of the segments come from ffmpeg's segment list (recorder/seglist.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from recorder import ffmpeg, timeutil
from recorder.index import Segment
from recorder.seglist import SegmentList
from recorder.writer import SegmentWriter

log = logging.getLogger("recorder.supervisor")
STABLE_RUN = 10.0  # a run that lasted this long resets the backoff
PROBE_INTERVAL = 0.25  # seconds between TCP probes of a camera that is down


def new_run_id() -> str:
    """Short unique id of one ffmpeg run (base 36 milliseconds)."""
    n = int(time.time() * 1000)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out


class _ExitWatch:
    """Sleep until a child exits or a timeout passes, without polling (Linux pidfd)."""

    def __init__(self, pid: int) -> None:
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except (OSError, AttributeError):
            self._fd = None  # kernel < 5.3: fall back to sleeping the timeout out

    def wait(self, timeout: float) -> None:
        """Return when the process has exited or after `timeout` seconds."""
        if self._fd is None:
            time.sleep(min(timeout, 1.0))
        else:
            select.select([self._fd], [], [], timeout)

    def close(self) -> None:
        """Release the pidfd."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class CameraRecorder(threading.Thread):
    """Supervises the ffmpeg of one camera until stop() is called; its writer stores each
    closed segment."""

    def __init__(self, writer: SegmentWriter, poll_interval: float = 1.0) -> None:
        super().__init__(name=f"rec-{writer.camera.id}", daemon=True)
        self.writer = writer
        self.state = writer.state
        self.camera = writer.camera
        self.metrics = writer.metrics
        self.poll = poll_interval
        self.status = "starting"
        self._stop_evt = threading.Event()
        self.proc: subprocess.Popen[bytes] | None = None
        self.out_dir = writer.out_dir
        self.runs_dir = self.state.config.state_dir / "runs" / self.camera.id
        self._signal_lock = threading.Lock()
        self._signalled: set[int] = set()

    # -- lifecycle ----------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask ffmpeg to finish its segment (SIGINT), then the thread writes it and exits."""
        self._stop_evt.set()
        self._interrupt()

    def _interrupt(self) -> None:
        # Exactly one SIGINT: ffmpeg treats a second one as "exit immediately" and would leave
        # the last segment without its final packets.
        with self._signal_lock:
            proc = self.proc
            if proc is not None and proc.poll() is None and proc.pid not in self._signalled:
                self._signalled.add(proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)

    def _set(self, status: str) -> None:
        self.status = status
        self.metrics.set_state(self.camera.id, status)

    def run(self) -> None:
        conf = self.state.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        backoff = conf.reconnect_initial_seconds
        while not self._stop_evt.is_set():
            started = time.monotonic()
            produced = self._one_run()
            if self._stop_evt.is_set():
                break
            if produced and time.monotonic() - started >= STABLE_RUN:
                backoff = conf.reconnect_initial_seconds
            self._set("backoff")
            log.warning("camera stream ended; reconnecting", extra={
                "camera": self.camera.id, "backoff_s": backoff})
            if self._wait_for_camera(backoff):
                backoff = conf.reconnect_initial_seconds  # it was down and is back: go now
            else:
                backoff = min(backoff * 2, conf.reconnect_max_seconds)
        self._set("stopped")

    def _reachable(self) -> bool:
        """Cheap TCP probe of the camera's RTSP port (no ffmpeg spawned for a dead camera)."""
        url = urlsplit(self.camera.rtsp_url)
        port = url.port or (322 if url.scheme == "rtsps" else 554)
        try:
            with socket.create_connection((url.hostname or "", port), timeout=PROBE_INTERVAL):
                return True
        except OSError:
            return False

    def _wait_for_camera(self, backoff: float) -> bool:
        """Wait out the backoff; while the camera refuses connections, probe it every
        PROBE_INTERVAL and return as soon as it answers again. True if it was down."""
        deadline = time.monotonic() + backoff
        was_down = False
        while not self._stop_evt.is_set():
            if not self._reachable():
                was_down = True
            elif was_down or time.monotonic() >= deadline:
                return was_down
            self._stop_evt.wait(PROBE_INTERVAL)
        return was_down

    def _one_run(self) -> bool:
        conf = self.state.config
        run_id = new_run_id()
        list_file = self.runs_dir / f"{run_id}.csv"
        cmd = ffmpeg.record_command(self.camera, self.out_dir, run_id, conf.segment_seconds,
                                    conf.rtsp_timeout_seconds, list_file)
        self._set("starting")
        listed = SegmentList(list_file, timeutil.now(), self.camera.id)
        self.proc = ffmpeg.spawn(cmd, self.runs_dir / "ffmpeg.log")
        self.metrics.restarts.labels(self.camera.id).inc()
        exited = _ExitWatch(self.proc.pid)
        last: Segment | None = None
        try:
            while self.proc.poll() is None:
                last = self._write_closed(listed, run_id) or last
                if self.status != "recording" and (last is not None
                                                   or self._run_files(run_id)):
                    self._set("recording")
                if self._stop_evt.is_set():
                    self._interrupt()  # stop() may have raced the spawn
                    try:
                        self.proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        self.proc.kill()
                        self.proc.wait()
                    break
                # sleep until ffmpeg exits (or stop() interrupts it) or a boundary is due
                exited.wait(self._next_wake())
        finally:
            exited.close()
        last = self._write_closed(listed, run_id, final=True) or last
        # Whatever ffmpeg left unlisted (killed mid-segment) is a torn but playable file.
        for path in self._run_files(run_id):
            last = self.writer.write_unlisted(path, last) or last
        with contextlib.suppress(FileNotFoundError):
            list_file.unlink()
        return last is not None

    def _write_closed(self, listed: SegmentList, run_id: str,
                      final: bool = False) -> Segment | None:
        """Hand the segments the list shows closed to the writer; the last written, if any."""
        last = None
        for name, start, end in listed.closed(final):
            last = self.writer.write(self.out_dir / name, start, end, run_id, repaired=False)
        return last

    def _next_wake(self) -> float:
        """Seconds to sleep: segments close just after wall-clock multiples of segment_seconds
        (-segment_atclocktime), so look 1 s and 3 s after each instead of polling all the time
        (16 pollers at 1 Hz cost ~3 % of the bare ffmpeg CPU)."""
        if self.status != "recording":
            return self.poll
        seg = self.state.config.segment_seconds
        now = time.time()
        base = now - now % seg
        for wake in (base + 1.0, base + 3.0, base + seg + 1.0, base + seg + 3.0):
            if wake > now + 0.05:
                return wake - now
        return self.poll

    def _run_files(self, run_id: str) -> list[Path]:
        """Unindexed files of this run (sorted by name = by start)."""
        out = []
        for p in sorted(self.out_dir.glob(f"{self.camera.id}_*-{run_id}.ts")):
            rel = str(p.relative_to(self.state.config.storage_root))
            if not self.state.index.has_path(rel):
                out.append(p)
        return out
