"""Delivery guarantees: a dead endpoint is retried with capped exponential backoff and the
spool keeps every event across a kill -9 of the NVR; a burst is grouped and rate-limited;
repeated conditions are deduplicated; every delivery and failure is journaled (JRN-1)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from event_peers import WebhookReceiver, events_config, route
from recorder_harness import RecorderProcess, api, free_port, make_config, wait_for
from test_events_live import _incident, _journal, _public_pem

from recorder import config as cfgmod
from recorder.events import event as ev
from recorder.events.checks import DAYS
from recorder.events.dispatcher import BURST, Dispatcher
from recorder.events.router import Emitter, spool_dir
from recorder.state import open_state


def test_dead_webhook_is_retried_with_backoff_and_nothing_is_lost_across_a_restart(
        tmp_path: Path, webhook_factory: Callable[..., WebhookReceiver],
        recorder_factory: Callable[[Path], RecorderProcess]) -> None:
    dead_port, api_port = free_port(), free_port()
    config = make_config(tmp_path, [("cam1", f"rtsp://127.0.0.1:{free_port()}/cam1")],
                         width=768, height=576, api_port=api_port)
    events_config(config, [route("sdis57", "sdis", {"type": "webhook",
                                                    "url": f"http://127.0.0.1:{dead_port}/a"},
                                 ["incident"], incident_types=["fire"], live_link=True)],
                  live_link_base="https://127.0.0.1/wall", retry_initial_seconds=0.5,
                  retry_max_seconds=2.0)
    rec = recorder_factory(config)
    ids = [_incident(config, "cam1", "fire", f"Feu de poubelle n° {i}") for i in range(3)]
    journal = tmp_path
    assert wait_for(lambda: len([e for e in _journal(journal)
                                 if e["kind"] == "event_delivery_failed"]) >= 4, 30)
    failed = [e["data"] for e in _journal(journal) if e["kind"] == "event_delivery_failed"]
    delays = [f["retry_in_seconds"] for f in failed]
    assert delays[:4] == [0.5, 1.0, 2.0, 2.0]  # doubles, then capped at retry_max_seconds
    assert set(ids) <= {i for f in failed for i in f["events"]}
    _, metrics = api(api_port, "GET", "/metrics")  # what the department's monitoring sees
    assert b"recorder_events_pending 3.0" in metrics
    assert b'recorder_event_deliveries_total{result="failed",route="sdis57"}' in metrics
    rec.kill9()  # power cut while the partner is unreachable
    spool = spool_dir(cfgmod.load(config))
    assert {d.event.id for d in spool.pending("sdis57")} == set(ids)  # on disk, intact

    receiver = webhook_factory(port=dead_port, public_pem=_public_pem(tmp_path)).start()
    rec = recorder_factory(config)
    assert wait_for(lambda: len(receiver.events()) >= 3, 30), "spooled events not delivered"
    time.sleep(1.5)
    assert sorted(e["id"] for e in receiver.events()) == sorted(ids)  # each exactly once
    assert all(p["verified"] for p in receiver.posts)
    assert spool.pending("sdis57") == []
    assert rec.terminate() == 0
    delivered = [e["data"] for e in _journal(journal) if e["kind"] == "event_delivered"]
    assert sorted(i for d in delivered for i in d["events"]) == sorted(ids)
    assert max(d["attempts"] for d in delivered) > 1


def _service_parts(tmp_path: Path, routes: list[dict[str, Any]]) -> tuple[Any, Emitter,
                                                                            Dispatcher]:
    config = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")], width=768,
                         height=576)
    events_config(config, routes)
    state = open_state(cfgmod.load(config))
    dispatcher = Dispatcher(state.config, state.journal, state.key)
    emitter = Emitter(state.config, state.journal, wake=dispatcher.wake)
    return state, emitter, dispatcher


def test_burst_of_100_events_is_grouped_and_rate_limited(
        tmp_path: Path, webhook_factory: Callable[..., WebhookReceiver]) -> None:
    rx = webhook_factory().start()
    state, emitter, dispatcher = _service_parts(tmp_path, [route(
        "commune", "commune", {"type": "webhook", "url": rx.url}, ["recording_gap"],
        rate_per_minute=10, group_max=40, dedup_seconds=0.0)])
    dispatcher.start()
    started = time.monotonic()
    try:
        ids = [emitter.emit(ev.make("recording_gap", "testville", f"gap {i}", camera="cam1",
                                    seconds=float(i))) and i for i in range(100)]
        assert len(ids) == 100
        assert wait_for(lambda: len(rx.events()) >= 100, 30), len(rx.events())
        time.sleep(1)
    finally:
        dispatcher.stop()
        dispatcher.join(10)
    got = [e["data"]["message"] for e in rx.events()]
    assert sorted(got) == sorted(f"gap {i}" for i in range(100))  # none lost, none twice
    elapsed = rx.posts[-1]["at"] - rx.posts[0]["at"]
    # a burst of BURST messages, then one per 6 s (10 a minute): the rest travels grouped
    assert len(rx.posts) <= BURST + 1 + elapsed / 6.0, (len(rx.posts), elapsed)
    assert len(rx.posts) <= 10 and time.monotonic() - started < 60
    assert max(p["body"]["delivery"]["count"] for p in rx.posts) <= 40  # group_max
    assert any(p["body"]["delivery"]["grouped"] for p in rx.posts)
    journaled = [e["data"] for e in state.journal.entries() if e["kind"] == "event_delivered"]
    assert len(journaled) == len(rx.posts)
    assert sum(d["count"] for d in journaled) == 100
    state.close()


def test_a_repeated_condition_is_sent_once_within_the_dedup_window(
        tmp_path: Path, webhook_factory: Callable[..., WebhookReceiver]) -> None:
    rx = webhook_factory().start()
    state, emitter, dispatcher = _service_parts(tmp_path, [route(
        "mf", "operator", {"type": "webhook", "url": rx.url}, ["camera_down"],
        dedup_seconds=300.0)])
    dispatcher.start()
    try:
        queued = [emitter.emit(ev.make("camera_down", "testville", "down", camera="cam1"))
                  for _ in range(100)]
        emitter.emit(ev.make("camera_down", "testville", "down", camera="cam2"))
        assert wait_for(lambda: len(rx.events()) >= 2, 10)
        time.sleep(1)
    finally:
        dispatcher.stop()
        dispatcher.join(10)
    assert sum(1 for q in queued if q) == 1
    assert sorted(e["source"]["camera"] for e in rx.events()) == ["cam1", "cam2"]
    assert emitter.deduplicated == 99
    state.close()


def test_messages_wait_in_the_spool_outside_the_partners_hours(
        tmp_path: Path, webhook_factory: Callable[..., WebhookReceiver]) -> None:
    rx = webhook_factory().start()
    today = datetime.now(ZoneInfo("Europe/Paris")).weekday()  # the routes' default zone
    days = [d for i, d in enumerate(DAYS) if i != today]  # every day but today
    state, emitter, dispatcher = _service_parts(tmp_path, [route(
        "mairie", "commune", {"type": "webhook", "url": rx.url}, ["disk_low"], days=days)])
    emitter.emit(ev.make("disk_low", "testville", "disk"))
    dispatcher.start()
    time.sleep(1.5)
    dispatcher.stop()
    dispatcher.join(10)
    assert rx.posts == []
    assert len(spool_dir(state.config).pending("mairie")) == 1
    state.close()


def test_hours_windows_including_one_across_midnight() -> None:
    from recorder.events.dispatcher import in_hours
    from recorder.schema import EventChannel, EventRoute

    def at(day: int, hour: int) -> float:  # 2026-12-07 is a Monday
        return datetime(2026, 12, 7 + day, hour, 30, tzinfo=ZoneInfo("Europe/Paris")).timestamp()

    def r(start: str, end: str) -> EventRoute:
        return EventRoute(id="r", partner="P", partner_kind="commune", kinds=("disk_low",),
                          channel=EventChannel(type="webhook", url="https://x/"),
                          days=("mon", "tue"), start=start, end=end)

    office, night = r("08:00", "18:00"), r("22:00", "06:00")
    assert in_hours(office, at(0, 9), "Europe/Paris")
    assert not in_hours(office, at(0, 19), "Europe/Paris")
    assert not in_hours(office, at(3, 9), "Europe/Paris")  # a Thursday
    assert in_hours(night, at(0, 23), "Europe/Paris") and in_hours(night, at(1, 5),
                                                                   "Europe/Paris")
    assert not in_hours(night, at(0, 12), "Europe/Paris")
