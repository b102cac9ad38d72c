"""Retention: age (RET-1/RET-2) with an injected clock, disk pressure on a small real
filesystem, legal holds never touched, every destruction in the register (REG-1)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from recorder_harness import cli, make_config, seed_segments

from recorder import config, timeutil
from recorder.retention import free_percent
from recorder.state import State, open_state

DAY = 86400.0
NOW = timeutil.parse_iso("2026-06-30T12:00:00Z")


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1"),
                                              ("cam2", "rtsp://127.0.0.1:9/cam2")],
                                   retention_days=15))
    st = open_state(conf)
    yield st
    st.close()


def _destructions(st: State) -> list[dict[str, object]]:
    return [e["data"] for e in st.register.entries() if e["kind"] == "destruction"]


def test_purge_by_age_with_injected_clock(state: State, small_segment: Path) -> None:
    """RET-1/RET-2: at `now`, segments ended more than retention_days ago are destroyed."""
    old = seed_segments(state, "cam1", small_segment, [NOW - 20 * DAY, NOW - 16 * DAY])
    young = seed_segments(state, "cam1", small_segment, [NOW - 14 * DAY, NOW - 1 * DAY])
    res = cli("purge", "--config", state.config.source, "--now", timeutil.iso(NOW))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["destroyed_age"] == 2
    for seg in old:
        assert not state.abspath(seg.path).exists()
    for seg in young:
        assert state.abspath(seg.path).exists()
    assert sorted(d["path"] for d in _destructions(state)) == sorted(s.path for s in old)
    assert all("RET-1" in str(d["reason"]) for d in _destructions(state))
    journal = [e for e in state.journal.entries() if e["kind"] == "purge"]
    assert journal and journal[-1]["data"]["destroyed_age"] == 2  # JRN-1: purges journaled
    assert cli("verify", "--config", state.config.source).returncode == 0


def test_purge_never_deletes_held_segment(tmp_path: Path, small_segment: Path) -> None:
    # every unheld segment here is expired: allow a purge of all of it (max_purge_share = 1)
    state = open_state(config.load(make_config(
        tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1"), ("cam2", "rtsp://127.0.0.1:9/cam2")],
        extra=("max_purge_share = 1.0",))))
    old = seed_segments(state, "cam1", small_segment, [NOW - 25 * DAY, NOW - 20 * DAY])
    other_cam = seed_segments(state, "cam2", small_segment, [NOW - 25 * DAY])
    res = cli("hold", "add", "--config", state.config.source, "--ref", "PV-2026-0042",
              "--camera", "cam1", "--from", timeutil.iso(NOW - 26 * DAY),
              "--to", timeutil.iso(NOW - 24 * DAY), "--by", "mdupont")
    assert res.returncode == 0, res.stderr
    res = cli("purge", "--config", state.config.source, "--now", timeutil.iso(NOW))
    summary = json.loads(res.stdout)
    assert summary["held_kept"] == 1 and summary["destroyed_age"] == 2
    assert state.abspath(old[0].path).exists()  # held: kept beyond retention (RET-1)
    assert not state.abspath(old[1].path).exists()
    assert not state.abspath(other_cam[0].path).exists()  # the hold names cam1 only
    # once released, the hold no longer protects it
    hold_id = state.index.holds()[0].id
    assert cli("hold", "release", "--config", state.config.source, str(hold_id)).returncode == 0
    cli("purge", "--config", state.config.source, "--now", timeutil.iso(NOW))
    assert not state.abspath(old[0].path).exists()
    kinds = [e["kind"] for e in state.journal.entries()]
    assert "hold_add" in kinds and "hold_release" in kinds


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the CI and lab machines run as root)")
    """A real 6 MiB tmpfs: the storage filesystem under disk pressure (we are root)."""
    mnt = tmp_path / "smallfs"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_pressure_purges_oldest_unheld_keeps_held_then_alarms(
        tmp_path: Path, small_fs: Path, small_segment: Path) -> None:
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")],
                                   storage=small_fs / "video", min_free=40, retention_days=30))
    st = open_state(conf)
    try:
        size = small_segment.stat().st_size
        n = int(6 * 2**20 * 0.9 / size)  # fill ~90 % of the filesystem
        segs = seed_segments(st, "cam1", small_segment, [NOW - 3600 + 2 * i for i in range(n)])
        held = segs[:2]  # the two oldest are under a legal hold
        st.index.add_hold("PV-77", "cam1", held[0].start, held[-1].end, NOW, "mdupont")
        res = cli("purge", "--config", conf.source, "--now", timeutil.iso(NOW))
        summary = json.loads(res.stdout)
        assert res.returncode == 0 and not summary["alarm_only_held_video_left"]
        assert summary["free_percent"] >= 40 and summary["destroyed_disk_pressure"] > 0
        destroyed = {d["path"] for d in _destructions(st)}
        present = {s.path for s in st.index.segments()}
        assert all(st.abspath(s.path).exists() for s in held)
        unheld = segs[2:]
        # oldest first: every destroyed segment is older than every surviving unheld one
        kept_unheld = [s for s in unheld if s.path in present]
        gone = [s for s in unheld if s.path in destroyed]
        assert gone and max(s.start for s in gone) < min(s.start for s in kept_unheld)
        # Now hold everything and fill again: only held video is left -> stop and alarm.
        st.index.add_hold("PV-78", "*", NOW - 7200, NOW + 7200, NOW, "mdupont")
        i = 0
        while free_percent(small_fs) >= 20:  # record on until well under the headroom
            seed_segments(st, "cam1", small_segment, [NOW - 100 + 2 * i])
            i += 1
        before = {s.path for s in st.index.segments()}
        res = cli("purge", "--config", conf.source, "--now", timeutil.iso(NOW))
        summary = json.loads(res.stdout)
        assert res.returncode == 1 and summary["alarm_only_held_video_left"]
        assert summary["destroyed_disk_pressure"] == 0
        assert {s.path for s in st.index.segments()} == before  # held video untouched
        alarms = [e for e in st.journal.entries() if e["kind"] == "alarm"]
        assert alarms and "held" in alarms[-1]["data"]["what"]
        assert cli("verify", "--config", conf.source).returncode == 0
    finally:
        st.close()


def _stored(st: State) -> set[str]:
    return {s.path for s in st.index.segments() if st.abspath(s.path).exists()}


def test_purge_refuses_a_retention_not_read_from_the_file(state: State,
                                                          small_segment: Path) -> None:
    """RET-1: a Config whose retention was not read from a validated file purges nothing."""
    import dataclasses

    from recorder import retention
    from recorder.config import Retention

    seed_segments(state, "cam1", small_segment, [NOW - 20 * DAY, NOW - 1 * DAY])
    before = _stored(state)
    with pytest.raises(TypeError, match="RET-1"):
        Retention(15, "forged", token=object())
    for forged in (15, 0, None):
        state.config = dataclasses.replace(state.config, retention=forged)  # type: ignore[arg-type]
        with pytest.raises(retention.PurgeRefused, match="RET-1"):
            retention.purge(state, NOW)
    assert _stored(state) == before
    assert not _destructions(state)


def test_purge_that_would_wipe_most_video_stops_journals_and_alarms(
        tmp_path: Path, small_segment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock jumped 40 days ahead would expire every segment: the purge destroys none,
    journals an alarm and exits 1; the metric says so."""
    from recorder.service import Service

    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")]))
    st = open_state(conf)
    segs = seed_segments(st, "cam1", small_segment, [NOW - 2 * DAY + 60 * i for i in range(6)])
    held = seed_segments(st, "cam1", small_segment, [NOW - 3 * DAY])
    st.index.add_hold("PV-9", "cam1", held[0].start, held[0].end, NOW, "mdupont")
    jumped = NOW + 40 * DAY
    res = cli("purge", "--config", conf.source, "--now", timeutil.iso(jumped))
    assert res.returncode == 1, res.stdout + res.stderr
    summary = json.loads(res.stdout)
    assert summary["alarm_mass_purge"] and summary["destroyed_age"] == 0
    assert _stored(st) == {s.path for s in segs + held}
    assert not _destructions(st)
    alarms = [e["data"] for e in st.journal.entries() if e["kind"] == "alarm"]
    assert alarms and alarms[-1]["would_destroy"] == 6 and alarms[-1]["unheld"] == 6
    assert alarms[-1]["max_purge_share"] == 0.5
    assert "Traceback" not in res.stderr
    st.close()
    svc = Service(conf)
    try:
        monkeypatch.setattr(timeutil, "now", lambda: jumped)  # the service's own clock jumped
        result = svc.purge_once()
        assert result.alarm_mass_purge and not result.destroyed_age
        assert b"recorder_purge_refused 1.0" in svc.metrics.render()
    finally:
        svc.state.close()


def test_purge_within_the_share_proceeds(tmp_path: Path, small_segment: Path) -> None:
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")],
                                   extra=("max_purge_share = 0.4",)))
    st = open_state(conf)
    old = seed_segments(st, "cam1", small_segment, [NOW - 20 * DAY, NOW - 19 * DAY])
    young = seed_segments(st, "cam1", small_segment, [NOW - DAY + 60 * i for i in range(3)])
    res = cli("purge", "--config", conf.source, "--now", timeutil.iso(NOW))
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["destroyed_age"] == 2  # 2 of 5 unheld: 0.4 <= 0.4
    assert _stored(st) == {s.path for s in young} and len(_destructions(st)) == len(old)
    st.close()


def test_operator_may_allow_a_larger_purge_explicitly(tmp_path: Path,
                                                      small_segment: Path) -> None:
    """After a long outage every segment is legally expired: a named person lifts the cap
    for one pass, and the journal says who."""
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")]))
    st = open_state(conf)
    seed_segments(st, "cam1", small_segment, [NOW - 20 * DAY, NOW - 19 * DAY])
    assert cli("purge", "--config", conf.source, "--now", timeutil.iso(NOW)).returncode == 1
    res = cli("purge", "--config", conf.source, "--now", timeutil.iso(NOW), "--max-share", "1",
              "--by", "admin-jroux")
    assert res.returncode == 0, res.stderr
    assert not _stored(st) and len(_destructions(st)) == 2
    purges = [e["data"] for e in st.journal.entries() if e["kind"] == "purge"]
    assert purges[-1]["user"] == "admin-jroux" and purges[-1]["max_purge_share"] == 1.0
    st.close()


def _index_history(st: State, rows: int) -> None:
    """Index rows (no files) for a long history: what retention weighs each pass."""
    import random

    rng = random.Random(5)
    for i in range(rows):
        cam = rng.choice(["cam1", "cam2"])
        start = NOW - 14 * DAY + 60 * i
        seg = st.index.add_segment(cam, start, start + 60, f"{cam}/h{i}.ts",
                                   rng.randint(1, 10**7), "0" * 64, True, False, "hist")
        if i % 7 == 0:
            st.index.mark_purged(seg.id, NOW, "test")
    for cam, a, b in (("cam1", 100, 160), ("*", 400, 410), ("cam2", 700, 900)):
        st.index.add_hold("PV", cam, NOW - 14 * DAY + 60 * a, NOW - 14 * DAY + 60 * b, NOW,
                          "mdupont")
    released = st.index.add_hold("PV2", "*", NOW - 14 * DAY, NOW, NOW, "mdupont")
    st.index.release_hold(released.id, NOW, "mdupont")


def test_unheld_totals_are_those_of_every_present_segment_no_active_hold_covers(
        state: State) -> None:
    from recorder.retention import is_held

    _index_history(state, 1000)
    holds = state.index.holds()
    unheld = [s for s in state.index.segments() if not is_held(s, holds)]
    assert state.index.unheld() == (len(unheld), sum(s.size for s in unheld))
    assert state.index.unheld_earliest() == min(s.start for s in unheld)


def test_a_purge_pass_never_loads_the_whole_index(state: State,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 10 §5: a purge every 30 s listing a month of 16 cameras (~700,000 rows) into
    # Python cost more CPU than all the recording ffmpeg together
    from recorder import retention

    _index_history(state, 300)
    listed: list[int] = []
    real = state.index.segments

    def spy(*args: object, **kwargs: object) -> list[object]:
        rows = real(*args, **kwargs)  # type: ignore[arg-type]
        listed.append(len(rows))
        return rows  # type: ignore[return-value]

    monkeypatch.setattr(state.index, "segments", spy)
    statements: list[str] = []
    state.index._db.set_trace_callback(statements.append)
    try:
        result = retention.purge(state, NOW, free_fn=lambda: 50.0)
        assert retention.oldest_unheld_age(state, NOW) > 13 * DAY
    finally:
        state.index._db.set_trace_callback(None)
    assert not result.destroyed_age and max(listed, default=0) == 0
    # and SQLite reads the present rows by index, not the table's whole history
    plans = [row[-1] for sql in statements if sql.lstrip().upper().startswith("SELECT")
             and "FROM segments" in sql
             for row in state.index._db.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans and not [p for p in plans if p.startswith("SCAN segments")
                          or p.startswith("SCAN s")], plans
