"""The register (REG-1) and journal (JRN-1) views: filters by period, camera, kind and person,
the printable extract's per-day summary, and reading beside a writer (a torn tail is not an
entry)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from recorder_harness import make_config, seed_segments

from recorder import config, registerview, retention
from recorder.ledger import entry_hash
from recorder.registerview import Filters
from recorder.state import State, open_state


@pytest.fixture
def state(tmp_path: Path) -> State:
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1"),
                                              ("cam2", "rtsp://127.0.0.1:9/cam2")]))
    st = open_state(conf)
    yield st
    st.close()


def _journal(st: State, at: float) -> None:
    st.journal.append("login", {"user": "mdupont"}, at=at)
    st.journal.append("playback", {"user": "mdupont", "camera": "cam1"}, at=at + 1)
    st.journal.append("playback", {"user": "pbernard", "camera": "cam2"}, at=at + 2)
    st.journal.append("hold_add", {"user": "pbernard", "camera": "*", "hold": 1, "ref": "R"},
                      at=at + 3)
    st.journal.append("login_failed", {"user_claimed": "intrus"}, at=at + 4)


def test_person_filter_keeps_only_that_persons_actions(state: State) -> None:
    _journal(state, 1_000_000.0)
    v = registerview.view(state.journal, Filters(person="pbernard"))
    assert [e["kind"] for e in v.rows] == ["hold_add", "playback"]  # newest first
    failed = registerview.view(state.journal, Filters(person="intrus"))
    assert [e["kind"] for e in failed.rows] == ["login_failed"]


def test_camera_filter_keeps_that_camera_and_every_camera_entries(state: State) -> None:
    _journal(state, 1_000_000.0)
    v = registerview.view(state.journal, Filters(camera="cam2"))
    assert [(e["kind"], registerview.cameras_of(e)) for e in v.rows] == [
        ("hold_add", ["*"]), ("playback", ["cam2"])]


def test_kind_and_period_filters_combine(state: State) -> None:
    _journal(state, 1_000_000.0)
    v = registerview.view(state.journal, Filters(kind="playback", start=1_000_001.5,
                                                 end=1_000_010.0))
    assert [registerview.person_of(e) for e in v.rows] == ["pbernard"]
    assert len(v.rows) == 1 and not v.truncated
    none = registerview.view(state.journal, Filters(start=1_000_004.0, end=1_000_004.0))
    assert none.rows == [] and not none.truncated  # [start, end) is half-open


def test_view_shows_the_newest_entries_and_says_older_ones_match(state: State) -> None:
    for i in range(12):
        state.journal.append("search", {"user": "mdupont", "camera": "cam1"}, at=1e6 + i)
    v = registerview.view(state.journal, Filters(kind="search"), limit=5)
    assert [e["t"] for e in v.rows] == [1e6 + 11 - i for i in range(5)] and v.truncated
    exact = registerview.view(state.journal, Filters(kind="search"), limit=12)
    assert len(exact.rows) == 12 and not exact.truncated


def test_register_filters_find_recordings_and_destructions_of_a_camera(
        state: State, small_segment: Path) -> None:
    now = time.time()
    seed_segments(state, "cam1", small_segment, [now - 100, now - 98])
    seed_segments(state, "cam2", small_segment, [now - 100])
    rec = registerview.view(state.register, Filters(camera="cam1", kind="recording"))
    assert len(rec.rows) == 2
    assert {e["data"]["camera"] for e in rec.rows} == {"cam1"}
    retention.purge(state, now + 40 * 86400, max_share=1.0)  # every segment past retention
    gone = registerview.view(state.register, Filters(camera="cam2", kind="destruction"))
    assert len(gone.rows) == 1 and "RET-1" in registerview.describe(gone.rows[0])


def test_extract_summarises_recordings_per_camera_and_day(state: State,
                                                          small_segment: Path) -> None:
    now = time.time()
    seed_segments(state, "cam1", small_segment, [now - 100, now - 98, now - 96])
    seed_segments(state, "cam2", small_segment, [now - 100], valid=False)
    state.journal.append("playback", {"user": "mdupont", "camera": "cam1"})
    ex = registerview.extract(state.register, state.journal, now - 3600, now + 60)
    by_cam = {d.camera: d for d in ex.recordings}
    assert by_cam["cam1"].segments == 3 and by_cam["cam2"].segments == 1
    assert by_cam["cam2"].clock_invalid == 1  # TIME-1 shown on paper
    assert all(e["kind"] != "recording" for e in ex.register)
    # cam2's segment off the clock raised its TIME-1 alarm in the journal, then the playback
    assert [e["kind"] for e in ex.journal] == ["alarm", "playback"]
    only1 = registerview.extract(state.register, state.journal, now - 3600, now + 60, "cam1")
    assert [d.camera for d in only1.recordings] == ["cam1"]


def test_reading_beside_a_writer_skips_the_unfinished_last_line(state: State) -> None:
    _journal(state, 1_000_000.0)
    path = sorted(state.config.journal_dir.glob("*.jsonl"))[-1]
    with open(path, "ab") as fh:
        fh.write(b'{"seq": 5, "kind": "logi')
    assert len(list(registerview.read_entries(state.journal))) == 5


def test_chain_status_reports_an_altered_entry(state: State) -> None:
    _journal(state, 1_000_000.0)
    assert registerview.chain_status(state.journal).ok
    path = sorted(state.config.journal_dir.glob("*.jsonl"))[-1]
    path.write_text(path.read_text().replace("pbernard", "mdupont", 1))
    status = registerview.chain_status(state.journal)
    assert not status.ok and "altered" in (status.problem or "")


def test_chain_status_after_a_check_verifies_appends_and_still_sees_old_tampering(
        state: State) -> None:
    _journal(state, 1_000_000.0)
    assert registerview.chain_status(state.journal).entries == 5
    state.journal.append("search", {"user": "mdupont"})
    assert registerview.chain_status(state.journal).entries == 6  # the append is counted
    path = sorted(state.config.journal_dir.glob("*.jsonl"))[-1]
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("mdupont", "pbernard")  # an entry verified long ago
    path.write_text("".join(lines))
    status = registerview.chain_status(state.journal)
    assert not status.ok and "line 2" in (status.problem or "")


def test_chain_status_refuses_an_appended_line_not_signed_by_the_nvr(state: State) -> None:
    _journal(state, 1_000_000.0)
    assert registerview.chain_status(state.journal).ok
    path = sorted(state.config.journal_dir.glob("*.jsonl"))[-1]
    last = json.loads(path.read_text().splitlines()[-1])
    forged = {"seq": last["seq"] + 1, "t": last["t"] + 1, "ts": last["ts"], "kind": "login",
              "data": {"user": "intrus"}, "prev": last["hash"]}
    forged["hash"] = entry_hash(forged)
    forged["sig"] = last["sig"]  # a signature of something else
    with open(path, "a") as fh:
        fh.write(json.dumps(forged) + "\n")
    status = registerview.chain_status(state.journal)
    assert not status.ok and "bad signature" in (status.problem or "")


def test_chain_status_checked_while_empty_accepts_the_first_entries(state: State) -> None:
    assert registerview.chain_status(state.journal).entries == 0  # before anything is written
    _journal(state, 1_000_000.0)
    status = registerview.chain_status(state.journal)
    assert status.ok and status.entries == 5


def test_a_cut_tail_keeps_a_valid_chain_but_fails_the_signed_checkpoint(state: State) -> None:
    from recorder import checkpoint

    _journal(state, 1_000_000.0)
    checkpoint.write(state)
    assert registerview.checkpoint_status(state)[0] is None
    path = sorted(state.config.journal_dir.glob("*.jsonl"))[-1]
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-2]))  # tail cut
    assert registerview.chain_status(state.journal).ok  # what is left is a valid chain
    problem, ts = registerview.checkpoint_status(state)
    assert problem is not None and "JRN-2" in problem and ts


def test_a_line_appended_during_the_full_verify_is_verified_later_not_assumed(
        state: State, monkeypatch: pytest.MonkeyPatch) -> None:
    _journal(state, 1_000_000.0)
    path = sorted(state.config.journal_dir.glob("*.jsonl"))[-1]
    real = state.journal.verify

    def verify_then_forge(public: object) -> object:
        result = real(public)  # type: ignore[arg-type]
        last = json.loads(path.read_text().splitlines()[-1])
        forged = {"seq": last["seq"] + 1, "t": last["t"] + 1, "ts": last["ts"], "kind": "login",
                  "data": {"user": "intrus"}, "prev": last["hash"]}
        forged["hash"] = entry_hash(forged)
        forged["sig"] = last["sig"]
        with open(path, "a") as fh:  # lands after verify() took its snapshot
            fh.write(json.dumps(forged, sort_keys=True, separators=(",", ":")) + "\n")
        return result

    monkeypatch.setattr(state.journal, "verify", verify_then_forge)
    assert registerview.chain_status(state.journal).entries == 5
    monkeypatch.setattr(state.journal, "verify", real)
    status = registerview.chain_status(state.journal)
    assert not status.ok and "bad signature" in (status.problem or "")


def test_every_kind_the_recorder_writes_has_a_french_label() -> None:
    import re

    root = Path(registerview.__file__).parent
    source = "\n".join(p.read_text() for p in root.rglob("*.py"))
    journal = set(re.findall(r'journal\.append\(\s*"([a-z_]+)"', source))
    register = set(re.findall(r'register\.append\(\s*"([a-z_]+)"', source))
    assert journal and register
    assert journal - set(registerview.JOURNAL_KINDS) == set()
    assert register - set(registerview.REGISTER_KINDS) == set()


def test_entries_of_kinds_finds_exactly_those_kinds(state: State) -> None:
    _journal(state, 1_000_000.0)
    state.journal.append("search", {"user": "x", "note": 'texte "kind":"hold_add" cité'})
    found = list(registerview.entries_of_kinds(state.journal, ("hold_add", "login")))
    assert [e["kind"] for e in found] == ["login", "hold_add"]
