"""Crisis-cell wall WAN cost (issue 14 §3), on loopback only: bytes per minute over the
communes' relay ports (a counting proxy stands for the WAN) with the wall idle, with a browser
watching 2 cameras, and with the health probe's DESCRIBE of 4 cameras.

    .venv/bin/python benchmarks/wall_wan.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "wall"))

from wall_harness import PASSWORD, REPO, encode_clip, start_commune, start_wall


def main() -> int:
    """Measure and print bytes/minute per situation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from recorder import keys, viewtoken

    tmp = Path(tempfile.mkdtemp(prefix="wall-wan-"))
    atexit.register(shutil.rmtree, tmp, True)  # a run records gigabytes: never left behind
    key = tmp / "key" / "token.pem"
    keys.generate(key)
    public = viewtoken.public_key_b64(keys.load_private(key))
    clip = encode_clip(tmp / "c720.h264", 1280, 720, 15, 6, kbps=1500)
    communes = [start_commune(tmp, slug, name, clip, 1280, 720, 15, public)
                for slug, name in (("evrange", "Évrange"), ("roussy-le-village", "Roussy"))]
    wall = start_wall(tmp, communes, key)
    per_min = 60.0 / args.seconds
    try:
        def window() -> int:
            for c in communes:
                c.wan.reset()
            time.sleep(args.seconds)
            return sum(c.wan.bytes for c in communes)

        idle = window()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox"])
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.goto(f"{wall.base}/login")
            page.fill("input[name=user]", "sdis-lmartin")  # Évrange's 2 cameras
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not page.eval_on_selector_all(
                    "video", "vs => vs.length == 2 && vs.every(v => v.currentTime > 1)"):
                time.sleep(0.3)  # polled: the wall's CSP forbids the eval wait_for_function uses
            watching = window()
            browser.close()
        time.sleep(4)
        after = window()
        probe_conf = {"timeout": 8, "state_dir": str(tmp),
                      "streams": [{"commune": c.name, "slug": c.slug, "camera": cam,
                                   "url": f"rtsp://127.0.0.1:{c.wan.port}/{cam}"}
                                  for c in communes for cam in ("cam1", "cam2")],
                      "credentials": {c.slug: {"user": "cdc57-hub", "password": PASSWORD}
                                      for c in communes}}
        (tmp / "viewer.json").write_text(json.dumps(probe_conf))
        for c in communes:
            c.wan.reset()
        subprocess.run([sys.executable, str(REPO / "roles/crisis_cell/files/beffroi-live-view"),
                        "--config", str(tmp / "viewer.json")], check=True,
                       capture_output=True)
        probe = sum(c.wan.bytes for c in communes)
    finally:
        wall.stop()
        for c in communes:
            c.stop()
    print(f"idle wall:                  {idle * per_min:>12,.0f} bytes/min (goal 0)")
    print(f"watching 2 cameras (1.5 Mb/s clip): {watching * per_min:>12,.0f} bytes/min "
          f"({watching * per_min * 8 / 60 / 1e6:.2f} Mbit/s)")
    print(f"after the page closed:      {after * per_min:>12,.0f} bytes/min")
    print(f"one probe run, 4 cameras:   {probe:>12,} bytes (the timer runs it once a minute)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
