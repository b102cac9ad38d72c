"""Benchmark: what Prometheus' scrape of the NVR costs, as a ratio to the recorder alone.

One real recorder (N loopback RTSP cameras, its ffmpeg children) with its metrics-only
listener; all on 127.0.0.1. Measured:
  1. CPU seconds per second of the recorder's whole process tree with nobody scraping (A);
  2. the same while a real Prometheus (Debian's) scrapes it every --fast-interval seconds (C);
     the window is repeated A, C, A so background load on this shared machine hits both;
  3. CPU of the recorder process per scrape (N back-to-back GETs of /metrics, minus the
     baseline over the same time) and the size of one exposition;
  4. Prometheus' own scrape_duration_seconds and scrape_samples_scraped for the job.
Prints (C - A) / A at the fast interval and the same overhead extrapolated to the production
interval (department.yml monitoring.scrape_interval_seconds, 30 s). Not a test: no assert.

usage: .venv/bin/python benchmarks/monitoring.py [--streams 4] [--seconds 40]
       [--fast-interval 1] [--interval 30] [--scrapes 300]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "monitoring"))
sys.path.insert(0, str(REPO / "tests" / "recorder"))
sys.path.insert(0, str(REPO))

from monitoring_harness import prometheus, query, wait_for  # noqa: E402
from recorder_harness import (  # noqa: E402
    RecorderProcess,
    RtspServer,
    encode_clip,
    free_port,
    make_config,
)

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def tree(pid: int) -> list[int]:
    """The recorder and every process of its session (its ffmpeg children)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError), \
                    open(f"/proc/{entry}/stat") as fh:
                if int(fh.read().rsplit(")", 1)[1].split()[3]) == pid:  # session id
                    out.append(int(entry))
    return out


def cpu_rate(pids: list[int], seconds: float) -> float:
    """CPU seconds per wall second of a process set over a window."""
    first = {p: cpu_seconds(p) for p in pids}
    t0 = time.monotonic()
    time.sleep(seconds)
    total = 0.0
    for p, c0 in first.items():
        with contextlib.suppress(OSError):
            total += cpu_seconds(p) - c0
    return total / (time.monotonic() - t0)


def per_scrape(pid: int, url: str, n: int, baseline: float) -> tuple[float, int]:
    """CPU seconds of the recorder process per GET /metrics (minus its baseline), bytes."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    size = 0
    for _ in range(n):
        with urllib.request.urlopen(url, timeout=10) as resp:
            size = len(resp.read())
    spent = cpu_seconds(pid) - c0 - baseline * (time.monotonic() - t0)
    return max(spent, 0.0) / n, size


def load() -> str:
    """The load average (the machine is shared)."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--fast-interval", type=float, default=1)
    ap.add_argument("--interval", type=float, default=30)
    ap.add_argument("--scrapes", type=int, default=300)
    args = ap.parse_args()
    print(f"# {args.streams} streams 1280x720@15, windows of {args.seconds:.0f}s; {load()}")
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as tmp_name:
        tmp = Path(tmp_name)
        clip = encode_clip(tmp / "clip.h264", 1280, 720, 15, 10, kbps=1500)
        server = RtspServer(clip, 15, mounts=args.streams)
        metrics_port, prom_port = free_port(), free_port()
        config = make_config(tmp, [(f"cam{i}", server.url(i)) for i in
                                   range(1, args.streams + 1)], segment_seconds=10)
        config.write_text(config.read_text() + f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n')
        rec = RecorderProcess(config, tmp / "recorder.log")
        prom_dir = tmp / "prom"
        prom_dir.mkdir()
        interval = f"{args.fast_interval:g}s"
        prom = prometheus(prom_dir, {"global": {"scrape_interval": interval},
                                     "scrape_configs": [{"job_name": "beffroi-recorder-bench",
                                                         "scrape_interval": interval,
                                                         "static_configs": [{"targets": [
                                                             f"127.0.0.1:{metrics_port}"]}]}]},
                          {"groups": []}, prom_port)
        try:
            server.start()
            rec.start()
            assert rec.proc is not None
            pid = rec.proc.pid
            url = f"http://127.0.0.1:{metrics_port}/metrics"
            wait_for(lambda: _answers(url), 30)
            time.sleep(15)  # every camera recording, first segments closed
            pids = tree(pid)
            names = sorted(Path(f"/proc/{p}/comm").read_text().strip() for p in pids)
            alone = [cpu_rate(pids, args.seconds)]
            prom.start()
            wait_for(lambda: query(prom_port, "up == 1"), 30)
            scraped = cpu_rate(pids, args.seconds)
            duration = query(prom_port, "avg_over_time(scrape_duration_seconds[30s])")
            samples = query(prom_port, "scrape_samples_scraped")
            prom.stop()
            alone.append(cpu_rate(pids, args.seconds))
            base = statistics.mean(alone)
            main_base = cpu_rate([pid], 10)
            cost, size = per_scrape(pid, url, args.scrapes, main_base)
        finally:
            prom.stop()
            rec.cleanup()
            server.stop()
    fast = (scraped - base) / base
    slow = cost / args.interval / base
    print(f"recorder tree: {len(names)} processes ({', '.join(names)})")
    print(f"recorder tree alone: {base:.4f} CPU s/s (windows: "
          f"{', '.join(f'{a:.4f}' for a in alone)})")
    print(f"recorder tree scraped every {args.fast_interval:g}s by Prometheus: "
          f"{scraped:.4f} CPU s/s")
    print(f"one /metrics exposition: {size} bytes, "
          f"{int(float(samples[0]['value'][1])) if samples else '?'} samples; recorder CPU per "
          f"scrape {1000 * cost:.2f} ms (mean of {args.scrapes})")
    if duration:
        print(f"Prometheus scrape_duration_seconds (avg): "
              f"{1000 * float(duration[0]['value'][1]):.2f} ms")
    print("\n# ratios (scrape cost / recorder alone)")
    print(f"every {args.fast_interval:g}s (measured, Prometheus)   {fast:+.4f}")
    print(f"every {args.interval:g}s (per-scrape CPU / interval) {slow:+.6f}")
    print(f"# end: {load()}")
    return 0


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
