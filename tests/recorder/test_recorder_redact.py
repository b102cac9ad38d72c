"""EXP-5: an access-request extract blurs given zones in a separate, marked, re-encoded
derivative; the evidence export stays untouched."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from pathlib import Path

from recorder_harness import PASSWORD, cli, make_config, seed_segments

from recorder import config, keys
from recorder.ledger import Ledger
from recorder.state import open_state

W, H = 352, 288
ZONE = (96, 64, 128, 96)


def _gray_frame(path: Path, index: int = 5) -> bytes:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf",
                           f"select=eq(n\\,{index})", "-frames:v", "1", "-f", "rawvideo",
                           "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout


def _detail(frame: bytes, x0: int, y0: int, w: int, h: int) -> float:
    """Mean absolute horizontal gradient in a rectangle (blur removes it)."""
    total = 0
    for y in range(y0, y0 + h):
        row = frame[y * W + x0: y * W + x0 + w]
        total += sum(abs(a - b) for a, b in itertools.pairwise(row))
    return total / (w * h)


def test_redacted_extract_blurs_zone_and_is_marked_as_derivative(tmp_path: Path,
                                                                 small_segment: Path) -> None:
    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")])
    conf = config.load(path)
    st = open_state(conf)
    now = time.time()
    seed_segments(st, "cam1", small_segment, [now - 60, now - 58])
    st.close()
    export_dir = tmp_path / "export"
    res = cli("export", "--config", str(path), "--camera", "cam1", "--from",
              f"@{now}", "--to", "x", "--out", str(export_dir), "--user", "mdupont",
              "--reason", "demande d'accès")
    assert res.returncode == 2  # bad dates are usage errors
    from recorder import timeutil

    res = cli("export", "--config", str(path), "--camera", "cam1",
              "--from", timeutil.iso(now - 61), "--to", timeutil.iso(now - 56),
              "--out", str(export_dir), "--user", "mdupont", "--wait", "0",
              "--password-file", "-", "--reason", "demande d'accès", stdin=PASSWORD)
    assert res.returncode == 0, res.stderr
    before = {p: p.read_bytes() for p in export_dir.rglob("*") if p.is_file()}
    red = tmp_path / "extract"
    zone = ",".join(str(v) for v in ZONE)
    refused = cli("redact", "--config", str(path), "--export", str(export_dir), "--zone", zone,
                  "--out", str(tmp_path / "nope"), "--user", "sdis-lmartin",
                  "--password-file", "-", stdin=PASSWORD)
    assert refused.returncode == 1 and "ACC-2" in refused.stderr
    res = cli("redact", "--config", str(path), "--export", str(export_dir), "--zone", zone,
              "--out", str(red), "--user", "mdupont", "--password-file", "-", stdin=PASSWORD)
    assert res.returncode == 0, res.stderr
    notice_bytes = (red / "DERIVATIVE.json").read_bytes()
    notice = json.loads(notice_bytes)
    assert "NOT EVIDENCE" in notice["warning"] and len(notice["files"]) == 2
    st = open_state(conf)
    try:
        sig = (red / "DERIVATIVE.json.sig").read_text().strip()
        assert keys.verify_b64(st.key.public_key(), notice_bytes, sig)
    finally:
        st.close()
    # the evidence export is untouched and still verifies
    assert {p: p.read_bytes() for p in export_dir.rglob("*") if p.is_file()} == before
    assert cli("verify-export", str(export_dir)).returncode == 0
    # the zone lost its detail; the rest of the picture kept it
    src = _gray_frame(export_dir / notice["files"][0]["source"])
    out = _gray_frame(red / notice["files"][0]["path"])
    x, y, w, h = ZONE
    inner = (x + 8, y + 8, w - 16, h - 16)
    assert _detail(out, *inner) < 0.5 * _detail(src, *inner)
    outside = (0, 200, W, 80)
    assert _detail(out, *outside) > 0.7 * _detail(src, *outside)
    kinds = [e["kind"] for e in Ledger(conf.journal_dir, "journal", None).entries()]
    assert "redaction" in kinds


def test_blurred_extract_is_purged_with_its_sources_retention(tmp_path: Path,
                                                              small_segment: Path) -> None:
    """RET-1: an EXP-5 extract on the NVR is a copy of recordings too."""
    from recorder import timeutil

    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")], retention_days=15)
    st = open_state(config.load(path))
    now = time.time()
    seed_segments(st, "cam1", small_segment, [now - 60])
    st.close()
    export_dir, red = tmp_path / "export", tmp_path / "extract"
    res = cli("export", "--config", str(path), "--camera", "cam1", "--from",
              timeutil.iso(now - 60), "--to", timeutil.iso(now - 59), "--out", str(export_dir),
              "--user", "mdupont", "--password-file", "-", "--reason", "accès", stdin=PASSWORD)
    assert res.returncode == 0, res.stderr
    res = cli("redact", "--config", str(path), "--export", str(export_dir), "--zone",
              "0,0,32,32", "--out", str(red), "--user", "mdupont", "--password-file", "-",
              stdin=PASSWORD)
    assert res.returncode == 0, res.stderr
    res = cli("purge", "--max-share", "1", "--by", "admin-test", "--config", str(path),
              "--now", timeutil.iso(now + 16 * 86400))  # every segment expires at once
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["exports_destroyed"] == 2
    assert not red.exists() and not export_dir.exists()
    gone = [e["data"]["path"] for e in Ledger(config.load(path).register_dir, "register",
                                              None).entries()
            if e["kind"] == "export_destruction"]
    assert sorted(gone) == sorted([str(export_dir), str(red)])
