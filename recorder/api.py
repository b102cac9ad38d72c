"""HTTP(S) API: individual accounts (argon2id), rights per role, every video request journaled.

Starlette endpoints on uvicorn (recorder/web/server.py bounds connections, the request
deadline and TLS; recorder/guard.py bounds password hashing and locks out). The console
(recorder/web/) uses the same endpoints with its session cookie; OpenAPI at /api/openapi.json
(built from ENDPOINTS and PARAMS by recorder/web/app.py).

Endpoints (all JSON unless noted; credentials: `Authorization: Basic`, a Bearer token from
POST /api/login, or the console's session cookie):
  POST /api/login                         -> {"token", "expires"}            (journal: login)
  GET  /api/cameras                       -> cameras the account may see
  GET  /api/segments?camera=&from=&to=    -> search (maire/adjoint)          (journal: search)
  GET  /api/timeline?camera=&from=&to=    -> recorded ranges and gaps        (journal: search)
  GET  /api/instant?camera=&at=           -> CAM-4: segment, offset, location, UTC time
  GET  /api/play?camera=&from=&to=        -> MPEG-TS bytes of the range      (journal: playback)
  POST /api/export {cameras, from, to, requisition?} -> signed manifest     (journal: export)
  GET  /api/live?camera=                  -> relay URL, live only            (journal: live_view)
  GET  /api/status                        -> camera states, disk, alarm (any account)
  GET  /metrics                           -> Prometheus text (no video, no account needed)
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from recorder import access, timeutil
from recorder.config import ConfigError, Finding
from recorder.web.app import build_app
from recorder.web.calls import (
    ApiContext,
    Call,
    Handler,
    HttpError,
    endpoint,
    ok,
    parse_range,
    run_export,
)
from recorder.web.server import ApiServer

__all__ = ["ApiContext", "HttpError", "make_server", "routes"]


def _login(c: Call) -> Response:
    """Issue a bearer token for the account (journal: login)."""
    from recorder.web.sessions import SESSION_TTL

    session = c.ctx.sessions.new(c.user.id, SESSION_TTL, idle=SESSION_TTL)  # as before: 8 h
    c.ctx.state.journal.append("login", {"user": c.user.id, "client": c.client})
    return ok({"token": session.id, "expires": timeutil.iso(session.expires),
               "role": c.user.role})


def _cameras(c: Call) -> Response:
    """Cameras the account may see."""
    cams = [x for x in c.ctx.state.config.cameras
            if c.user.role == "admin" or c.user.may_see(x.id)]
    return ok([{"id": x.id, "role": x.role, "location": x.location, "width": x.width,
                "height": x.height, "fps": x.expected_fps} for x in cams])


def _segments(c: Call) -> Response:
    """Recorded segments and gaps of a camera in a range (journal: search)."""
    cam = c.camera()
    rng = parse_range(c.query)
    c.require(access.SEARCH, cam, rng)
    idx = c.ctx.state.index
    segs = idx.segments(cam, *rng)
    c.ctx.state.journal.append("search", {"user": c.user.id, "camera": cam,
                                          "from": timeutil.iso(rng[0]),
                                          "to": timeutil.iso(rng[1]), "results": len(segs)})
    gaps = [g for g in idx.gaps(cam) if g.start < rng[1] and g.end > rng[0]]
    return ok({
        "camera": cam,
        "segments": [{"id": s.id, "start": timeutil.iso(s.start), "end": timeutil.iso(s.end),
                      "size": s.size, "sha256": s.sha256, "clock_valid": s.valid,
                      "repaired": s.repaired} for s in segs],
        "gaps": [{"start": timeutil.iso(g.start), "end": timeutil.iso(g.end),
                  "reason": g.reason} for g in gaps]})


def _timeline(c: Call) -> Response:
    """Recorded ranges (contiguous segments merged) and gaps of a camera (journal: search)."""
    cam = c.camera()
    rng = parse_range(c.query)
    c.require(access.SEARCH, cam, rng)
    segs = c.ctx.state.index.segments(cam, *rng)
    ranges: list[list[float]] = []
    for s in segs:
        if ranges and s.start - ranges[-1][1] < 0.5:
            ranges[-1][1] = max(ranges[-1][1], s.end)
        else:
            ranges.append([s.start, s.end])
    gaps = [g for g in c.ctx.state.index.gaps(cam) if g.start < rng[1] and g.end > rng[0]]
    c.ctx.state.journal.append("search", {"user": c.user.id, "camera": cam,
                                          "from": timeutil.iso(rng[0]),
                                          "to": timeutil.iso(rng[1]), "results": len(segs),
                                          "view": "timeline"})
    return ok({"camera": cam, "from": timeutil.iso(rng[0]), "to": timeutil.iso(rng[1]),
               "ranges": [{"start": timeutil.iso(a), "end": timeutil.iso(b)}
                          for a, b in ranges],
               "gaps": [{"start": timeutil.iso(g.start), "end": timeutil.iso(g.end),
                         "reason": g.reason} for g in gaps]})


def _instant(c: Call) -> Response:
    """CAM-4: camera, location, segment and offset of a recorded instant (journal: search)."""
    cam = c.camera()
    try:
        at = timeutil.parse_iso(c.query.get("at", ""))
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    c.require(access.SEARCH, cam, (at, at))
    segs = c.ctx.state.index.segments(cam, at, at + 1e-6)
    c.ctx.state.journal.append("search", {"user": c.user.id, "camera": cam,
                                          "from": timeutil.iso(at), "to": timeutil.iso(at)})
    camera = c.ctx.state.config.camera(cam)
    if not segs:
        raise HttpError(404, f"no recording of {cam} at {timeutil.iso(at)}")
    s = segs[0]
    return ok({"camera": cam, "location": camera.location, "utc": timeutil.iso(at),
               "segment": Path(s.path).name, "offset_seconds": round(at - s.start, 3),
               "clock_valid": s.valid})


def _stream_files(paths: list[Path]) -> Iterator[bytes]:
    for p in paths:  # MPEG-TS segments concatenate into one playable stream, bytes unchanged
        with open(p, "rb") as fh:
            while block := fh.read(1 << 16):
                yield block


def _play(c: Call) -> Response:
    """The stored MPEG-TS bytes of a range (journal: playback)."""
    cam = c.camera()
    rng = parse_range(c.query)
    c.require(access.PLAYBACK, cam, rng)
    segs = c.ctx.state.index.segments(cam, *rng)
    c.ctx.state.journal.append("playback", {"user": c.user.id, "camera": cam,
                                            "from": timeutil.iso(rng[0]),
                                            "to": timeutil.iso(rng[1]), "segments": len(segs)})
    if not segs:
        raise HttpError(404, "no recording in that range")
    paths = [c.ctx.state.abspath(s.path) for s in segs]
    total = sum(p.stat().st_size for p in paths)
    return StreamingResponse(_stream_files(paths), media_type="video/mp2t",
                             headers={"Content-Length": str(total)})


def _export(c: Call) -> Response:
    """Signed export of cameras over a range, with a reason (journal: export)."""
    out, manifest = run_export(c)
    return ok({"export_dir": str(out), "manifest": manifest})


def _live(c: Call) -> Response:
    """The relay URL of a camera, live only (journal: live_view)."""
    cam = c.camera()
    c.require(access.LIVE, cam)
    host, port = c.ctx.state.config.relay_listen
    c.ctx.state.journal.append("live_view", {"user": c.user.id, "camera": cam,
                                             "client": c.client})
    return ok({"camera": cam, "url": f"rtsp://{host}:{port}/{cam}"})


def _status(c: Call) -> Response:
    """Camera states, disk alarm (any account)."""
    c.require(access.STATUS, None)
    return ok({"site": c.ctx.state.config.site, "cameras": c.ctx.status_fn(),
               "disk_alarm": c.ctx.alarm_fn()})


ENDPOINTS: list[tuple[str, str, Handler]] = [
    ("POST", "/api/login", _login),
    ("GET", "/api/cameras", _cameras),
    ("GET", "/api/segments", _segments),
    ("GET", "/api/timeline", _timeline),
    ("GET", "/api/instant", _instant),
    ("GET", "/api/play", _play),
    ("POST", "/api/export", _export),
    ("GET", "/api/live", _live),
    ("GET", "/api/status", _status),
]


PARAMS: dict[str, tuple[str, ...]] = {
    "/api/segments": ("camera", "from", "to"), "/api/timeline": ("camera", "from", "to"),
    "/api/instant": ("camera", "at"), "/api/play": ("camera", "from", "to"),
    "/api/live": ("camera",)}


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The JSON API's routes (each path one method: another gets a JSON 405)."""
    return [Route(path, endpoint(ctx, handler), methods=[method], name=handler.__name__[1:])
            for method, path, handler in ENDPOINTS]


def tls_context(ctx: ApiContext) -> ssl.SSLContext | None:
    """The TLS context when the config gives a certificate and key (NET-2)."""
    conf = ctx.state.config
    if not (conf.tls_cert and conf.tls_key):
        return None
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        tls.load_cert_chain(conf.tls_cert, conf.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(conf.source, [Finding(
            "api.tls_key", "NET-2", f"cannot load the certificate {conf.tls_cert} with the "
            f"key {conf.tls_key}: {getattr(exc, 'strerror', None) or exc}; deploy the "
            "site's pair from the vault (recorder role)")]) from None
    return tls


def make_server(ctx: ApiContext) -> ApiServer:
    """Bind the API and console (TLS when the config gives a certificate and key)."""
    tls = tls_context(ctx)
    conf = ctx.state.config
    return ApiServer(build_app(ctx, routes(ctx), ENDPOINTS, PARAMS), conf.api_listen,
                     conf.api_limits, tls,
                     on_stop=ctx.live.close)
