"""HTTP(S) API: individual accounts (argon2id), rights per role, every video request journaled.

A bounded stdlib server (recorder/httpserver.py: connection cap, request deadline, TLS per
connection) keeps the NVR's dependency set small; the API serves a handful of authorised people,
and holds when a crowd of attackers shows up (recorder/guard.py: bounded hashing, lockout).

Endpoints (all JSON unless noted; credentials: `Authorization: Basic` or a Bearer token from
POST /api/login):
  POST /api/login                         -> {"token", "expires"}            (journal: login)
  GET  /api/cameras                       -> cameras the account may see
  GET  /api/segments?camera=&from=&to=    -> search (maire/adjoint)          (journal: search)
  GET  /api/instant?camera=&at=           -> CAM-4: segment, offset, location, UTC time
  GET  /api/play?camera=&from=&to=        -> MPEG-TS bytes of the range      (journal: playback)
  POST /api/export {cameras, from, to, requisition?} -> signed manifest     (journal: export)
  GET  /api/live?camera=                  -> relay URL, live only            (journal: live_view)
  GET  /api/status                        -> camera states, disk, alarm (any account)
  GET  /metrics                           -> Prometheus text (no video, no account needed)
"""

from __future__ import annotations

import json
import logging
import secrets
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from recorder import access, export, timeutil
from recorder.config import ConfigError, Finding, User
from recorder.guard import Busy, CredentialCache, Locked, PasswordGuard
from recorder.httpserver import BoundedHTTPServer, JsonErrorHandler
from recorder.metrics import Metrics
from recorder.state import State

log = logging.getLogger("recorder.api")
TOKEN_TTL = 8 * 3600.0
BASIC_CACHE_TTL = 60.0  # argon2 is deliberately slow: remember a verified Basic pair briefly


MAX_BODY = 1 << 20  # JSON bodies are small (an export request); anything larger is refused
MAX_QUERY_FIELDS = 32


class HttpError(Exception):
    """An HTTP error answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class ApiContext:
    """What request handlers share: state, metrics, sessions, camera status."""

    def __init__(self, state: State, metrics: Metrics,
                 status_fn: Callable[[], dict[str, str]] | None = None,
                 alarm_fn: Callable[[], bool] | None = None) -> None:
        self.state = state
        self.metrics = metrics
        self.status_fn = status_fn or dict
        self.alarm_fn = alarm_fn or (lambda: False)
        self.guard = PasswordGuard(state.config.users, state.config.api_limits)
        self.credentials = CredentialCache(self.guard, BASIC_CACHE_TTL)
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def check_basic(self, header: str, client: str, path: str = "") -> User | None:
        """Verify `Basic base64(user:password)`; None if wrong; HttpError 429 when locked out,
        503 when every hashing slot is busy. Failures and lockouts are journaled (JRN-1)."""
        try:
            outcome = self.credentials.check(header, client)
        except Locked as exc:
            raise HttpError(429, "[ACC-5] too many failed logins: locked out, try again later",
                            {"Retry-After": exc.retry_after_header}) from None
        except Busy:
            raise HttpError(503, "busy checking passwords, try again",
                            {"Retry-After": "1"}) from None
        if outcome.user is None:
            self.state.journal.append("login_failed", {"client": client, "path": path,
                                                       "user_claimed": outcome.claimed})
            if outcome.lockout:
                self.state.journal.append("login_lockout", outcome.lockout)
                log.warning("login lockout", extra=outcome.lockout)
        return outcome.user

    def new_token(self, user: User) -> tuple[str, float]:
        """Issue a session token."""
        token = secrets.token_urlsafe(32)
        expires = timeutil.now() + TOKEN_TTL
        with self._lock:
            now = timeutil.now()
            for t in [t for t, (_, exp) in self._tokens.items() if exp < now]:
                del self._tokens[t]
            self._tokens[token] = (user.id, expires)
        return token, expires

    def check_token(self, token: str) -> User | None:
        """User of a live session token."""
        with self._lock:
            hit = self._tokens.get(token)
        if hit is None or hit[1] < timeutil.now():
            return None
        return self.state.config.user(hit[0])


class Handler(JsonErrorHandler):
    """One API request."""

    ctx: ApiContext

    def log_message(self, format: str, *args: Any) -> None:
        log.info("http", extra={"client": self.client_address[0], "request": format % args})

    # -- plumbing -----------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False, indent=1).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="beffroi-recorder"')
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status >= 400:
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        """The request body, whole: a bad or too large Content-Length is a 4xx."""
        if self.headers.get("Transfer-Encoding"):
            raise HttpError(411, "send a Content-Length, not a chunked body")
        value = (self.headers.get("Content-Length") or "0").strip()
        if not (value.isascii() and value.isdigit()):
            raise HttpError(400, f"Content-Length must be a number of bytes, got {value[:32]!r}")
        length = int(value)
        if length > MAX_BODY:
            raise HttpError(413, f"body too large ({length} bytes, at most {MAX_BODY})")
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise HttpError(400, "body shorter than its Content-Length")
        return data

    def _json_body(self, data: bytes) -> dict[str, Any]:
        if not data:
            return {}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise HttpError(415, "the body must be application/json")
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise HttpError(400, "body must be UTF-8 JSON") from None
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        return body

    def _dispatch(self, method: str) -> None:
        try:
            url = urlsplit(self.path)
            try:
                query = {k: v[-1] for k, v in
                         parse_qs(url.query, max_num_fields=MAX_QUERY_FIELDS).items()}
            except ValueError:
                raise HttpError(400, "too many query parameters") from None
            data = self._read_body()
            if method == "GET" and url.path == "/metrics":
                metrics = self.ctx.metrics.render()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(metrics)))
                self.end_headers()
                self.wfile.write(metrics)
                return
            if method == "GET" and url.path == "/healthz":
                self._send_json(200, {"ok": True})
                return
            route = ROUTES.get((method, url.path))
            if route is None:
                raise HttpError(404, "no such endpoint")
            body = self._json_body(data)
            user = self._authenticate(url.path)
            route(self, user, query, body)
        except HttpError as exc:
            self._send_json(exc.status, {"error": exc.message}, exc.headers)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            raise
        except Exception:  # a bug must still answer, and be logged with its traceback
            log.exception("request failed", extra={"client": self.client_address[0],
                                                   "path": self.path[:200]})
            self._send_json(500, {"error": "internal error (logged)"})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _authenticate(self, path: str) -> User:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        user = None
        if scheme.lower() == "basic":
            user = self.ctx.check_basic(value.strip(), self.client_address[0], path)
        elif scheme.lower() == "bearer":
            user = self.ctx.check_token(value.strip())
        if user is None:
            raise HttpError(401, "[ACC-1] authentication required: individual account")
        return user

    def _require(self, user: User, action: str, camera: str | None,
                 rng: tuple[float, float] | None = None) -> None:
        if access.allowed(user, action, camera):
            return
        entry: dict[str, Any] = {"user": user.id, "action": action, "camera": camera,
                                 "client": self.client_address[0]}
        if rng:
            entry.update({"from": timeutil.iso(rng[0]), "to": timeutil.iso(rng[1])})
        self.ctx.state.journal.append("access_denied", entry)  # JRN-1: refusals are traced too
        raise HttpError(403, access.refusal(user, action, camera))

    def _camera(self, query: dict[str, str]) -> str:
        cam = query.get("camera", "")
        try:
            self.ctx.state.config.camera(cam)
        except KeyError:
            raise HttpError(400, f"unknown camera {cam[:64]!r}") from None
        return cam


def _range(query: dict[str, str]) -> tuple[float, float]:
    try:
        start = timeutil.parse_iso(query["from"])
        end = timeutil.parse_iso(query["to"])
    except KeyError as exc:
        raise HttpError(400, f"missing query parameter {exc.args[0]!r}") from None
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    if end <= start:
        raise HttpError(400, "'to' must be after 'from'")
    return start, end


Route = Callable[[Handler, User, dict[str, str], dict[str, Any]], None]


def _login(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    token, expires = h.ctx.new_token(user)
    h.ctx.state.journal.append("login", {"user": user.id, "client": h.client_address[0]})
    h._send_json(200, {"token": token, "expires": timeutil.iso(expires), "role": user.role})


def _cameras(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    cams = [c for c in h.ctx.state.config.cameras if user.role == "admin" or user.may_see(c.id)]
    h._send_json(200, [{"id": c.id, "role": c.role, "location": c.location} for c in cams])


def _segments(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    cam = h._camera(q)
    rng = _range(q)
    h._require(user, access.SEARCH, cam, rng)
    segs = h.ctx.state.index.segments(cam, *rng)
    h.ctx.state.journal.append("search", {"user": user.id, "camera": cam,
                                          "from": timeutil.iso(rng[0]),
                                          "to": timeutil.iso(rng[1]), "results": len(segs)})
    gaps = [g for g in h.ctx.state.index.gaps(cam) if g.start < rng[1] and g.end > rng[0]]
    h._send_json(200, {
        "camera": cam,
        "segments": [{"id": s.id, "start": timeutil.iso(s.start), "end": timeutil.iso(s.end),
                      "size": s.size, "sha256": s.sha256, "clock_valid": s.valid,
                      "repaired": s.repaired} for s in segs],
        "gaps": [{"start": timeutil.iso(g.start), "end": timeutil.iso(g.end),
                  "reason": g.reason} for g in gaps]})


def _instant(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    cam = h._camera(q)
    try:
        at = timeutil.parse_iso(q.get("at", ""))
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    h._require(user, access.SEARCH, cam, (at, at))
    segs = h.ctx.state.index.segments(cam, at, at + 1e-6)
    h.ctx.state.journal.append("search", {"user": user.id, "camera": cam,
                                          "from": timeutil.iso(at), "to": timeutil.iso(at)})
    camera = h.ctx.state.config.camera(cam)
    if not segs:
        raise HttpError(404, f"no recording of {cam} at {timeutil.iso(at)}")
    s = segs[0]
    h._send_json(200, {"camera": cam, "location": camera.location, "utc": timeutil.iso(at),
                       "segment": Path(s.path).name, "offset_seconds": round(at - s.start, 3),
                       "clock_valid": s.valid})


def _play(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    cam = h._camera(q)
    rng = _range(q)
    h._require(user, access.PLAYBACK, cam, rng)
    segs = h.ctx.state.index.segments(cam, *rng)
    h.ctx.state.journal.append("playback", {"user": user.id, "camera": cam,
                                            "from": timeutil.iso(rng[0]),
                                            "to": timeutil.iso(rng[1]), "segments": len(segs)})
    if not segs:
        raise HttpError(404, "no recording in that range")
    paths = [h.ctx.state.abspath(s.path) for s in segs]
    total = sum(p.stat().st_size for p in paths)
    h.send_response(200)
    h.send_header("Content-Type", "video/mp2t")
    h.send_header("Content-Length", str(total))
    h.end_headers()
    for p in paths:  # MPEG-TS segments concatenate into one playable stream, bytes unchanged
        with open(p, "rb") as fh:
            while block := fh.read(1 << 16):
                h.wfile.write(block)


def _export(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    cams = b.get("cameras")
    if not isinstance(cams, list) or not cams or not all(isinstance(c, str) for c in cams):
        raise HttpError(400, "'cameras' must be a non-empty list of camera ids")
    rng = _range({k: str(v) for k, v in b.items() if k in ("from", "to")})
    for cam in cams:
        h._camera({"camera": cam})
        h._require(user, access.EXPORT, cam, rng)
    try:  # EXP-2: a requisition reference or a written reason is required
        reason, requisition = export.check_reason(b.get("reason"), b.get("requisition"))
    except export.ExportError as exc:
        raise HttpError(400, str(exc)) from None
    conf = h.ctx.state.config
    out = conf.export_dir / f"{conf.site}-{user.id}-{timeutil.compact(timeutil.now())}"
    try:
        manifest = export.export(h.ctx.state, cams, rng[0], rng[1], out, user,
                                 requisition=requisition, via="api", reason=reason)
    except export.ExportError as exc:
        raise HttpError(409, str(exc)) from None
    h._send_json(200, {"export_dir": str(out), "manifest": manifest})


def _live(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    cam = h._camera(q)
    h._require(user, access.LIVE, cam)
    host, port = h.ctx.state.config.relay_listen
    h.ctx.state.journal.append("live_view", {"user": user.id, "camera": cam,
                                             "client": h.client_address[0]})
    h._send_json(200, {"camera": cam, "url": f"rtsp://{host}:{port}/{cam}"})


def _status(h: Handler, user: User, q: dict[str, str], b: dict[str, Any]) -> None:
    h._require(user, access.STATUS, None)
    h._send_json(200, {"site": h.ctx.state.config.site, "cameras": h.ctx.status_fn(),
                       "disk_alarm": h.ctx.alarm_fn()})


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/login"): _login,
    ("GET", "/api/cameras"): _cameras,
    ("GET", "/api/segments"): _segments,
    ("GET", "/api/instant"): _instant,
    ("GET", "/api/play"): _play,
    ("POST", "/api/export"): _export,
    ("GET", "/api/live"): _live,
    ("GET", "/api/status"): _status,
}


def make_server(ctx: ApiContext) -> BoundedHTTPServer:
    """Bind the API (TLS when the config gives a certificate and key), within its limits."""
    conf = ctx.state.config
    handler = type("BoundHandler", (Handler,), {"ctx": ctx, "limits": conf.api_limits})
    tls = None
    if conf.tls_cert and conf.tls_key:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            tls.load_cert_chain(conf.tls_cert, conf.tls_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(conf.source, [Finding(
                "api.tls_key", "NET-2", f"cannot load the certificate {conf.tls_cert} with the "
                f"key {conf.tls_key}: {getattr(exc, 'strerror', None) or exc}; deploy the "
                "site's pair from the vault (recorder role)")]) from None
    return BoundedHTTPServer(conf.api_listen, handler, conf.api_limits, tls)
