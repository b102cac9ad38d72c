"""The recorder's memory and threads under a hostile crowd (issue 10 §4), for recorder.py.

Against a real `recorder run` (2 loopback cameras): its RSS and thread count sampled while
  1. 32 clients, each from its own 127.0.1.x address, send wrong-password logins for 15 s;
  2. 300 half-open connections (partial headers, never finished) are held open, from one
     address (a slowloris host) and then from 250 addresses;
and the answers they got. Issue 10 measured 38 -> 1,510 MiB and 300 threads held > 30 s before.
Prints numbers only; nothing asserts. Traffic stays on 127.0.0.0/8.

usage: .venv/bin/python benchmarks/recorder.py --attack-only
"""

from __future__ import annotations

import base64
import collections
import contextlib
import socket
import statistics
import threading
import time
from pathlib import Path

from recorder_harness import RecorderProcess, RtspServer, make_config, wait_for

from recorder import config
from recorder.index import Index


def _status(pid: int) -> tuple[float, int]:
    """(VmRSS MiB, threads) of a process."""
    rss, threads = 0.0, 0
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


class Sampler(threading.Thread):
    """Peak RSS and threads of a process while a phase runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop_event = pid, threading.Event()
        self.peak_rss, self.peak_threads, self.samples = 0.0, 0, 0

    def run(self) -> None:
        while not self.stop_event.wait(0.05):
            rss, threads = _status(self.pid)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_threads = max(self.peak_threads, threads)
            self.samples += 1

    def finish(self) -> tuple[float, int]:
        self.stop_event.set()
        self.join()
        return self.peak_rss, self.peak_threads


def _bad_login(port: int, source: str, name: str) -> tuple[int, float]:
    """One wrong-password POST /api/login from `source`: (status or 0 if dropped, seconds)."""
    token = base64.b64encode(f"{name}:wrong password {name}".encode()).decode()
    req = (f"POST /api/login HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {token}\r\n"
           "Content-Length: 0\r\nConnection: close\r\n\r\n").encode()
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30,
                                      source_address=(source, 0)) as s:
            s.sendall(req)
            head = s.recv(64)
        return (int(head.split()[1]) if head else 0), time.perf_counter() - t0
    except OSError:
        return 0, time.perf_counter() - t0


def bad_logins(port: int, pid: int, clients: int = 32, seconds: float = 15) -> None:
    """Phase 1: a crowd of wrong passwords, each client from its own address."""
    sampler = Sampler(pid)
    sampler.start()
    counts: collections.Counter[int] = collections.Counter()
    latency: dict[int, list[float]] = collections.defaultdict(list)
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def client(i: int) -> None:
        n = 0
        while time.monotonic() < end:
            status, took = _bad_login(port, f"127.0.1.{i + 1}", f"guess{i}x{n}")
            n += 1
            with lock:
                counts[status] += 1
                latency[status].append(took)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    peak, peak_threads = sampler.finish()
    time.sleep(1)
    after, _ = _status(pid)
    total = sum(counts.values())
    answers = ", ".join(f"{k or 'dropped'}: {v} (median "
                        f"{1000 * statistics.median(latency[k]):.0f} ms)"
                        for k, v in sorted(counts.items()))
    print(f"  {clients} concurrent bad-login clients x {seconds:.0f}s: {total} requests -> "
          f"{answers}", flush=True)
    print(f"  RSS peak {peak:.1f} MiB (after {after:.1f} MiB), threads peak {peak_threads}",
          flush=True)


def half_open(port: int, pid: int, sources: int, n: int = 300, hold: float = 15) -> None:
    """Phase 2: n connections from `sources` addresses that send part of a request and never
    finish it; a legitimate client (127.0.0.1) tries meanwhile."""
    sampler = Sampler(pid)
    sampler.start()
    socks: list[socket.socket] = []
    t0 = time.monotonic()
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                         source_address=(f"127.0.2.{i % sources + 1}", 0))
            s.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            s.setblocking(False)
            socks.append(s)
        except OSError:
            pass
    released: dict[int, float] = {}
    refused_503 = 0
    legit: list[str] = []
    while time.monotonic() - t0 < hold:
        for i, s in enumerate(socks):
            if i in released:
                continue
            try:
                data = s.recv(4096)
                released[i] = time.monotonic() - t0
                refused_503 += data.startswith(b"HTTP/1.0 503")
            except BlockingIOError:
                with contextlib.suppress(OSError):
                    s.send(b"a")  # one header byte at a time (slowloris)
            except OSError:
                released[i] = time.monotonic() - t0
        if not legit or time.monotonic() - t0 > 3 * len(legit):
            status, took = _healthz(port)
            legit.append(f"{status} in {1000 * took:.0f} ms at {time.monotonic() - t0:.0f}s")
        time.sleep(0.2)
    peak, peak_threads = sampler.finish()
    for s in socks:
        s.close()
    times = sorted(released.values())
    print(f"  {len(socks)} half-open connections from {sources} address(es) held {hold:.0f}s: "
          f"{refused_503} refused at "
          f"once (503), {len(released) - refused_503} more released by the server "
          f"(last after {max(times) if times else float('nan'):.1f}s), "
          f"{len(socks) - len(released)} still open at the end", flush=True)
    print(f"  RSS peak {peak:.1f} MiB, threads peak {peak_threads}; a legitimate request "
          f"meanwhile: {'; '.join(legit)}", flush=True)


def _healthz(port: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = s.recv(64)
        return (int(head.split()[1]) if head else 0), time.perf_counter() - t0
    except OSError:
        return 0, time.perf_counter() - t0


def attack_report(server: RtspServer, tmp: Path) -> None:
    """Start a 2-camera recorder and run both phases against its API."""
    rdir = tmp / "attack"
    rdir.mkdir()
    cfg = make_config(rdir, [("cam01", server.url(1)), ("cam02", server.url(2))],
                      width=1920, height=1080)
    conf = config.load(cfg)
    rec = RecorderProcess(cfg, rdir / "recorder.log")
    rec.start()
    try:
        assert rec.proc is not None
        pid, port = rec.proc.pid, conf.api_listen[1]
        wait_for(lambda: len(Index(conf.index_path).segments("cam02")) >= 1, 30)
        rss, threads = _status(pid)
        limits = conf.api_limits
        print(f"\n# hostile API (max_connections {limits.max_connections}, hash_concurrency "
              f"{limits.hash_concurrency}, per address {limits.max_connections_per_address}, "
              f"request_timeout {limits.request_timeout_seconds:g}s)"
              f"\n  recorder at rest: RSS {rss:.1f} MiB, {threads} threads", flush=True)
        bad_logins(port, pid)
        half_open(port, pid, sources=1)
        half_open(port, pid, sources=250)
        rss, threads = _status(pid)
        print(f"  recorder afterwards: RSS {rss:.1f} MiB, {threads} threads", flush=True)
    finally:
        rec.cleanup()
