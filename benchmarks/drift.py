"""Drift benchmark (issue 5), on loopback simulators only.

1. Same hosts, same injected drift: `beffroi drift` vs `ansible-playbook --check --diff` of the
   same roles (playbooks/network.yml): the three communes' switches (fake-switches) and
   their six cameras (ipycam with the test-code setters, when .venv-onvif exists). Prints
   both wall times, the ratio, and whether both found drift on the same devices.
2. `beffroi drift`'s switch audit over N simulated switches at once: devices per second,
   concurrent vs one at a time.

    .venv/bin/python benchmarks/drift.py [--switches 50] [--workers 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
# The example inventory is encrypted with the lab's published test password: named explicitly
# (Beffroi has no fallback password).
os.environ["BEFFROI_VAULT_PASSWORD_FILE"] = str(REPO / "lab" / "test-vault-password")
sys.path.insert(0, str(REPO / "tests" / "network"))   # the simulators' harness
sys.path.insert(0, str(REPO))  # the project's packages, before this folder's recorder.py

from network_peers import ONVIF_PYTHON, fake_switches, onvif_camera, set_fps_by_hand  # noqa: E402

from beffroi.drift.audit import Target, run  # noqa: E402
from beffroi.drift.switch import check_switch, credentials  # noqa: E402
from beffroi.intent import site_intent  # noqa: E402
from beffroi.inventory import load_inventory  # noqa: E402
from beffroi.render import render_site  # noqa: E402
from network.endpoints import Endpoint  # noqa: E402
from network.switch.driver import driver_for  # noqa: E402

BIN = Path(sys.executable).parent
RUNS = 5


def _switch_text(inv: Any, slug: str) -> tuple[dict[str, Any], str]:
    ctx = site_intent(inv, slug, reveal_secrets=True).context()
    text = next(t for o, t in render_site(inv, slug, True).items() if o.kind == "switch")
    return ctx, text


def _hand_edit(port: int, creds: dict[str, Any], lines: list[str]) -> None:
    from netmiko import ConnectHandler
    conn = ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=port,
                          username=creds["username"], password=creds["password"],
                          secret=creds["enable_secret"], fast_cli=True)
    conn.enable()
    conn.send_config_set(lines, exit_config_mode=False)
    conn.disconnect()


def same_hosts(inv: Any) -> None:
    """beffroi drift vs ansible-playbook --check --diff on the same devices and drift."""
    from network.camera import camera
    slugs = sorted(inv.sites)
    with ExitStack() as stack:
        endpoints: dict[str, dict[str, Any]] = {}
        injected: set[str] = set()
        for slug in slugs:
            ctx, text = _switch_text(inv, slug)
            sw = ctx["switch"]
            peer = stack.enter_context(fake_switches(sw["credentials"],
                                                     [p["name"] for p in sw["ports"]]))
            ep = Endpoint("127.0.0.1", peer.ports[0], "fake-switches")
            driver_for(sw["platform"], sw["hostname"], ep, credentials(sw)).apply(text)
            endpoints[sw["hostname"]] = {"host": "127.0.0.1", "port": peer.ports[0],
                                         "profile": "fake-switches"}
            if slug == slugs[0]:
                _hand_edit(peer.ports[0], sw["credentials"], ["vlan 666", " name ROGUE",
                                                              " exit"])
                injected.add(sw["hostname"])
        cams = 0
        if ONVIF_PYTHON.exists():
            for slug in slugs:
                files = {o.relpath: t for o, t in render_site(inv, slug, True).items()}
                ctx = site_intent(inv, slug, True).context()
                for cam in ctx["cameras"]:
                    peer_cam = stack.enter_context(onvif_camera(1280, 720, 10, 2048, masks=True))
                    device = f"{slug}-{cam['name']}"
                    ep = Endpoint("127.0.0.1", peer_cam.port)
                    camera.apply(device, files[f"cameras/{cam['name']}.yml"], ep,
                                 ("admin", "admin"))
                    endpoints[device] = {"host": "127.0.0.1", "port": peer_cam.port}
                    cams += 1
                    if slug == slugs[0] and cams == 1:
                        asyncio.run(set_fps_by_hand(peer_cam.port, cam["account"]["username"],
                                               cam["account"]["password"], 5))
                        injected.add(device)
        eps = REPO / "out" / "bench-endpoints.yml"
        eps.parent.mkdir(exist_ok=True)
        eps.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
        env = {**os.environ, "BEFFROI_ENDPOINTS": str(eps), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"),
               "BEFFROI_VAULT_PASSWORD_FILE": str(REPO / "lab" / "test-vault-password")}
        drift_cmd = [str(BIN / "beffroi"), "drift", "--kind", "switch", "--kind", "camera",
                     "--format", "json"]
        play_cmd = [str(BIN / "ansible-playbook"), "playbooks/network.yml", "--check",
                    "--diff", "-l", ",".join(endpoints)]
        drift_times: list[float] = []
        play_times: list[float] = []
        for _ in range(RUNS):   # alternated, so a noisy moment hits both; medians printed
            t0 = time.perf_counter()
            drift = subprocess.run(drift_cmd, cwd=REPO, env=env, capture_output=True,
                                   text=True, check=False)
            drift_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            play = subprocess.run(play_cmd, cwd=REPO, env=env, capture_output=True, text=True,
                                  check=False)
            play_times.append(time.perf_counter() - t0)
        t_drift, t_play = statistics.median(drift_times), statistics.median(play_times)
        found_drift = {d["device"] for d in json.loads(drift.stdout)["devices"]
                       if d["status"] == "drifted"}
        from beffroi.drift.audit import plan
        from network.endpoints import load_endpoints
        t0 = time.perf_counter()   # same audit in this already-warm process (imports)
        warm = run(plan(inv, slugs, load_endpoints(eps), ("switch", "camera")), 16)
        t_warm = time.perf_counter() - t0
        found_warm = {r.device for r in warm if r.status.value == "drifted"}
        recap = play.stdout.split("PLAY RECAP", 1)[-1]
        found_play = {h for h, c in re.findall(r"^(\S+)\s+:.*changed=(\d+)", recap, re.M)
                      if int(c) > 0}
    print(f"same hosts: {len(endpoints)} devices ({len(endpoints) - cams} switches, {cams} "
          f"cameras), drift injected on {sorted(injected)}")
    print(f"  medians of {RUNS} alternated runs each; ratios pair by pair: "
          f"{', '.join(f'{p / d:.1f}' for p, d in zip(play_times, drift_times, strict=True))}")
    print(f"  beffroi drift                     {t_drift:6.2f} s  exit {drift.returncode}  "
          f"drifted {sorted(found_drift)}")
    print(f"  ansible-playbook --check --diff   {t_play:6.2f} s  exit {play.returncode}  "
          f"changed {sorted(found_play)}")
    print(f"  beffroi drift, warm in-process    {t_warm:6.2f} s          "
          f"drifted {sorted(found_warm)}")
    print(f"  ratio ansible / beffroi drift     {t_play / t_drift:6.1f}x  (target ≥ 5x; "
          f"warm: {t_play / t_warm:.0f}x — the CLI's cost is start-up: imports, vault, render)")
    print(f"  same drift found: {found_drift == found_play == found_warm == injected}")


def many_switches(inv: Any, count: int, workers: int) -> None:
    """Switch audit over `count` simulated switches: devices/s concurrent vs sequential."""
    ctx, text = _switch_text(inv, "evrange")
    sw = ctx["switch"]
    with fake_switches(sw["credentials"], [p["name"] for p in sw["ports"]], count) as peer:
        eps = [Endpoint("127.0.0.1", p, "fake-switches") for p in peer.ports]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda ep: driver_for("ios", sw["hostname"], ep, credentials(sw))
                          .apply(text), eps))
        for ep in eps[::5]:   # every fifth switch gets a rogue VLAN
            _hand_edit(ep.port, sw["credentials"], ["vlan 666", " exit"])
        targets = [Target("evrange", f"{sw['hostname']}#{i}", "switch",
                          (lambda ep=ep: check_switch("evrange", sw, text, ep)))
                   for i, ep in enumerate(eps)]
        rates = {}
        for w in (workers, 1):
            t0 = time.perf_counter()
            results = run(targets, w)
            dt = time.perf_counter() - t0
            drifted = sum(1 for r in results if r.status.value == "drifted")
            rates[w] = count / dt
            print(f"{count} switches, {w:>2} worker(s): {dt:6.2f} s, {rates[w]:6.1f} devices/s, "
                  f"{drifted} drifted (injected {len(eps[::5])})")
    print(f"  concurrency speed-up: {rates[workers] / rates[1]:.1f}x "
          "(one fake-switches process serves every switch: its single Twisted thread is the "
          "ceiling here)")


def main() -> None:
    """Run both measurements."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--switches", type=int, default=50)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    os.chdir(REPO)
    logging.getLogger("paramiko").setLevel(logging.WARNING)   # one line per SSH login otherwise
    inv = load_inventory(REPO / "inventories" / "moselle")
    same_hosts(inv)
    many_switches(inv, args.switches, args.workers)


if __name__ == "__main__":
    main()
