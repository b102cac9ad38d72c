"""`recorder verify`: tampering with a register line, a journal line or a segment is found and
named; the exit code is non-zero (REG-1, JRN-2, CAM-4 integrity)."""

from __future__ import annotations

from pathlib import Path

import pytest
from recorder_harness import cli, make_config, seed_segments

from recorder import config, timeutil
from recorder.state import State, open_state


@pytest.fixture
def recorded(tmp_path: Path, small_segment: Path) -> State:
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")]))
    st = open_state(conf)
    seed_segments(st, "cam1", small_segment, [timeutil.now() - 60 + 2 * i for i in range(4)])
    st.journal.append("login", {"user": "mdupont"})
    st.journal.append("playback", {"user": "mdupont", "camera": "cam1"})
    st.close()
    return open_state(conf)


def _verify(st: State) -> tuple[int, str]:
    res = cli("verify", "--config", st.config.source)
    return res.returncode, res.stdout + res.stderr


def _edit_line(directory: Path, lineno: int, old: str, new: str) -> str:
    path = sorted(directory.glob("*.jsonl"))[-1]
    lines = path.read_text().splitlines(keepends=True)
    assert old in lines[lineno - 1]
    lines[lineno - 1] = lines[lineno - 1].replace(old, new)
    path.write_text("".join(lines))
    return path.name


def test_verify_passes_on_untouched_recording(recorded: State) -> None:
    rc, out = _verify(recorded)
    assert rc == 0, out
    assert "4 segments" in out


def test_verify_names_altered_register_line(recorded: State) -> None:
    name = _edit_line(recorded.config.register_dir, 2, '"camera":"cam1"', '"camera":"cam9"')
    rc, out = _verify(recorded)
    assert rc == 1
    assert f"register: register/{name} line 2" in out and "altered" in out


def test_verify_names_altered_journal_line(recorded: State) -> None:
    name = _edit_line(recorded.config.journal_dir, 2, '"user":"mdupont"', '"user":"quelquun"')
    rc, out = _verify(recorded)
    assert rc == 1
    assert f"journal: journal/{name} line 2" in out


def test_verify_names_altered_segment(recorded: State) -> None:
    seg = recorded.index.segments("cam1")[2]
    path = recorded.abspath(seg.path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit in the video
    path.write_bytes(bytes(data))
    rc, out = _verify(recorded)
    assert rc == 1
    assert seg.path in out and "video altered" in out


def test_verify_detects_index_rewritten_to_match_altered_segment(recorded: State,
                                                                 small_segment: Path) -> None:
    """Changing the video AND its hash in the index is caught by the signed register."""
    import sqlite3

    from recorder.state import sha256_file

    seg = recorded.index.segments("cam1")[1]
    path = recorded.abspath(seg.path)
    path.write_bytes(path.read_bytes()[:-188])  # drop the last TS packet
    db = sqlite3.connect(recorded.config.index_path)
    db.execute("UPDATE segments SET sha256=? WHERE id=?", (sha256_file(path), seg.id))
    db.commit()
    db.close()
    rc, out = _verify(recorded)
    assert rc == 1 and seg.path in out and "index altered" in out


def test_verify_detects_segment_deleted_outside_purge(recorded: State) -> None:
    seg = recorded.index.segments("cam1")[0]
    recorded.abspath(seg.path).unlink()
    rc, out = _verify(recorded)
    assert rc == 1 and seg.path in out and "missing" in out
