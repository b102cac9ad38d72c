"""Exports follow the law too (issue 10 §3): copies on the NVR are registered and purged by
retention unless a legal hold keeps them (RET-1, REG-1); the manifest states the asked and the
covered range and the bundle plays the asked range only; the exporter is authenticated and
gives a reason (EXP-2, JRN-1); an empty or future range is refused at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from recorder_harness import PASSWORD, REPO, cli, frame_pts, make_config, seed_segments

from recorder import config, timeutil
from recorder.state import State, open_state

DAY = 86400.0
FPS = 15
SEG = 2.0

# The segments here all expire at once: a purge of all of them is meant (max_purge_share).
EVERY_EXPIRED = ("--max-share", "1", "--by", "admin-test")


@pytest.fixture(scope="module")
def run_segments(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four real 2 s segments of one continuous ffmpeg run (timestamps continue across files),
    as the recorder's segment muxer stores them."""
    d = tmp_path_factory.mktemp("run")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"testsrc2=size=352x288:rate={FPS}", "-t", "8", "-c:v", "libx264",
                    "-preset", "ultrafast", "-bf", "0", "-g", str(FPS), "-b:v", "300k",
                    "-f", "segment", "-segment_time", "2", "-segment_format", "mpegts",
                    str(d / "part%d.ts")], check=True)
    return sorted(d.glob("part*.ts"))


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    st = open_state(config.load(make_config(
        tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1"), ("cam2", "rtsp://127.0.0.1:9/cam2")],
        retention_days=15)))
    yield st
    st.close()


def _seed_run(st: State, camera: str, parts: list[Path], t0: float) -> None:
    for i, part in enumerate(parts):
        seed_segments(st, camera, part, [t0 + SEG * i], duration=SEG)


def _export(st: State, out: Path, start: float, end: float, *extra: str,
            camera: str = "cam1", stdin: str | None = PASSWORD + "\n",
            password: bool = True) -> subprocess.CompletedProcess[str]:
    auth = ("--password-file", "-") if password else ()
    return cli("export", "--config", st.config.source, "--camera", camera,
               "--from", timeutil.iso(start), "--to", timeutil.iso(end), "--out", str(out),
               "--user", "mdupont", *auth, *extra, stdin=stdin)


def _register(st: State, kind: str) -> list[dict[str, object]]:
    return [e["data"] for e in st.register.entries() if e["kind"] == kind]


def _journal(st: State, kind: str) -> list[dict[str, object]]:
    return [e["data"] for e in st.journal.entries() if e["kind"] == kind]


# -- retention of the copies (RET-1, REG-1) -------------------------------------------------------

def test_export_copy_is_registered_with_its_files(state: State, small_segment: Path,
                                                  tmp_path: Path) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600, now - 598])
    out = tmp_path / "exp"
    res = _export(state, out, now - 600, now - 597, "--reason", "plainte vol de vélo")
    assert res.returncode == 0, res.stderr
    copies = _register(state, "export_copy")
    assert len(copies) == 1 and copies[0]["path"] == str(out)
    listed = copies[0]["files"]
    assert isinstance(listed, list) and len(listed) == 2
    assert {f["sha256"] for f in listed} == {s.sha256 for s in state.index.segments("cam1")}


def test_export_older_than_retention_is_purged_with_a_destruction_entry(
        state: State, small_segment: Path, tmp_path: Path) -> None:
    """RET-1: a copy on the NVR outlives its retention no more than the segments it holds."""
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600, now - 598])
    out = tmp_path / "exp"
    assert _export(state, out, now - 600, now - 597, "--reason", "plainte").returncode == 0
    # before its retention ends, the purge keeps it
    res = cli("purge", *EVERY_EXPIRED, "--config", state.config.source,
              "--now", timeutil.iso(now + 14 * DAY))
    assert res.returncode == 0, res.stderr
    assert (out / "manifest.json").exists()
    res = cli("purge", *EVERY_EXPIRED, "--config", state.config.source,
              "--now", timeutil.iso(now + 16 * DAY))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["exports_destroyed"] == 1
    assert not out.exists()
    gone = _register(state, "export_destruction")
    assert len(gone) == 1 and gone[0]["path"] == str(out) and "RET-1" in str(gone[0]["reason"])
    assert cli("verify", "--config", state.config.source).returncode == 0


def test_held_export_is_kept_beyond_retention_until_the_hold_is_released(
        state: State, small_segment: Path, tmp_path: Path) -> None:
    """RET-1: only a legal hold tied to a requisition keeps a recording longer; the export's
    own requisition reference does not (the parquet keeps the transmitted copy)."""
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600, now - 598])
    out = tmp_path / "exp"
    res = _export(state, out, now - 600, now - 597, "--requisition", "PV-2026-0042")
    assert res.returncode == 0, res.stderr
    res = cli("hold", "add", "--config", state.config.source, "--ref", "PV-2026-0042",
              "--camera", "cam1", "--from", timeutil.iso(now - 601),
              "--to", timeutil.iso(now - 596), "--by", "mdupont")
    assert res.returncode == 0, res.stderr
    later = timeutil.iso(now + 40 * DAY)
    res = cli("purge", *EVERY_EXPIRED, "--config", state.config.source,
              "--now", later)
    assert res.returncode == 0 and json.loads(res.stdout)["exports_destroyed"] == 0
    assert (out / "manifest.json").exists()
    assert cli("verify-export", str(out)).returncode == 0
    hold_id = state.index.holds()[0].id
    assert cli("hold", "release", "--config", state.config.source, str(hold_id)).returncode == 0
    res = cli("purge", *EVERY_EXPIRED, "--config", state.config.source,
              "--now", later)
    assert json.loads(res.stdout)["exports_destroyed"] == 1 and not out.exists()


def test_requisition_alone_does_not_keep_an_export_beyond_retention(
        state: State, small_segment: Path, tmp_path: Path) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600])
    out = tmp_path / "exp"
    assert _export(state, out, now - 600, now - 599, "--requisition", "PV-9").returncode == 0
    res = cli("purge", *EVERY_EXPIRED, "--config", state.config.source,
              "--now", timeutil.iso(now + 16 * DAY))
    assert json.loads(res.stdout)["exports_destroyed"] == 1 and not out.exists()


def test_export_moved_off_the_nvr_is_registered_as_gone(state: State, small_segment: Path,
                                                         tmp_path: Path) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600])
    out = tmp_path / "exp"
    assert _export(state, out, now - 600, now - 599, "--reason", "plainte").returncode == 0
    shutil.move(out, tmp_path / "usb-key")  # handed over on removable media
    res = cli("purge", *EVERY_EXPIRED, "--config", state.config.source,
              "--now", timeutil.iso(now + 60))
    assert res.returncode == 0, res.stderr
    gone = _register(state, "export_destruction")
    assert len(gone) == 1 and "moved" in str(gone[0]["reason"])
    assert _journal(state, "export_missing")
    # registered once, not at every pass
    cli("purge", *EVERY_EXPIRED, "--config", state.config.source,
              "--now", timeutil.iso(now + 120))
    assert len(_register(state, "export_destruction")) == 1


# -- asked range vs covered range, player --------------------------------------------------------

def test_manifest_states_asked_and_covered_range_and_playback_stops_at_the_asked_range(
        state: State, run_segments: list[Path], tmp_path: Path) -> None:
    t0 = float(int(timeutil.now()) - 3600)
    _seed_run(state, "cam1", run_segments, t0)
    start, end = t0 + 2.6, t0 + 5.4  # inside the 2nd and 3rd segments
    out = tmp_path / "exp"
    res = _export(state, out, start, end, "--reason", "plainte")
    assert res.returncode == 0, res.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["asked"] == {"from": timeutil.iso(start), "to": timeutil.iso(end),
                                 "seconds": pytest.approx(2.8)}
    (cov,) = manifest["covered"]
    assert cov["camera"] == "cam1"
    assert cov["from"] == timeutil.iso(t0 + 2) and cov["to"] == timeutil.iso(t0 + 6)
    assert cov["overshoot_seconds"] == pytest.approx(1.2)
    # the player commands, signed in the manifest, play the asked range only
    (piece,) = manifest["play"]
    assert piece["offset_seconds"] == pytest.approx(0.6)
    assert piece["seconds"] == pytest.approx(2.8)
    cmd = piece["ffplay"]
    assert cmd[0] == "ffplay" and "-ss" in cmd and "-t" in cmd
    decoded = out / "decoded.ts"
    ff = ["ffmpeg", "-v", "error", *cmd[1:cmd.index("-i")], "-i", cmd[cmd.index("-i") + 1],
          "-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts", str(decoded)]
    subprocess.run(ff, cwd=out, check=True)
    frames = len(frame_pts(decoded))
    assert abs(frames - 2.8 * FPS) <= 1, frames
    decoded.unlink()
    text = (out / "LISEZMOI.txt").read_text()
    assert "ffplay" in text and timeutil.iso(start) in text
    # the VLC playlist starts and stops there too, and is covered by the signature
    m3u = (out / "cam1.m3u").read_text()
    assert "#EXTVLCOPT:start-time=0.600" in m3u and "#EXTVLCOPT:stop-time=1.400" in m3u
    assert cli("verify-export", str(out)).returncode == 0
    (out / "cam1.m3u").write_text(m3u.replace("start-time=0.600", "start-time=1.900"))
    res = cli("verify-export", str(out))
    assert res.returncode == 1 and "cam1.m3u" in res.stderr


def test_playback_pieces_follow_runs_and_gaps(state: State, run_segments: list[Path],
                                              tmp_path: Path) -> None:
    """Timestamps restart with each ffmpeg run: one play command per contiguous run."""
    t0 = float(int(timeutil.now()) - 3600)
    _seed_run(state, "cam1", run_segments[:2], t0)           # run A: t0 .. t0+4
    _seed_run(state, "cam1", run_segments[:2], t0 + 10)      # run B after a 6 s gap
    out = tmp_path / "exp"
    res = _export(state, out, t0 + 1, t0 + 13, "--reason", "plainte")
    assert res.returncode == 0, res.stderr
    play = json.loads((out / "manifest.json").read_text())["play"]
    assert [(p["offset_seconds"], p["seconds"]) for p in play] == [
        pytest.approx((1.0, 3.0)), pytest.approx((0.0, 3.0))]


# -- who exports, and why (EXP-2, JRN-1) ---------------------------------------------------------

def test_export_needs_the_exporters_password(state: State, small_segment: Path,
                                             tmp_path: Path) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600])
    out = tmp_path / "exp"
    res = _export(state, out, now - 600, now - 599, "--reason", "plainte",
                  stdin="not the password\n")
    assert res.returncode == 1 and "EXP-2" in res.stderr and not out.exists()
    assert "Traceback" not in res.stderr
    failed = _journal(state, "login_failed")
    assert failed and failed[-1]["user_claimed"] == "mdupont" and failed[-1]["via"] == "cli"
    # no password source at all (no terminal, no --password-file): refused, not assumed
    res = _export(state, out, now - 600, now - 599, "--reason", "plainte", password=False,
                  stdin="")
    assert res.returncode == 2 and "--password-file" in res.stderr and not out.exists()
    # an unknown account gets the same answer as a wrong password
    res = cli("export", "--config", state.config.source, "--camera", "cam1", "--from",
              timeutil.iso(now - 600), "--to", timeutil.iso(now - 599), "--out", str(out),
              "--user", "nobody", "--password-file", "-", "--reason", "x", stdin=PASSWORD)
    assert res.returncode == 1 and "unknown account or wrong password" in res.stderr
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    res = _export(state, out, now - 600, now - 599, "--reason", "plainte", "--password-file",
                  str(pw), password=False, stdin=None)
    assert res.returncode == 0, res.stderr
    exp = _journal(state, "export")[-1]
    assert exp["user"] == "mdupont" and exp["auth"] == "password"
    assert exp["reason"] == "plainte"


@pytest.mark.skipif(os.geteuid() != 0, reason="acting as local admin needs root")
def test_local_admin_exports_under_a_journaled_os_identity(state: State, small_segment: Path,
                                                           tmp_path: Path) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600])
    out = tmp_path / "exp"
    env_cli = subprocess.run(
        [sys.executable, "-m", "recorder.cli", "export", "--config", state.config.source,
         "--camera", "cam1", "--from", timeutil.iso(now - 600), "--to", timeutil.iso(now - 599),
         "--out", str(out), "--user", "mdupont", "--as-admin", "--reason", "appel du maire"],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ, SUDO_USER="jtechnicien"),
        check=False)
    assert env_cli.returncode == 0, env_cli.stderr
    exp = _journal(state, "export")[-1]
    assert exp["auth"] == "local-admin" and exp["os_user"] == "jtechnicien"
    assert exp["os_uid"] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["exporter"]["authenticated"] == "local-admin jtechnicien (uid 0)"


def test_as_admin_is_refused_to_a_non_root_user(state: State, tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop to another uid")
    res = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
         "recorder.cli", "export", "--config", state.config.source, "--camera", "cam1",
         "--from", "2026-11-28T10:00:00Z", "--to", "2026-11-28T10:01:00Z",
         "--out", str(tmp_path / "exp"), "--user", "mdupont", "--as-admin", "--reason", "x"],
        capture_output=True, text=True, cwd=REPO, check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert res.returncode == 1 and "--as-admin" in res.stderr and "root" in res.stderr


@pytest.mark.parametrize("reason", [None, "", "   ", "vol\n\x1b[2Jeffacé", "vol \u202eésuoc",
                                    "a\x85b"])
def test_export_reason_is_required_and_is_plain_text(state: State, small_segment: Path,
                                                     tmp_path: Path, reason: str | None) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600])
    out = tmp_path / "exp"
    extra = () if reason is None else ("--reason", reason)
    res = _export(state, out, now - 600, now - 599, *extra)
    assert res.returncode == 2 and "--reason" in res.stderr and "EXP-2" in res.stderr
    assert not out.exists()


# -- ranges that cannot be exported ---------------------------------------------------------------

def test_future_range_is_refused_at_once(state: State, small_segment: Path,
                                         tmp_path: Path) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600])
    out = tmp_path / "exp"
    res = _export(state, out, now + 3600, now + 7200, "--reason", "plainte")
    assert res.returncode == 1 and "future" in res.stderr and not out.exists()


def test_range_without_any_recording_is_refused_at_once(state: State, small_segment: Path,
                                                        tmp_path: Path) -> None:
    now = timeutil.now()
    seed_segments(state, "cam1", small_segment, [now - 600])
    out = tmp_path / "exp"
    res = _export(state, out, now - 900, now - 800, "--reason", "plainte")
    assert res.returncode == 1 and "no recording" in res.stderr and not out.exists()
    assert not _journal(state, "export")
