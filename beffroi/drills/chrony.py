"""A real NTP source and an NVR-side chronyd on loopback for the clock drill.

The source is chronyd serving on 127.0.0.1 (`local stratum 8`); the NVR's chronyd runs with
-x (it never touches the shared machine's clock) and reads it. Stepping the NVR's clock away
from its source is done the one way that leaves the machine's real clock alone: the NVR's
chronyd restarts with chrony's `offset` correction on that source, so it measures its clock
that far from NTP time (`chronyc tracking`: System time), exactly what TIME-1 checks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackChrony:
    """NTP source + NVR chronyd; `bin_dir` holds a `chronyc` that talks to the NVR's one."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="beffroi-drill-chrony-"))
        self.sock = self.dir / "sock"
        self.sock.mkdir(mode=0o700)
        self.bin_dir = self.dir / "bin"
        self.bin_dir.mkdir()
        self.port = _free_udp_port()
        wrapper = self.bin_dir / "chronyc"
        wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/chronyc -h {self.sock / "nvr.sock"} '
                           '"$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
        self.source: subprocess.Popen[bytes] | None = None
        self.nvr: subprocess.Popen[bytes] | None = None

    def _start(self, name: str, lines: list[str]) -> subprocess.Popen[bytes]:
        conf = self.dir / f"{name}.conf"
        (self.dir / f"{name}.pid").unlink(missing_ok=True)
        conf.write_text("\n".join([*lines, f"bindcmdaddress {self.sock / name}.sock",
                                   "cmdport 0", f"pidfile {self.dir / name}.pid"]) + "\n",
                        encoding="utf-8")
        return subprocess.Popen(["/usr/sbin/chronyd", "-x", "-u", "root", "-d", "-f", str(conf)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_source(self) -> None:
        """The NTP source on 127.0.0.1:port."""
        self.source = self._start("source", [f"port {self.port}", "bindaddress 127.0.0.1",
                                             "allow 127.0.0.1", "local stratum 8"])

    def start_nvr(self, offset: float = 0.0) -> None:
        """(Re)start the NVR's chronyd, its clock `offset` seconds away from the source."""
        self._stop(self.nvr)
        # maxslewrate: keep an offset visible for the drill instead of slewing it away at once
        self.nvr = self._start("nvr", [f"server 127.0.0.1 port {self.port} iburst minpoll -4 "
                                       f"maxpoll -4 offset {offset}", "port 0",
                                       "maxslewrate 1000"])

    def tracking(self) -> str:
        """`chronyc tracking` of the NVR's chronyd."""
        res = subprocess.run([str(self.bin_dir / "chronyc"), "-n", "tracking"],
                             capture_output=True, text=True, check=False, timeout=5)
        return res.stdout

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes] | None) -> None:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop(self) -> None:
        """Stop both daemons by pid and remove the directory."""
        self._stop(self.nvr)
        self._stop(self.source)
        time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)
