"""A real NUT on loopback for the UPS drill: the dummy-ups driver reading a status file we
rewrite (OL → OB → OB LB), upsd on 127.0.0.1 and upsmon as the NVR's primary; every daemon
runs in the foreground as our own child and is stopped by its own pid."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

NUT = Path("/lib/nut")
PASSWORD = "drill-upsmon"  # a throwaway loopback credential, not a secret of any site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackUps:
    """dummy-ups + upsd + upsmon; `shutdown_cmd` is what upsmon runs at low battery."""

    def __init__(self, shutdown_cmd: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="beffroi-drill-nut-"))
        self.dir.chmod(0o755)  # the daemons drop to user nut and re-read the status file
        self.conf, self.state = self.dir / "conf", self.dir / "state"
        self.conf.mkdir()
        self.state.mkdir(mode=0o770)
        shutil.chown(self.state, "nut", "nut")
        self.port = _free_port()
        self.status_file = self.conf / "drill.dev"
        files = {
            "nut.conf": "MODE=standalone\n",
            "ups.conf": f'[drillups]\n\tdriver = dummy-ups\n\tport = {self.status_file}\n'
                        '\tdesc = "2000 VA (drill)"\n',
            "upsd.conf": f"LISTEN 127.0.0.1 {self.port}\n",
            "upsd.users": f"[upsmon]\n\tpassword = {PASSWORD}\n\tupsmon primary\n",
            "upsmon.conf": (f"MONITOR drillups@127.0.0.1:{self.port} 1 upsmon {PASSWORD} "
                            f'primary\nMINSUPPLIES 1\nSHUTDOWNCMD "{shutdown_cmd}"\n'
                            "POLLFREQ 1\nPOLLFREQALERT 1\nHOSTSYNC 5\nDEADTIME 5\n"
                            f"FINALDELAY 0\nPOWERDOWNFLAG {self.dir / 'killpower'}\n"),
        }
        for name, text in files.items():
            path = self.conf / name
            path.write_text(text, encoding="utf-8")
            path.chmod(0o640)
            shutil.chown(path, "root", "nut")
        self.set_status("OL", 100)
        self.env = {**os.environ, "NUT_CONFPATH": str(self.conf),
                    "NUT_STATEPATH": str(self.state), "NUT_ALTPIDPATH": str(self.state)}
        self.procs: list[subprocess.Popen[bytes]] = []

    def set_status(self, status: str, charge: int) -> None:
        """What the UPS reports (dummy-ups re-reads the file when it changes)."""
        tmp = self.status_file.with_suffix(".tmp")
        tmp.write_text(f"ups.status: {status}\nbattery.charge: {charge}\n", encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(self.status_file)

    def _spawn(self, *cmd: str) -> None:
        self.procs.append(subprocess.Popen(list(cmd), env=self.env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))

    def status(self) -> str:
        """ups.status as upsd serves it ('' when unreadable)."""
        res = subprocess.run(["upsc", f"drillups@127.0.0.1:{self.port}", "ups.status"],
                             capture_output=True, text=True, check=False, env=self.env)
        return res.stdout.strip()

    def start(self) -> None:
        """Start the driver, upsd, then upsmon once upsd serves the UPS."""
        self._spawn(str(NUT / "dummy-ups"), "-F", "-a", "drillups", "-u", "nut")
        time.sleep(1)
        self._spawn(str(NUT / "upsd"), "-F", "-u", "nut")
        deadline = time.monotonic() + 15
        while not self.status() and time.monotonic() < deadline:
            time.sleep(0.3)
        if not self.status():
            raise RuntimeError("NUT: upsd does not serve the dummy UPS")
        self._spawn(str(NUT / "upsmon"), "-F", "-u", "nut")

    def stop(self) -> None:
        """Stop our daemons by pid, newest first, and remove the directory."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
