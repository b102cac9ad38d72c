"""Benchmark of the recorder against bare ffmpeg on the same N synthetic 1080p H.264 streams.

Measures, in one run (all on 127.0.0.1):
  1. CPU seconds of N bare `ffmpeg -c copy -f segment` processes (the recorder's exact ffmpeg
     command line) and of `recorder run` (its own process, its recording ffmpeg children and
     every short-lived child it reaped in the window: the tampering check's decode, ffprobe,
     chronyc), both running on the same streams in the same window (this machine is shared:
     background load then hits both alike); PSS memory (/proc/PID/smaps_rollup) of each side
     running alone; the SHA-256 floor from the bytes actually sealed in the window;
  2. recorded seconds / wall seconds while the recorder runs (>= 5 min by default);
  3. time from camera return to the first bytes of video on disk, the new file's creation
     and the first new recorded frame in the index (all cameras dropped 5 s, restored);
  4. video lost on kill -9 of the recorder's whole process group (recorder + ffmpeg);
  5. the recorder's RSS and threads under 32 concurrent bad logins and 300 half-open
     connections (benchmarks/recorder_attack.py; alone with --attack-only).
  6. export overshoot: whole segments cover more than an asked range (issue 10 §3).
The load average is printed at the start and the end (the machine is shared).
Prints the ratios against the targets of issue 3. Not a test: nothing asserts.

usage: .venv/bin/python benchmarks/recorder.py [--streams 16] [--seconds 60]
       [--continuity-seconds 300] [--segment-seconds 60] [--cpu-only] [--history-days 14]
--cpu-only: 1 and 3 only (repeat it: medians and spread on a shared machine).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "recorder"))
sys.path.insert(0, str(REPO))

from recorder_harness import RecorderProcess, RtspServer, encode_clip, make_config  # noqa: E402

from recorder import config  # noqa: E402
from recorder.ffmpeg import record_command  # noqa: E402
from recorder.index import Index  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_fields(pid: int) -> tuple[float, float]:
    """(utime + stime, cutime + cstime) of one process, in seconds: its own CPU and that of
    its children it has reaped (short-lived ones: tampering decode, ffprobe, chronyc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return ((int(fields[11]) + int(fields[12])) / TICK,
            (int(fields[13]) + int(fields[14])) / TICK)


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    return cpu_fields(pid)[0]


def pss_kib(pid: int) -> int:
    """Proportional set size of one process (shared libraries split among their users); 0 for
    one that exited meanwhile (a short-lived child: the tampering check's ffmpeg)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sha256_rate() -> float:
    """SHA-256 throughput of this machine (bytes per CPU second)."""
    import hashlib

    data = os.urandom(32 << 20)
    t0 = time.process_time()
    hashlib.sha256(data).hexdigest()
    return len(data) / max(1e-9, time.process_time() - t0)


def birth_time(path: Path) -> float:
    """Creation instant of a file (statx btime via coreutils: Python 3.11 lacks st_birthtime)."""
    from datetime import datetime

    out = subprocess.run(["stat", "-c", "%w", str(path)], capture_output=True, text=True,
                         check=True).stdout.strip()
    day, clock, zone = out.split()
    whole, _, frac = clock.partition(".")
    stamp = datetime.strptime(f"{day} {whole} {zone}", "%Y-%m-%d %H:%M:%S %z").timestamp()
    return stamp + float(f"0.{frac or 0}")


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                out.append(int(entry))
    return out


def start_bare(server: RtspServer, n: int, out: Path, seg: int) -> list[subprocess.Popen[bytes]]:
    """N bare ffmpeg segmenters with exactly the recorder's ffmpeg command line."""
    procs = []
    for i in range(1, n + 1):
        cam = config.Camera(f"b{i}", "narrow", server.url(i), "bench", 15, 1920, 1080)
        d = out / cam.id
        d.mkdir(parents=True)
        cmd = record_command(cam, d, "bare", seg, 3.0, d / "list.csv")
        procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=dict(os.environ, TZ="UTC")))
    return procs


def pss_mean(pids_fn: Callable[[], list[int]], seconds: float) -> float:
    """Mean PSS (MiB) of a process set, sampled every 2 s."""
    samples = []
    end_at = time.monotonic() + seconds
    while time.monotonic() < end_at:
        samples.append(sum(pss_kib(p) for p in pids_fn()) / 1024)
        time.sleep(2)
    return statistics.mean(samples)


def tree_cpu(root: int) -> dict[str, float]:
    """CPU seconds so far of a process tree, split: the root's own threads, its live children
    (the recording ffmpeg), and every child it has reaped (counted in the root's cutime: a
    child that starts and ends inside a window is seen only there)."""
    own, reaped = cpu_fields(root)
    live = 0.0
    for kid in children(root):
        with contextlib.suppress(OSError, IndexError, ValueError):  # exited meanwhile
            mine, its_reaped = cpu_fields(kid)
            live += mine + its_reaped
    return {"own": own, "live": live, "reaped": reaped}


def cpu_window(sets: dict[str, Callable[[], list[int]]], roots: dict[str, int],
               seconds: float) -> dict[str, float]:
    """CPU seconds over the same window (same background load) of several fixed process sets
    (without children) and of whole process trees (`roots`: own + live + reaped children;
    a child alive at the start and reaped inside the window counts once, by the difference)."""
    first = {name: {p: cpu_seconds(p) for p in fn()} for name, fn in sets.items()}
    first_tree = {name: tree_cpu(pid) for name, pid in roots.items()}
    time.sleep(seconds)
    out = {}
    for name, pids in first.items():
        total = 0.0
        for p, c0 in pids.items():
            with contextlib.suppress(OSError):  # a process that exited mid-window
                total += cpu_seconds(p) - c0
        out[name] = total
    for name, pid in roots.items():
        now = tree_cpu(pid)
        for part, value in now.items():
            out[f"{name}.{part}"] = value - first_tree[name][part]
        out[name] = sum(now.values()) - sum(first_tree[name].values())
    return out


def recorded_ratio(index: Index, cams: list[str], w0: float, w1: float) -> float:
    """Seconds of video indexed inside [w0, w1] over the wall seconds, all cameras."""
    total = 0.0
    for cam in cams:
        for s in index.segments(cam, w0, w1, present_only=False):
            total += max(0.0, min(s.end, w1) - max(s.start, w0))
    return total / (len(cams) * (w1 - w0))


def export_overshoot(index: Index, cams: list[str], w0: float, w1: float,
                     asked: float = 30.0, samples: int = 200) -> list[float]:
    """Seconds of video an export of `asked` seconds carries beyond the asked range, because
    it copies whole segments (EXP-1), for random ranges inside [w0, w1]."""
    import random

    rng = random.Random(10)
    out = []
    for _ in range(samples):
        cam = rng.choice(cams)
        start = rng.uniform(w0, w1 - asked)
        segs = index.segments(cam, start, start + asked)
        if segs:
            out.append(max(0.0, start - segs[0].start) + max(0.0, segs[-1].end - start - asked))
    return out


def first_bytes(server: RtspServer, out: Path, probe_bytes: int | None) -> float:
    """Seconds from starting the recorder's ffmpeg to its first bytes on disk, with the
    recorder's -probesize or (None) ffmpeg's default probing."""
    from recorder import ffmpeg

    d = Path(tempfile.mkdtemp(dir=out))
    cam = config.Camera("p1", "narrow", server.url(1), "bench", 15, 1920, 1080)
    cmd = record_command(cam, d, "probe", 60, 3.0, d / "list.csv")
    if probe_bytes is None:
        i = cmd.index("-probesize")
        del cmd[i:i + 2]
    assert probe_bytes in (None, ffmpeg.PROBE_BYTES)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(os.environ, TZ="UTC"))
    took = float("nan")
    while time.monotonic() - t0 < 15:
        if any(f.stat().st_size > 0 for f in d.glob("p1_*.ts")):
            took = time.monotonic() - t0
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=15)
    return took


def camera_return(server: RtspServer, index: Index, storage: Path, cams: list[str],
                  segment_seconds: int) -> dict[str, list[float]]:
    """Drop every camera for 5 s, bring them back; seconds from their return to (per camera)
    the first new file with video bytes on disk ("data"), that file's creation ("file") and
    the first recorded frame of the new run in the index ("index")."""
    runs_before = {c: {s.run for s in index.segments(c, present_only=False)} for c in cams}
    known = {c: set(os.listdir(storage / c)) for c in cams}
    server.stop()
    time.sleep(5)
    server.start()
    t_back = time.time()
    data: dict[str, float] = {}
    deadline = time.monotonic() + 30
    while len(data) < len(cams) and time.monotonic() < deadline:
        for c in cams:
            if c in data:
                continue
            for name in set(os.listdir(storage / c)) - known[c]:
                with contextlib.suppress(FileNotFoundError):
                    if (storage / c / name).stat().st_size > 0:
                        data[c] = time.time() - t_back
        time.sleep(0.01)

    def all_resumed() -> bool:
        return all(any(s.run not in runs_before[c]
                       for s in index.segments(c, present_only=False)) for c in cams)

    # a run's first segment is indexed once its second boundary confirms its UTC origin
    deadline = time.monotonic() + 2 * segment_seconds + 20
    while not all_resumed() and time.monotonic() < deadline:
        time.sleep(1)
    out: dict[str, list[float]] = {"index": [], "file": [], "data": list(data.values())}
    for c in cams:
        new = [s for s in index.segments(c, present_only=False) if s.run not in runs_before[c]]
        if new:
            out["index"].append(new[0].start - t_back)
            out["file"].append(birth_time(storage / new[0].path) - t_back)
    return out


def seed_history(index_path: Path, cams: list[str], days: float, segment_seconds: int) -> int:
    """Index rows (no files, no register entries) for `days` of past recording of every
    camera, inside retention: the index a site has after weeks, which the idle loops (purge,
    event watcher) read. Returns the number of rows."""
    import sqlite3

    now = time.time() - 2 * segment_seconds
    per_cam = int(days * 86400 / segment_seconds)
    rows = [(c, now - (k + 1) * segment_seconds, now - k * segment_seconds,
             f"{c}/history-{k}.ts", 32_000_000, "0" * 64, 1, 0, "history")
            for c in cams for k in range(per_cam, 0, -1)]
    Index(index_path).close()  # the recorder's own schema
    db = sqlite3.connect(index_path)
    with db:
        db.executemany('INSERT INTO segments (camera, start, "end", path, size, sha256, valid, '
                       "repaired, run) VALUES (?,?,?,?,?,?,?,?,?)", rows)
    db.close()
    return len(rows)


def load() -> str:
    """The 1/5/15-minute load averages, for the record."""
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def compare_containers(server: RtspServer, out: Path, seconds: float = 5.0) -> None:
    """MPEG-TS vs fragmented MP4: what a kill -9 of the writer leaves playable, and overhead."""
    variants = {
        "mpegts": ["-f", "mpegts"],
        "fmp4": ["-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof"],
    }
    print("# container after kill -9 mid-file (1 stream, killed after "
          f"{seconds:.1f}s of recording)")
    for name, fmt in variants.items():
        path = out / f"torn.{name}"
        proc = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-timeout", "3000000",
             "-i", server.url(1), "-map", "0:v:0", "-an", "-c", "copy", *fmt, str(path)],
            stdin=subprocess.DEVNULL)
        time.sleep(seconds + 1.5)  # ~1.5 s of RTSP setup + probing before the first frame
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams",
                                "v:0", "-show_entries", "stream=nb_read_frames", "-of",
                                "csv=p=0", str(path)], capture_output=True, text=True,
                               check=False)
        tokens = probe.stdout.replace(",", " ").split()
        frames = tokens[0] if tokens else "0"
        errors = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
                                capture_output=True, text=True, check=False).stderr
        # overhead: container bytes vs the raw H.264 elementary stream of the same frames
        raw = out / f"{name}.h264"
        subprocess.run(["ffmpeg", "-v", "quiet", "-y", "-i", str(path), "-c", "copy", "-f",
                        "h264", str(raw)], check=False)
        size = path.stat().st_size
        raw_size = raw.stat().st_size if raw.exists() else 0
        overhead = 100 * (size - raw_size) / raw_size if raw_size else float("nan")
        print(f"{name:7s} size {size / 1e6:.2f} MB, frames decodable after kill -9: {frames}, "
              f"decode error lines: {len(errors.splitlines())}, container overhead "
              f"{overhead:.1f}%")


def write_figures(path: Path, figures: dict[str, float]) -> None:
    """Merge measured figures into a benchmarks.json (format: beffroi/dossiers/evidence.py)."""
    import json
    from datetime import UTC, datetime

    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data.setdefault("figures", {}).update({k: round(v, 4) for k, v in figures.items()})
    data.update(date=datetime.now(UTC).isoformat(timespec="seconds"),
                source="benchmarks/recorder.py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--streams", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=120,
                    help="CPU window (both sides at once); a multiple of --segment-seconds")
    ap.add_argument("--continuity-seconds", type=float, default=300,
                    help="recorder run for recorded/wall (>= 300 for the issue's target)")
    ap.add_argument("--segment-seconds", type=int, default=60,
                    help="segment length (60 = the production default of config.example)")
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--kbps", type=int, default=4096)
    ap.add_argument("--warmup", type=float, default=8)
    ap.add_argument("--containers-only", action="store_true",
                    help="only compare MPEG-TS and fragmented MP4 after kill -9")
    ap.add_argument("--json", type=Path, default=None,
                    help="also merge the figures into this benchmarks.json (read by the "
                         "compact-system dossier, e.g. out/evrange/evidence/benchmarks.json)")
    ap.add_argument("--history-days", type=float, default=0,
                    help="seed the recorder's index with this many days of past segments "
                         "(< retention_days 15): the idle loops' cost on a site's real index")
    ap.add_argument("--cpu-only", action="store_true",
                    help="only first bytes, the CPU window and the camera return (no 5 min "
                         "continuity, no kill -9): for repeated runs on a shared machine")
    ap.add_argument("--attack-only", action="store_true",
                    help="only the hostile-API memory measurement (issue 10 §4)")
    args = ap.parse_args()
    n = args.streams
    cache = Path(os.environ.get("BEFFROI_CACHE", Path.home() / ".cache" / "beffroi"))
    cache.mkdir(parents=True, exist_ok=True)
    clip = encode_clip(cache / f"bench-{args.width}x{args.height}-{args.fps}-{args.kbps}.h264",
                       args.width, args.height, args.fps, 20, args.kbps)
    tmp = Path(tempfile.mkdtemp(prefix="beffroi-bench-"))
    atexit.register(shutil.rmtree, tmp, True)  # a run records gigabytes: never left behind
    server = RtspServer(clip, args.fps, mounts=n)
    server.start()
    print(f"# {n} streams {args.width}x{args.height}@{args.fps} {args.kbps} kbit/s, "
          f"segments {args.segment_seconds}s, CPU/PSS window {args.seconds:.0f}s, "
          f"{os.cpu_count()} cores, {load()}", flush=True)
    if args.attack_only:
        from recorder_attack import attack_report

        try:
            attack_report(server, tmp)
        finally:
            server.stop()
        return 0
    if args.containers_only:
        try:
            compare_containers(server, tmp)
        finally:
            server.stop()
        return 0
    try:
        # time to first byte on disk when a camera (re)connects: A/B, alternated, same load
        from recorder.ffmpeg import PROBE_BYTES

        ab: dict[str, list[float]] = {"default": [], "probe": []}
        for _ in range(3):
            ab["default"].append(first_bytes(server, tmp, None))
            ab["probe"].append(first_bytes(server, tmp, PROBE_BYTES))
        fb_default, fb_probe = statistics.median(ab["default"]), statistics.median(ab["probe"])
        print(f"first bytes on disk after ffmpeg connects (median of 3): ffmpeg default probing "
              f"{fb_default:.2f}s, recorder's -probesize {PROBE_BYTES} {fb_probe:.2f}s "
              f"({fb_probe / fb_default:.2f}x)", flush=True)
        bare_procs = start_bare(server, n, tmp / "bare", args.segment_seconds)
        time.sleep(args.warmup)
        bare_pids = lambda: [p.pid for p in bare_procs if p.poll() is None]  # noqa: E731
        bare_pss = pss_mean(bare_pids, 20)  # memory: bare ffmpeg alone

        rdir = tmp / "rec"
        rdir.mkdir()
        cams = [(f"cam{i:02d}", server.url(i)) for i in range(1, n + 1)]
        cfg = make_config(rdir, cams, segment_seconds=args.segment_seconds, width=args.width,
                          height=args.height, fps=args.fps, purge_interval=30)
        conf = config.load(cfg)
        if args.history_days:
            rows = seed_history(conf.index_path, [c for c, _ in cams], args.history_days,
                                args.segment_seconds)
            print(f"index seeded with {rows} rows ({args.history_days:g} days of {n} cameras)",
                  flush=True)
        rec = RecorderProcess(cfg, rdir / "recorder.log")
        rec.start()
        assert rec.proc is not None
        pid = rec.proc.pid
        time.sleep(args.warmup)
        # steady state: start the CPU window half a segment after the second boundary
        # (segments are cut on the wall clock; a run's first segment is indexed at its second
        # boundary), so the window holds whole boundaries only: each segment sealed, hashed
        # and analysed (tampering check, seconds after the boundary) inside it, once
        seg = args.segment_seconds
        time.sleep(seg - time.time() % seg + seg + seg / 2)
        w0 = time.time()
        # CPU: both sides in the same window, so other load on the machine hits both alike
        cpu = cpu_window({"bare": bare_pids}, {"recorder": pid}, args.seconds)
        for p in bare_procs:
            p.send_signal(signal.SIGINT)
        for p in bare_procs:
            p.wait(timeout=30)
        rec_pss = pss_mean(lambda: [pid, *children(pid)], 20)  # memory: recorder alone
        own_pss = pss_kib(pid) / 1024
        bare_cpu, rec_cpu, own_cpu = cpu["bare"], cpu["recorder"], cpu["recorder.own"]
        live_cpu, reaped_cpu = cpu["recorder.live"], cpu["recorder.reaped"]
        print(f"bare ffmpeg x{n}: CPU {bare_cpu:.2f}s over {args.seconds:.0f}s "
              f"({100 * bare_cpu / args.seconds / n:.2f}% of a core per stream), "
              f"PSS {bare_pss:.1f} MiB ({bare_pss / n:.1f} MiB/stream)", flush=True)
        print(f"recorder x{n}: CPU {rec_cpu:.2f}s over the same {args.seconds:.0f}s (python "
              f"supervisor {own_cpu:.2f}s, recording ffmpeg {live_cpu:.2f}s, short-lived "
              f"children (tampering check decode, ffprobe, chronyc) {reaped_cpu:.2f}s), PSS "
              f"{rec_pss:.1f} MiB ({rec_pss / n:.1f} MiB/stream; python process "
              f"{own_pss:.1f} MiB)", flush=True)
        index = Index(conf.index_path)
        # bytes the recorder sealed inside the window (what it hashed there), not the nominal rate
        hashed = sum(s.size for c, _ in cams for s in index.segments(c, present_only=False)
                     if w0 - 1 <= s.end < w0 + args.seconds - 1.5)  # sealed ~1 s after its end
        hash_rate = sha256_rate()
        hash_cpu = hashed / hash_rate
        print(f"  SHA-256 of the {hashed / 1e6:.0f} MB sealed in the window (EXP-1/REG-1) alone ~ "
              f"{hash_cpu:.2f}s CPU ({hash_rate / 1e9:.2f} GB/s here) = "
              f"{100 * hash_cpu / bare_cpu:.1f}% of bare ffmpeg: the floor of the ratio",
              flush=True)
        cams_ids = [c for c, _ in cams]
        if not args.cpu_only:
            remaining = args.continuity_seconds - (time.time() - w0)
            if remaining > 0:
                time.sleep(remaining)
            w1 = time.time()
            time.sleep(args.segment_seconds + 10)  # the segment covering w1 closes, is hashed
            ratio = recorded_ratio(index, cams_ids, w0, w1)
            print(f"recorded/wall over {w1 - w0:.0f}s x {n} cameras: {100 * ratio:.3f}%",
                  flush=True)
            over = export_overshoot(index, cams_ids, w0, w1)
            if over:
                print(f"export of a 30 s range with {args.segment_seconds} s segments carries "
                      f"{statistics.mean(over):.1f} s more on average (max {max(over):.1f} s) "
                      "beyond the asked range: stated in the manifest, players stop at the "
                      "range", flush=True)

        back = camera_return(server, index, conf.storage_root, cams_ids, args.segment_seconds)
        resume, resume_file, resume_data = back["index"], back["file"], back["data"]
        print(f"resume after camera return (first recorded frame, index): median "
              f"{statistics.median(resume):.2f}s, max {max(resume):.2f}s "
              f"({len(resume)}/{n} cameras resumed)", flush=True)
        print(f"resume after camera return (first new segment file created): median "
              f"{statistics.median(resume_file):.2f}s, max {max(resume_file):.2f}s", flush=True)
        print(f"resume after camera return (first bytes of video on disk): median "
              f"{statistics.median(resume_data):.2f}s, max {max(resume_data):.2f}s", flush=True)
        cpu_ratio = rec_cpu / bare_cpu
        if args.cpu_only:
            print("\n# ratios (target)")
            print(f"CPU recorder / bare ffmpeg      {cpu_ratio:.3f}   (<= 1.05; SHA-256 floor "
                  f"{1 + hash_cpu / bare_cpu:.3f}, without it "
                  f"{(rec_cpu - hash_cpu) / bare_cpu:.3f}; python {own_cpu / bare_cpu:.3f}, "
                  f"recording ffmpeg {live_cpu / bare_cpu:.3f}, short-lived children "
                  f"{reaped_cpu / bare_cpu:.3f} of bare)")
            print(f"first bytes on disk after camera return  {statistics.median(resume_data):.2f}s "
                  f"median, {max(resume_data):.2f}s max over {n} cameras (first recorded frame "
                  f"{max(resume):.2f}s max)")
            print(f"first bytes after connect       {fb_probe / fb_default:.3f}   (probesize vs "
                  f"default: {fb_probe:.2f}s / {fb_default:.2f}s)")
            print(f"# end: {load()}")
            index.close()
            return 0

        # kill -9 of the whole group, then restart (repair)
        time.sleep(args.segment_seconds / 2)
        rec.kill9()
        t_kill = time.time()
        rec2 = RecorderProcess(cfg, rdir / "recorder.log")
        rec2.start()
        time.sleep(args.segment_seconds + 6)
        rec2.terminate()
        losses = []
        for c, _ in cams:
            before = [s for s in index.segments(c, present_only=False) if s.start < t_kill]
            if before:
                losses.append(max(0.0, t_kill - max(s.end for s in before)))
        repaired = sum(1 for c, _ in cams for s in index.segments(c) if s.repaired)
        print(f"video lost on kill -9 (recorder + ffmpeg): median {statistics.median(losses):.2f}s"
              f", max {max(losses):.2f}s; {repaired} partial segments repaired", flush=True)
        index.close()

        pss_ratio = rec_pss / bare_pss
        print("\n# ratios (target)")
        print(f"CPU recorder / bare ffmpeg      {cpu_ratio:.3f}   (<= 1.05; SHA-256 floor "
              f"{1 + hash_cpu / bare_cpu:.3f}, without it {(rec_cpu - hash_cpu) / bare_cpu:.3f};"
              f" short-lived children {reaped_cpu / bare_cpu:.3f} of bare)")
        print(f"first bytes on disk after camera return  {statistics.median(resume_data):.2f}s "
              f"median, {max(resume_data):.2f}s max over {n} cameras")
        print(f"PSS per stream recorder / bare  {pss_ratio:.3f}   (<= 1.25)")
        print(f"recorded / wall                 {100 * ratio:.3f}%  (>= 99.9%, over "
              f"{w1 - w0:.0f}s{'' if w1 - w0 >= 300 else ' — shorter than the 5 min target'})")
        print(f"resume after camera return      {max(resume):.2f}s   (<= 2 s, max over cameras; "
              f"first new file created after {max(resume_file):.2f}s)")
        print(f"loss on kill -9                 {max(losses):.2f}s   (<= 2 s, max over cameras)")
        if args.json:
            write_figures(args.json, {
                "recorder.cpu_ratio": cpu_ratio, "recorder.pss_ratio": pss_ratio,
                "recorder.recorded_percent": 100 * ratio, "recorder.resume_s": max(resume),
                "recorder.loss_kill_s": max(losses),
                "recorder.first_bytes_after_return_s": max(resume_data)})
        print(f"first bytes after connect       {fb_probe / fb_default:.3f}   (probesize vs "
              f"default: {fb_probe:.2f}s / {fb_default:.2f}s)")
        print(f"# end: {load()}")
    finally:
        server.stop()
        for proc in ("rec", "rec2"):
            obj = locals().get(proc)
            if isinstance(obj, RecorderProcess):
                obj.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
