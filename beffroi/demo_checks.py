"""The checks `make demo` proves on a deployed lab commune, each with the figure it measured.

Every check runs the real thing where it happens, over SSH with the lab key: ffprobe of the
NVR's newest segments (CAM-1..3), ffmpeg decoding the live relay on the crisis cell through the
WireGuard tunnel (ACC-4, NET-2), the crisis cell's view of the recorder API and of the relay's
ranges (ACC-4: live only), `recorder verify` (REG-1, JRN-1/2), `beffroi drift` on every device.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beffroi.lab.access import ssh_command
from beffroi.lab.topology import HostSpec

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Check:
    """One proven line: what, whether it holds, the figure that says so."""

    name: str
    ok: bool
    figure: str


def remote(host: HostSpec, key: Path, script: str, *args: str,
           timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run a Python script (from stdin) on a lab host as root."""
    return subprocess.run([*ssh_command(host, key), "python3", "-", *args], input=script,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _json(res: subprocess.CompletedProcess[str]) -> Any:
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError:
        return {"error": (res.stderr.strip() or res.stdout.strip())[-400:] or
                f"exit {res.returncode}"}


# --- recording (on the NVR) --------------------------------------------------------------------
_SEGMENTS = r"""
import json, pathlib, subprocess, sys
root = pathlib.Path(sys.argv[1])
out = {}
for cam in sys.argv[2:]:
    segs = sorted(p for p in (root / cam).glob("*.ts") if p.stat().st_size > 0)
    info = {"count": len(segs)}
    if segs:
        # the newest closed segment: the last one may still be written
        seg = segs[-2] if len(segs) > 1 else segs[-1]
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
             "-show_entries", "stream=codec_name,width,height,nb_read_packets:format=duration",
             "-of", "json", str(seg)], capture_output=True, text=True, timeout=60)
        data = json.loads(probe.stdout or "{}")
        stream = (data.get("streams") or [{}])[0]
        duration = float((data.get("format") or {}).get("duration") or 0)
        frames = int(stream.get("nb_read_packets") or 0)
        info.update(segment=seg.name, codec=stream.get("codec_name"),
                    width=stream.get("width"), height=stream.get("height"),
                    duration=round(duration, 1),
                    fps=round(frames / duration, 2) if duration else 0.0)
    out[cam] = info
print(json.dumps(out))
"""


def segments(nvr: HostSpec, key: Path, storage: str, cameras: list[str]) -> dict[str, Any]:
    """Per camera: number of segments and the ffprobe of the newest closed one."""
    data = _json(remote(nvr, key, _SEGMENTS, storage, *cameras))
    return data if isinstance(data, dict) else {"error": str(data)}


def recording_checks(probe: dict[str, Any], cameras: list[dict[str, Any]]) -> list[Check]:
    """CAM-1..3: codec, size and frame rate of each camera's newest segment."""
    checks = []
    for cam in cameras:
        info = probe.get(cam["name"], {})
        enc = cam["encoder"]
        floor_w, floor_h, floor_fps = cam["legal_floor"]
        if not info.get("count"):
            checks.append(Check(f"recording {cam['name']}", False,
                                f"no segment on the NVR ({probe.get('error', 'none yet')})"))
            continue
        fps = float(info.get("fps") or 0)
        ok = (info.get("codec") == enc["codec"] and info.get("width") == enc["width"]
              and info.get("height") == enc["height"]
              and int(info["width"]) >= floor_w and int(info["height"]) >= floor_h
              and fps >= floor_fps and abs(fps - enc["fps"]) <= 0.1 * enc["fps"])
        checks.append(Check(
            f"recording {cam['name']} (CAM-1..3)", ok,
            f"{info['count']} segments; newest {info.get('segment')}: {info.get('codec')} "
            f"{info.get('width')}×{info.get('height')} @ {fps:g} fps over "
            f"{info.get('duration')} s (declared {enc['width']}×{enc['height']} @ "
            f"{enc['fps']}, legal floor {floor_w}×{floor_h} @ {floor_fps})"))
    return checks


def segments_keep_coming(before: dict[str, Any], after: dict[str, Any],
                         cameras: list[str], seconds: float) -> Check:
    """Both cameras wrote new segments between the two looks."""
    grown = {c: int(after.get(c, {}).get("count", 0)) - int(before.get(c, {}).get("count", 0))
             for c in cameras}
    return Check("segments keep coming", all(n > 0 for n in grown.values()),
                 ", ".join(f"{c} +{n}" for c, n in grown.items()) + f" in {seconds:.0f} s")


# --- the crisis cell ---------------------------------------------------------------------------
_LIVE = r"""
import json, subprocess, sys, urllib.parse
conf = json.loads(sys.stdin.readline())  # the viewer's password comes on stdin, never argv
out = []
for cam in conf["cameras"]:
    url = (f"rtsp://{urllib.parse.quote(conf['user'], safe='')}:"
           f"{urllib.parse.quote(conf['password'], safe='')}@{conf['relay']}/{cam}")
    host = conf["relay"].rsplit(":", 1)[0]
    route = subprocess.run(["ip", "-o", "route", "get", host], capture_output=True,
                           text=True).stdout.split()
    dev = route[route.index("dev") + 1] if "dev" in route else "?"
    for attempt in (1, 2, 3):  # a viewer reconnects, as the crisis cell's wall does
        res = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
                              "-timeout", "15000000", "-i", url, "-frames:v",
                              str(conf["frames"]), "-f", "framemd5", "-"],
                             capture_output=True, text=True, timeout=90)
        frames = [l for l in res.stdout.splitlines() if l and not l.startswith("#")]
        if len(frames) >= conf["frames"]:
            break
    size = [l for l in res.stdout.splitlines() if l.startswith("#dimensions")]
    err = res.stderr.strip().splitlines()[-1:] if res.returncode else []
    err = [e.replace(urllib.parse.quote(conf["password"], safe=""), "***")
            .replace(conf["password"], "***") for e in err]
    out.append({"camera": cam, "frames": len(frames), "attempt": attempt,
                "distinct": len({l.rsplit(",", 1)[-1] for l in frames}),
                "size": size[0].split(":", 1)[1].strip() if size else "?", "dev": dev,
                "error": err[0] if err else ""})
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Viewer:
    """A lawful live recipient's relay account (ACC-3: their own, live only)."""

    user: str
    password: str


def live_checks(cell: HostSpec, key: Path, relay: str, cameras: list[str], viewer: Viewer,
                wg_interface: str, frames: int = 20) -> list[Check]:
    """The crisis cell decodes live frames of each camera, through the WireGuard tunnel."""
    secret = json.dumps({"relay": relay, "cameras": cameras, "user": viewer.user,
                         "password": viewer.password, "frames": frames})
    # the script on the command line, the password on stdin (never in a process list)
    res = subprocess.run([*ssh_command(cell, key), "python3 -c " + shlex.quote(_LIVE)],
                         input=secret + "\n", capture_output=True, text=True, timeout=400,
                         check=False)
    data = _json(res)
    if not isinstance(data, list) or not data:
        return [Check("crisis cell decodes live video", False, f"no stream: {data}")]
    return [Check(f"crisis cell decodes {s['camera']} live as {viewer.user} (ACC-4, NET-2)",
                  s["frames"] >= frames and s["distinct"] > 1 and s["dev"] == wg_interface,
                  f"{s['frames']} frames decoded ({s['distinct']} distinct) {s['size']} "
                  f"via {s['dev']}" + (f" (attempt {s['attempt']})" if s["attempt"] > 1 else "")
                  + (f"; {s['error']}" if s["error"] else ""))
            for s in data]


_NO_RECORDINGS = r"""
import base64, json, socket, sys, urllib.parse
conf = json.loads(sys.stdin.readline())  # the viewer's password comes on stdin, never argv
nvr, api_port, relay_port, camera = conf["nvr"], conf["api"], conf["relay"], conf["camera"]
out = {}
s = socket.socket()
s.settimeout(4)
try:
    s.connect((nvr, int(api_port)))
    out["api"] = "open"
except socket.timeout:
    out["api"] = "filtered (no answer in 4 s)"
except OSError as exc:
    out["api"] = f"refused ({exc.strerror})"
finally:
    s.close()
auth = base64.b64encode(f"{conf['user']}:{conf['password']}".encode()).decode()

def describe(path):
    try:
        return _describe(path)
    except OSError as exc:  # a relay that does not answer serves nothing either
        return f"no answer ({type(exc).__name__})", []

def _describe(path):
    c = socket.create_connection((nvr, int(relay_port)), timeout=10)
    c.sendall((f"DESCRIBE rtsp://{nvr}:{relay_port}{path} RTSP/1.0\r\nCSeq: 1\r\n"
               f"Accept: application/sdp\r\nAuthorization: Basic {auth}\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.decode(errors="replace").split("\r\n"):
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    while len(body) < length:
        chunk = c.recv(4096)
        if not chunk:
            break
        body += chunk
    c.close()
    status = head.decode(errors="replace").split("\r\n", 1)[0]
    ranges = [l for l in body.decode(errors="replace").splitlines() if l.startswith("a=range")]
    return status, ranges

out["live"] = describe("/" + camera)
out["recorded"] = [describe(p) for p in (f"/{camera}/recordings", "/recordings",
                                          f"/{camera}?start=20261128T000000Z")]
print(json.dumps(out))
"""


def no_recordings_checks(cell: HostSpec, key: Path, nvr_ip: str, api_port: int,
                         relay_port: int, camera: str, viewer: Viewer) -> list[Check]:
    """ACC-4: from the crisis cell the recorder API is filtered and the relay is live only."""
    secret = json.dumps({"nvr": nvr_ip, "api": api_port, "relay": relay_port, "camera": camera,
                         "user": viewer.user, "password": viewer.password})
    res = subprocess.run([*ssh_command(cell, key), "python3 -c " + shlex.quote(_NO_RECORDINGS)],
                         input=secret + "\n", capture_output=True, text=True, timeout=120,
                         check=False)
    data = _json(res)
    if "live" not in data:
        return [Check("crisis cell cannot reach recordings", False, str(data))]
    status, ranges = data["live"]
    live_only = status.endswith("200 OK") and ranges == ["a=range:npt=now-"]
    # a recording path is refused, or (the mount ignores a query) still answers live only
    recorded = [(s, r) for s, r in data["recorded"]]
    none_recorded = all(" 404 " in s or " 401 " in s or s.endswith("404 Not Found")
                        or (s.endswith("200 OK") and r == ["a=range:npt=now-"])
                        for s, r in recorded)
    return [
        Check(f"crisis cell: recorder API {nvr_ip}:{api_port} filtered (ACC-4)",
              data["api"].startswith("filtered"), data["api"]),
        Check("crisis cell: relay serves no recorded range (ACC-4)",
              live_only and none_recorded,
              f"/{camera}: {status}, {', '.join(ranges) or 'no range'}; recording paths: "
              + "; ".join((s.split(" ", 1)[1] if " " in s else s)
                          + (f" {', '.join(r)}" if r else "") for s, r in recorded)),
    ]


# --- NVR integrity and drift -------------------------------------------------------------------
def verify_check(nvr: HostSpec, key: Path, venv: str, config: str, user: str) -> Check:
    """`recorder verify` on the NVR (REG-1, JRN-1/2): chains, segments' SHA-256, checkpoints."""
    res = subprocess.run([*ssh_command(nvr, key), "runuser", "-u", user, "--",
                          f"{venv}/bin/recorder", "verify", "--config", config],
                         capture_output=True, text=True, timeout=600, check=False)
    text = (res.stdout.strip() or res.stderr.strip()).splitlines()
    return Check("recorder verify on the NVR (REG-1, JRN-1/2)", res.returncode == 0,
                 text[-1] if text else f"exit {res.returncode}")


def drift_check(slug: str, inventory: Path, endpoints: Path, expected: int) -> Check:
    """`beffroi drift` on every device of the commune: all ok, none skipped."""
    res = subprocess.run([str(BIN / "beffroi"), "drift", "--site", slug, "--inventory",
                          str(inventory), "--endpoints", str(endpoints), "--format", "json"],
                         capture_output=True, text=True, timeout=600, check=False)
    try:
        data = json.loads(res.stdout)
    except json.JSONDecodeError:
        return Check("beffroi drift", False, (res.stderr or res.stdout).strip()[-300:])
    devices = data.get("devices", [])
    states = [f"{d['device']} {d['status']}" for d in devices]
    ok = len(devices) == expected and all(d["status"] == "ok" for d in devices)
    return Check(f"beffroi drift clean on all {expected} devices", ok,
                 f"exit {res.returncode}: " + ", ".join(states))


# --- the commune console and the crisis-cell wall ----------------------------------------------
def login_page_check(name: str, url: str, certificate: str) -> Check:
    """`url` answers over TLS, trusting only the certificate the vault holds (NET-2), with a
    login form (a password field) after its redirects."""
    import ssl
    import urllib.request

    start = time.monotonic()
    try:
        tls = ssl.create_default_context(cadata=certificate)
        # the vault's self-signed certificate is the only anchor (pinned); the tests' lab is
        # readdressed, so its subjectAltName names the model's address, not the lab's
        tls.check_hostname = False
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls))
        with opener.open(url, timeout=20) as resp:
            body = resp.read(200_000).decode("utf-8", "replace")
            final, status = resp.geturl(), resp.status
    except (OSError, ValueError, ssl.SSLError) as exc:
        return Check(name, False, f"{url}: {exc}")
    form = 'type="password"' in body
    return Check(name, status == 200 and form,
                 f"{final} → HTTP {status} in {(time.monotonic() - start) * 1000:.0f} ms, "
                 f"certificate pinned from the vault, "
                 + ("login form" if form else "no password field"))
