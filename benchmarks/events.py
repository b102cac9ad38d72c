"""Benchmark of the event path (issue 15), all on 127.0.0.1 with real receivers:

  1. event → delivery latency per channel (webhook, e-mail/aiosmtpd, syslog RFC 5424,
     MQTT/mosquitto): an event every 0.25 s, latency from its creation (before the journal
     entry and the spool fsync) to its arrival at the receiver; goal ≤ 2 s for webhook/MQTT;
  2. a 1,000-event burst on one webhook route (10 messages a minute, groups of ≤ 100): emit
     rate (journal + spool fsync per event), messages sent, time until every event arrived,
     none lost or duplicated; then the same burst while the endpoint is dead, delivered after
     it comes back (spool + backoff);
  3. CPU of the tampering check (keyframes-only decode) as a ratio to recording alone: one
     live 1080p camera recorded by `recorder run` with `tamper = false` then `true`.
Prints ratios; asserts nothing.

usage: .venv/bin/python benchmarks/events.py [--events 40] [--burst 1000] [--cpu-seconds 120]
       [--segment-seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "events"))
sys.path.insert(0, str(REPO / "tests" / "recorder"))
sys.path.insert(0, str(REPO))

from event_peers import (  # noqa: E402
    Mosquitto,
    SmtpSink,
    SyslogReceiver,
    WebhookReceiver,
    events_config,
    route,
)
from recorder_harness import (  # noqa: E402
    RecorderProcess,
    RtspServer,
    encode_clip,
    free_port,
    make_config,
    wait_for,
)

from recorder import config as cfgmod  # noqa: E402
from recorder.events import event as ev  # noqa: E402
from recorder.events.dispatcher import Dispatcher  # noqa: E402
from recorder.events.router import Emitter  # noqa: E402
from recorder.state import open_state  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _parts(tmp: Path, routes: list[dict[str, Any]]) -> tuple[Any, Emitter, Dispatcher]:
    config = make_config(tmp, [("cam1", "rtsp://127.0.0.1:9/cam1")], width=768, height=576)
    events_config(config, routes)
    state = open_state(cfgmod.load(config))
    disp = Dispatcher(state.config, state.journal, state.key)
    return state, Emitter(state.config, state.journal, wake=disp.wake), disp


def _stats(values: list[float]) -> str:
    if not values:
        return "none received"
    q = sorted(values)
    p95 = q[min(len(q) - 1, int(0.95 * len(q)))]
    return (f"median {statistics.median(q) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {q[-1] * 1000:.0f} ms (n={len(q)})")


def latency(tmp: Path, n: int) -> None:
    """Part 1."""
    hook, smtp, syslog, broker = WebhookReceiver().start(), SmtpSink(), SyslogReceiver(), \
        Mosquitto(tmp / "mosquitto")
    smtp.start()
    syslog.start()
    broker.start()
    fast = {"rate_per_minute": 6000, "dedup_seconds": 0.0}
    kinds = ["recording_gap"]
    state, emitter, disp = _parts(tmp, [
        route("webhook", "commune", {"type": "webhook", "url": hook.url}, kinds, **fast),
        route("email", "operator", {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                                    "to": ["a@b.example"], "sender": "n@b.example"}, kinds,
              **fast),
        route("syslog", "crisis_cell", {"type": "syslog", "host": "127.0.0.1",
                                        "port": syslog.port}, kinds, **fast),
        route("mqtt", "integrator", {"type": "mqtt", "host": "127.0.0.1",
                                     "port": broker.port}, kinds, **fast)])
    disp.start()
    born: dict[str, float] = {}
    try:
        for i in range(n):
            t = time.time()
            event = ev.make("recording_gap", "testville", f"gap {i}", camera="cam1")
            born[event.id] = t
            emitter.emit(event)
            time.sleep(0.25)
        wait_for(lambda: len(hook.events()) >= n and len(smtp.events()) >= n
                 and len(syslog.lines) >= n and len(broker.events()) >= n, 30)
    finally:
        disp.stop()
        disp.join(10)
    arrivals = {
        "webhook": [(e["id"], p["at"]) for p in hook.posts for e in p["body"]["events"]],
        "mqtt": [(e["id"], at) for _t, body, at in broker.messages for e in body["events"]],
        "syslog": [(line["sd"]["id"], line["at"]) for line in syslog.lines],
        "email": [(e["id"], at) for e, at in _smtp_arrivals(smtp)],
    }
    print(f"# 1. event → delivery latency, {n} events 0.25 s apart, one route per channel")
    for channel, pairs in arrivals.items():
        goal = " (goal ≤ 2000 ms)" if channel in ("webhook", "mqtt") else ""
        lat = [at - born[i] for i, at in pairs if i in born]
        worst = max(lat, default=0.0)
        ratio = f", max/goal {worst / 2.0:.2f}" if goal else ""
        print(f"{channel:8s} {_stats(lat)}{goal}{ratio}")
    state.close()
    hook.stop()
    smtp.stop()
    syslog.stop()
    broker.stop()


def _smtp_arrivals(smtp: SmtpSink) -> list[tuple[dict[str, Any], float]]:
    out = []
    for msg, at in zip(smtp.messages, smtp.arrivals, strict=False):
        for part in msg.walk():
            if part.get_content_type() == "application/json":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                out += [(e, at) for e in json.loads(payload)["events"]]
    return out


def burst(tmp: Path, n: int, dead: bool) -> None:
    """Part 2."""
    port = free_port()
    hook = WebhookReceiver(port=port)
    if not dead:
        hook.start()
    state, emitter, disp = _parts(tmp, [route(
        "commune", "commune", {"type": "webhook", "url": hook.url}, ["recording_gap"],
        rate_per_minute=10, group_max=100, dedup_seconds=0.0)])
    disp.start()
    t0 = time.monotonic()
    for i in range(n):
        emitter.emit(ev.make("recording_gap", "testville", f"gap {i}", camera="cam1"))
    t_emit = time.monotonic() - t0
    if dead:
        time.sleep(3)
        hook.start()
        t_up = time.monotonic()
    ok = wait_for(lambda: len(hook.events()) >= n, 180, 0.1)
    t_all = time.monotonic() - (t_up if dead else t0)
    disp.stop()
    disp.join(10)
    ids = [e["data"]["message"] for e in hook.events()]
    failed = sum(1 for e in state.journal.entries() if e["kind"] == "event_delivery_failed")
    what = "dead for 3 s, then back" if dead else "alive"
    print(f"burst of {n} ({what}): emitted at {n / t_emit:.0f} events/s (journal + spool "
          f"fsync each); {len(hook.posts)} messages, largest group "
          f"{max((p['body']['delivery']['count'] for p in hook.posts), default=0)}; all "
          f"delivered {'in' if ok else 'NOT within'} {t_all:.1f} s"
          f"{' after the endpoint came back' if dead else ''}; lost {n - len(set(ids))}, "
          f"duplicated {len(ids) - len(set(ids))}; failed attempts journaled {failed}")
    state.close()
    hook.stop()


def _tree_cpu(pid: int) -> float:
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14]))
        except (OSError, IndexError):
            pass
    return total / TICK


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for k in kids:
            out += [int(k), *_children(int(k))]
    return out


def tamper_cpu(tmp: Path, seconds: float, args_segment: int) -> None:
    """Part 3: recorder CPU with the keyframes-only check off, then on."""
    clip = encode_clip(tmp / "clip1080.h264", 1920, 1080, 15, 20, kbps=4000)
    server = RtspServer(clip, 15, mounts=1)
    server.start()
    result = {}
    try:
        for tamper in (False, True):
            run = tmp / f"tamper-{tamper}"
            run.mkdir()
            config = make_config(run, [("cam1", server.url(1))], width=1920, height=1080,
                                 segment_seconds=args_segment)
            events_config(config, [], tamper=tamper)
            proc = RecorderProcess(config, run / "recorder.log")
            proc.start()
            try:
                time.sleep(args_segment + 2)  # first segment: the baseline
                assert proc.proc is not None
                c0, w0 = _tree_cpu(proc.proc.pid), time.monotonic()
                time.sleep(seconds)
                result[tamper] = (_tree_cpu(proc.proc.pid) - c0) / (time.monotonic() - w0)
            finally:
                proc.terminate()
    finally:
        server.stop()
    print(f"# 3. one 1080p@15 camera, {seconds:.0f} s windows, {args_segment} s segments")
    print(f"recorder alone: {100 * result[False]:.2f} % of a core; with the tampering check: "
          f"{100 * result[True]:.2f} %; ratio {result[True] / max(result[False], 1e-9):.2f}")


def main() -> int:
    """Run the three parts."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=40)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--cpu-seconds", type=float, default=120)
    ap.add_argument("--segment-seconds", type=int, default=60)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-events-") as d:
        tmp = Path(d)
        (tmp / "lat").mkdir()
        if args.events > 0:
            latency(tmp / "lat", args.events)
        print("# 2. bursts on one webhook route (10 messages/min, groups ≤ 100)")
        for dead in (False, True) if args.burst > 0 else ():
            sub = tmp / f"burst-{dead}"
            sub.mkdir()
            burst(sub, args.burst, dead)
        if args.cpu_seconds > 0:
            tamper_cpu(tmp, args.cpu_seconds, args.segment_seconds)
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
