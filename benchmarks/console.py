"""Console figures (issue 14), measured in Debian's chromium against a real `recorder run`
(TLS, two loopback RTSP cameras): live grid open -> first frame (goal <= 1.5 s), live lag of
the playhead behind the newest received frame (the browser's share of the latency; goal for the
whole path <= 2 s), seek -> first recorded frame (goal <= 1 s), and the recorder's CPU with 4
live viewers + 2 playbacks as a ratio to the recorder alone. Prints figures; asserts nothing.

usage: PYTHONPATH=. .venv/bin/python benchmarks/console.py
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser"), str(ROOT / "tests" / "recorder")]

from console_harness import start_console  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from recorder_harness import PASSWORD  # noqa: E402

from recorder import timeutil  # noqa: E402
from recorder.web.pulls import GRACE_SECONDS  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
GRACE = GRACE_SECONDS


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (ffmpeg) from /proc."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid or _pgid(fields) == pid:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def _pgid(fields: list[str]) -> int:
    return int(fields[2])


def cpu_over(pid: int, seconds: float) -> float:
    """Average cores used by the recorder's process group over `seconds`."""
    a = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - a) / seconds


def login(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("#user", "mdupont")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def wait(page: Page, expr: str, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while not page.evaluate(expr):
        if time.monotonic() > end:
            raise TimeoutError(expr)
        page.wait_for_timeout(20)


LATENCY_JS = """(() => {
    const v = document.getElementById('live-clock');
    if (!v || !v.videoWidth) return null;
    const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const band = i => g.getImageData(v.videoWidth / 2, (i + 0.5) * v.videoHeight / 4, 1, 1).data[1];
    const black = band(0), white = band(1);
    const level = i => Math.round(((band(i) - black) / (white - black) * 255 - 12) / 24);
    const shown = level(3) + level(2) / 10;  // seconds mod 10 (clock_camera.py)
    const now = (Date.now() / 1000) % 10;
    return ((now - shown) % 10 + 10) % 10; })()"""


def live_latency(tmp: Path) -> list[float]:
    """Camera-to-screen latency: a camera showing the wall clock in grey bands (clock_camera.py),
    read back from the playing <video> and compared with the browser's clock (same host)."""
    import subprocess

    from recorder_harness import SYSTEM_PY, RecorderProcess, free_port, make_config, wait_for

    from recorder import config
    from recorder.index import Index

    port = free_port()
    cam = subprocess.Popen([SYSTEM_PY, str(ROOT / "benchmarks" / "clock_camera.py"), str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from console_harness import self_signed

    path = make_config(tmp, [("clock", f"rtsp://127.0.0.1:{port}/clock")])
    cert, key = self_signed(tmp)
    path.write_text(path.read_text().replace(
        "[api]\n", f'[api]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'))
    conf = config.load(path)
    proc = RecorderProcess(path, tmp / "recorder.log")
    proc.start()
    samples: list[float] = []
    try:
        wait_for(lambda: len(Index(conf.index_path).segments("clock")) >= 1, 30)
        host, api_port = conf.api_listen
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
            page = browser.new_context(viewport={"width": 1920, "height": 1080},
                                       ignore_https_errors=True).new_page()
            login(page, f"https://{host}:{api_port}")
            try:
                wait(page, "window.beffroiLive.clock && window.beffroiLive.clock.firstFrame")
            except TimeoutError:
                page.screenshot(path=str(tmp / "latency.png"))
                raise
            page.wait_for_timeout(3000)
            for _ in range(40):
                value = page.evaluate(LATENCY_JS)
                if value is not None:
                    samples.append(float(value))
                page.wait_for_timeout(150)
            browser.close()
    finally:
        proc.cleanup()
        cam.kill()
        cam.wait()
    return samples


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="beffroi-console-bench-"))
    atexit.register(shutil.rmtree, tmp, True)  # a run records gigabytes: never left behind
    console, server, proc = start_console(tmp)
    assert proc.proc is not None
    pid = proc.proc.pid
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
            ctx = browser.new_context(viewport={"width": 1920, "height": 1080},
                                      ignore_https_errors=True)
            page = ctx.new_page()
            grid = ("['cam1','cam2'].every(c => window.beffroiLive[c] && "
                    "window.beffroiLive[c].sinceNavigation)")
            since = "Math.max(...['cam1','cam2'].map(c => window.beffroiLive[c].sinceNavigation))"
            first: dict[str, list[float]] = {"cold": [], "login": [], "warm": []}
            login(page, console.base)  # warms the pulls; let them go idle and stop
            page.goto("about:blank")
            for _ in range(2):
                time.sleep(GRACE + 4)
                page.goto(console.base + "/direct")  # cold: the grid starts the pulls
                wait(page, grid)
                first["cold"].append(page.evaluate(since))
                for _ in range(3):
                    page.goto(console.base + "/direct")  # warm: pulls still running
                    wait(page, grid)
                    first["warm"].append(page.evaluate(since))
                page.goto("about:blank")
            for _ in range(2):
                time.sleep(GRACE + 4)
                fresh = browser.new_context(viewport={"width": 1920, "height": 1080},
                                            ignore_https_errors=True).new_page()
                fresh.goto(console.base + "/login")
                fresh.fill("#user", "mdupont")
                fresh.fill("#password", PASSWORD)
                t0 = time.monotonic()  # the login click: password check, redirect, grid
                with fresh.expect_navigation():
                    fresh.keyboard.press("Enter")
                wait(fresh, grid)
                shown, page_age = fresh.evaluate(f"[{since}, performance.now()]")
                opened = (time.monotonic() - t0) * 1000 - page_age  # grid page start vs click
                first["login"].append(opened + shown)
                fresh.context.close()
            page.goto(console.base + "/direct")
            wait(page, grid)
            lags = []
            for _ in range(20):
                page.wait_for_timeout(250)
                lags += page.evaluate("""['cam1','cam2'].map(c => {
                    const v = document.getElementById('live-' + c);
                    return v.buffered.end(v.buffered.length - 1) - v.currentTime; })""")
            seeks = []
            page.goto(console.base + "/enregistrements")
            for back in (20, 14, 8):
                at = timeutil.iso(time.time() - back)
                page.evaluate(f"window.beffroiPlay.play('cam1', '{at}')")
                wait(page, "window.beffroiPlay.firstFrame !== null")
                seeks.append(page.evaluate("window.beffroiPlay.firstFrame"))
            page.goto("about:blank")
            time.sleep(GRACE + 5)  # the live pulls' grace period ends: the recorder alone
            alone = cpu_over(pid, 10)
            viewers = []

            def person() -> Page:
                # one browser context per person: HTTP/1.1 allows 6 connections per origin
                # and profile, and each grid holds one stream per camera
                c = browser.new_context(viewport={"width": 1920, "height": 1080},
                                        ignore_https_errors=True)
                v = c.new_page()
                login(v, console.base)
                return v

            for _ in range(4):
                v = person()
                v.goto(console.base + "/direct")
                viewers.append(v)
            for back in (30, 20):
                v = person()
                v.goto(console.base + "/enregistrements")
                v.wait_for_timeout(500)
                v.evaluate(f"window.beffroiPlay.play('cam2', '{timeutil.iso(time.time() - back)}')")
                viewers.append(v)
            time.sleep(3)
            loaded = cpu_over(pid, 10)
            browser.close()
    finally:
        proc.cleanup()
        server.stop()
    latency_dir = Path(tempfile.mkdtemp(prefix="beffroi-console-latency-"))
    atexit.register(shutil.rmtree, latency_dir, True)
    latency = live_latency(latency_dir)
    med = statistics.median
    print("live grid opened -> both cameras' first frame (goal <= 1500 ms):")
    print(f"  cold (grid starts the pulls: RTSP set-up + first keyframe): "
          f"median {med(first['cold']):.0f} ms, max {max(first['cold']):.0f}")
    print(f"  after login (pulls warmed by the login, page opened at once): "
          f"median {med(first['login']):.0f} ms from the login click, max "
          f"{max(first['login']):.0f}")
    print(f"  warm (pulls running): median {med(first['warm']):.0f} ms, "
          f"max {max(first['warm']):.0f}")
    print(f"live latency camera -> screen (clock camera, {len(latency)} samples): median "
          f"{med(latency) * 1000:.0f} ms, max {max(latency) * 1000:.0f} ms (goal <= 2000; "
          "includes x264 encode, RTSP, the recorder's remux and the browser buffer)")
    print(f"live playhead behind newest received frame: median {med(lags) * 1000:.0f} ms, "
          f"max {max(lags) * 1000:.0f} ms (+ ffmpeg 200 ms fragments; goal total <= 2000)")
    print(f"seek -> first recorded frame: median {med(seeks):.0f} ms, max {max(seeks):.0f} ms "
          "(goal <= 1000)")
    print(f"recorder CPU alone {alone:.3f} cores; with 4 live viewers + 2 playbacks "
          f"{loaded:.3f} cores; ratio {loaded / alone if alone else float('nan'):.2f}")


if __name__ == "__main__":
    main()
