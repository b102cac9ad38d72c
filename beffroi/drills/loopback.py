"""Drills on real parts on loopback: camera stream lost, recorder killed, disk nearly full."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from beffroi.drills.rig import Rig
from beffroi.drills.runner import DrillReport, drill
from recorder.legal import NARROW_MIN

OUTAGE = 6.0  # seconds without the camera stream


def _segments(rig: Rig, camera: str = "cam1") -> float:
    return rig.metric("recorder_segments_total", camera)


@drill("camera-stream", "loopback", "camera stream stopped then restored: gap in index and "
       "register, recording resumes")
def camera_stream(r: DrillReport) -> None:
    rig = Rig()
    try:
        rig.start_cameras()
        rig.start_recorder()
        r.did.append("started 2 loopback RTSP cameras and `recorder run` (2 s segments)")
        r.check("recording before the fault", rig.wait(lambda: _segments(rig) >= 2, 40)
                is not None)
        rig.cams.stop()
        r.did.append(f"stopped the camera stream for {OUTAGE:.0f} s")
        time.sleep(OUTAGE)
        rig.start_cameras()
        restored = _segments(rig)
        r.did.append("restored the camera stream")
        back = rig.wait(lambda: _segments(rig) > restored, 40)
        r.check("recording resumes", back is not None)
        if back is not None:
            r.recovery["first new segment after restore"] = back
        r.check("gap counted (recorder_gaps_total)", rig.wait(
            lambda: rig.metric("recorder_gaps_total", "cam1") >= 1, 10) is not None)
        r.check("gaps of the last 24 h exposed (recorder_gaps_last_24h)",
                rig.metric("recorder_gaps_last_24h", "cam1") >= 1)
        r.check("recorder stops cleanly", rig.stop_recorder() == 0)
        gaps = [e for e in rig.register() if e["kind"] == "recording_gap"
                and e["data"]["camera"] == "cam1"]
        r.check("gap in the register (REG-1)", bool(gaps),
                f"{gaps[-1]['data']['seconds']} s" if gaps else "none")
        ok, detail = rig.verify()
        r.check("recorder verify passes", ok, detail)
    finally:
        rig.stop()


@drill("recorder-restart", "loopback", "recorder process killed (-9) and restarted: no "
       "register entry lost, verify passes")
def recorder_restart(r: DrillReport) -> None:
    rig = Rig()
    try:
        rig.start_cameras()
        rig.start_recorder()
        r.check("recording before the fault", rig.wait(lambda: _segments(rig) >= 3, 40)
                is not None)
        rig.proc.kill9()
        r.did.append("kill -9 of the recorder and its ffmpeg children")
        before = rig.register()
        start = time.monotonic()
        rig.start_recorder()
        r.did.append("started `recorder run` again")
        back = rig.wait(lambda: _segments(rig) >= 1, 40)
        r.check("recording resumes", back is not None)
        if back is not None:
            r.recovery["first new segment after restart"] = round(time.monotonic() - start, 2)
        r.check("recorder stops cleanly", rig.stop_recorder() == 0)
        after = rig.register()
        kept = after[:len(before)] == before
        r.check("no register entry lost (every entry before the kill is still there, in "
                "order)", kept, f"{len(before)} before, {len(after)} after")
        ok, detail = rig.verify()
        r.check("recorder verify passes", ok, detail)
    finally:
        rig.stop()


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "beffroi-drill",
                    str(path)], check=True, capture_output=True)


@drill("disk-full", "loopback", "video disk nearly full (own tmpfs): oldest unheld segments "
       "evicted, a legal hold kept, destructions in the register")
def disk_full(r: DrillReport) -> None:
    import tempfile

    from recorder import config as rconfig
    from recorder import retention, timeutil
    from recorder.state import open_state

    mnt = Path(tempfile.mkdtemp(prefix="beffroi-drill-disk-"))
    _mount_tmpfs(mnt, "6m")
    rig = None
    try:
        rig = Rig(storage=mnt, min_free=40.0, purge_interval=1,
                  extra=("max_purge_share = 0.9",))
        r.did.append(f"mounted a 6 MiB tmpfs as the video disk ({mnt}); min_free_percent 40")
        state = open_state(rconfig.load(rig.config))
        seg = rig.dir / "seed.ts"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        f"testsrc2=size={NARROW_MIN[0]}x{NARROW_MIN[1]}:rate=15", "-t", "2",
                        "-c:v", "libx264",
                        "-preset", "ultrafast", "-b:v", "1200k", "-f", "mpegts", str(seg)],
                       check=True)
        now = timeutil.now()
        starts = [now - 3600 + 2 * i for i in range(12)]
        rig.h.seed_segments(state, "cam1", seg, starts)
        hold = retention.add_hold(state, "PV 2026/123 (drill)", "cam1", starts[0],
                                  starts[2] + 2, "drill")
        held = [s.id for s in state.index.segments("cam1") if s.start < starts[2] + 2]
        state.close()
        free0 = retention.free_percent(mnt)
        r.did.append(f"filled it with 12 real segments of an hour ago (free {free0:.0f} %), "
                     f"legal hold {hold.ref} on the 3 oldest")
        rig.start_cameras()
        rig.start_recorder()
        back = rig.wait(lambda: retention.free_percent(mnt) >= 40.0 and
                        rig.metric("recorder_disk_free_percent") >= 40.0, 30)
        r.check("free space back above min_free_percent", back is not None,
                f"{retention.free_percent(mnt):.0f} % free")
        if back is not None:
            r.recovery["free space restored"] = back
        rig.wait(lambda: _segments(rig) >= 1, 30)
        r.check("recording goes on", _segments(rig) >= 1)
        rig.stop_recorder()
        state = open_state(rconfig.load(rig.config))
        try:
            alive = {s.id for s in state.index.segments("cam1")}
            destroyed = [e for e in state.register.entries() if e["kind"] == "destruction"]
        finally:
            state.close()
        r.check("held segments kept (RET-2)", set(held) <= alive, f"held ids {held}")
        r.check("oldest unheld segments destroyed", bool(destroyed),
                f"{len(destroyed)} destruction(s)")
        r.check("each destruction in the register (REG-1)", all(
            "disk pressure" in e["data"]["reason"] for e in destroyed))
        ok, detail = rig.verify()
        r.check("recorder verify passes", ok, detail)
    finally:
        if rig is not None:
            rig.stop()
        subprocess.run(["umount", str(mnt)], check=False, capture_output=True)
        mnt.rmdir()


@drill("ups-low-battery", "loopback", "UPS on battery then low battery (NUT dummy-ups, upsd, "
       "upsmon): clean recorder stop, register intact, verify passes at the next start")
def ups_low_battery(r: DrillReport) -> None:
    from beffroi.drills.nut import LoopbackUps

    rig = Rig()
    ups = None
    try:
        rig.start_cameras()
        rig.start_recorder()
        r.check("recording on mains", rig.wait(lambda: _segments(rig) >= 2, 40) is not None)
        pid = rig.proc.proc.pid
        # on the NVR, SHUTDOWNCMD is `shutdown -h +0`: systemd then stops the recorder with
        # SIGTERM; here upsmon sends that SIGTERM itself
        ups = LoopbackUps(f"/bin/kill -TERM {pid}")
        ups.start()
        r.did.append(f"started NUT on 127.0.0.1:{ups.port} (dummy-ups, upsd, upsmon primary)")
        ups.set_status("OB", 60)
        r.did.append("UPS on battery (OB, 60 %)")
        rig.wait(lambda: ups is not None and ups.status() == "OB", 10)
        time.sleep(3)
        r.check("on battery alone the recorder keeps recording", rig.proc.proc.poll() is None)
        ups.set_status("OB LB", 9)
        r.did.append("UPS low battery (OB LB, 9 %)")
        start = time.monotonic()
        gone = rig.wait(lambda: rig.proc.proc.poll() is not None, 60)
        r.check("upsmon shut the recorder down", gone is not None)
        rc = rig.proc.proc.wait(timeout=30)
        r.recovery["low battery → recorder stopped cleanly"] = round(time.monotonic() - start, 2)
        rig.proc.proc = None
        r.check("clean stop (exit 0 after SIGTERM)", rc == 0, f"exit {rc}")
        ups.stop()
        ups = None
        entries = rig.register()
        r.check("register holds the recordings", any(e["kind"] == "recording" for e in entries),
                f"{len(entries)} entries")
        ok, detail = rig.verify()
        r.check("verify passes before the next start", ok, detail)
        before = len(entries)
        rig.start_recorder()
        r.did.append("power back: `recorder run` started again")
        back = rig.wait(lambda: _segments(rig) >= 1, 40)
        r.check("recording again after power is back", back is not None)
        if back is not None:
            r.recovery["first segment after power back"] = back
        rig.stop_recorder()
        from recorder import config as rconfig
        from recorder.state import open_state

        state = open_state(rconfig.load(rig.config))
        try:
            unclean = [e for e in state.journal.entries() if e["kind"] == "unclean_shutdown"]
        finally:
            state.close()
        r.check("the start after the UPS stop finds a clean shutdown (no unclean_shutdown)",
                not unclean)
        r.check("no register entry lost", len(rig.register()) >= before)
        ok, detail = rig.verify()
        r.check("verify passes at the next start", ok, detail)
    finally:
        if ups is not None:
            ups.stop()
        rig.stop()


STEP = 5.0  # seconds the NVR's clock is stepped away from its source (TIME-1 allows 1 s)


def _valid_flags(rig: Rig, since: int) -> list[bool]:
    return [bool(e["data"]["valid"]) for e in rig.register()[since:] if e["kind"] == "recording"]


@drill("clock-step", "loopback", "NVR clock stepped away from its NTP source (chronyd on "
       "loopback): new segments not valid and an alarm; valid again once back")
def clock_step(r: DrillReport) -> None:
    import os

    from beffroi.drills.chrony import LoopbackChrony
    from recorder import clock

    ntp = LoopbackChrony()
    rig = None
    try:
        ntp.start_source()
        ntp.start_nvr(0.0)
        path = f"{ntp.bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
        os.environ["PATH"], old = path, os.environ.get("PATH", "")
        try:  # the recorder's own TIME-1 check, against the drill's chronyd
            synced = r.check("NVR chronyd synchronised to the loopback source", rig_wait(
                clock.chrony_synced, 30) is not None)
        finally:
            os.environ["PATH"] = old
        if not synced:
            return
        rig = Rig(sync="chrony", env={"PATH": path})
        rig.start_cameras()
        rig.start_recorder()
        r.did.append(f"chronyd serving on 127.0.0.1:{ntp.port}; the NVR's chronyd (-x) "
                     "follows it; `recorder run` with sync_check chrony")
        r.check("recording with valid segments", rig.wait(
            lambda: _valid_flags(rig, 0)[-2:] == [True, True], 40) is not None)
        mark = len(rig.register())
        ntp.start_nvr(STEP)
        r.did.append(f"stepped the NVR's clock {STEP:.0f} s away from its source")
        detected = rig.wait(lambda: rig.metric("recorder_clock_synchronised") == 0, 60)
        r.check("TIME-1 failure seen (recorder_clock_synchronised 0)", detected is not None)
        if detected is not None:
            r.recovery["clock step → segments marked not valid"] = detected
        r.check("new segments marked not valid in the register", rig.wait(
            lambda: False in _valid_flags(rig, mark), 20) is not None)
        alarms = rig.wait(lambda: _time_alarms(rig), 10)
        r.check("an alarm is journaled (TIME-1)", alarms is not None)
        mark = len(rig.register())
        ntp.start_nvr(0.0)
        r.did.append("put the NVR's clock back on its source")
        back = rig.wait(lambda: rig.metric("recorder_clock_synchronised") == 1, 60)
        r.check("TIME-1 holds again", back is not None)
        if back is not None:
            r.recovery["clock back → segments valid again"] = back
        r.check("new segments valid again", rig.wait(
            lambda: _valid_flags(rig, mark)[-1:] == [True], 20) is not None)
        r.check("recorder stops cleanly", rig.stop_recorder() == 0)
        ok, detail = rig.verify()
        r.check("recorder verify passes", ok, detail)
    finally:
        if rig is not None:
            rig.stop()
        ntp.stop()


def rig_wait(predicate: object, timeout: float) -> float | None:
    """Seconds until predicate() holds (no rig needed)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if callable(predicate) and predicate():
            return round(time.monotonic() - start, 2)
        time.sleep(0.3)
    return None


def _time_alarms(rig: Rig) -> bool:
    from recorder import config as rconfig
    from recorder.state import open_state

    state = open_state(rconfig.load(rig.config))
    try:
        return any(e["kind"] == "alarm" and "TIME-1" in str(e["data"])
                   for e in state.journal.entries())
    finally:
        state.close()
