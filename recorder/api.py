"""HTTP(S) API: individual accounts (argon2id), rights per role, every video request journaled.

Starlette endpoints on uvicorn (recorder/web/server.py bounds connections, the request
deadline and TLS; recorder/guard.py bounds password hashing and locks out). The console
(recorder/web/) uses the same endpoints with its session cookie; OpenAPI at /api/openapi.json
(built from ENDPOINTS and PARAMS: recorder/web/app.py).

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

import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from recorder import access, export, timeutil
from recorder.config import ConfigError, Finding, User
from recorder.guard import Busy, CredentialCache, Locked, PasswordGuard
from recorder.metrics import Metrics
from recorder.state import State
from recorder.web.server import ApiServer
from recorder.web.sessions import COOKIE, Session, SessionStore

log = logging.getLogger("recorder.api")
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
    """What request handlers share: state, metrics, sessions, camera status, live pulls."""

    def __init__(self, state: State, metrics: Metrics,
                 status_fn: Callable[[], dict[str, str]] | None = None,
                 alarm_fn: Callable[[], bool] | None = None) -> None:
        from recorder.web.live import LiveHub

        self.state = state
        self.metrics = metrics
        self.status_fn = status_fn or dict
        self.alarm_fn = alarm_fn or (lambda: False)
        self.guard = PasswordGuard(state.config.users, state.config.api_limits)
        self.credentials = CredentialCache(self.guard, BASIC_CACHE_TTL)
        self.sessions = SessionStore()
        self.live = LiveHub(state.config)

    def journal_failure(self, claimed: str, client: str, path: str,
                        lockout: dict[str, object] | None) -> None:
        """JRN-1: a wrong password, and the lock it may start, are journaled."""
        self.state.journal.append("login_failed", {"client": client, "path": path,
                                                   "user_claimed": claimed})
        if lockout:
            self.state.journal.append("login_lockout", lockout)
            log.warning("login lockout", extra=lockout)

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
            self.journal_failure(outcome.claimed, client, path, outcome.lockout)
        return outcome.user

    def check_password(self, user_id: str, password: str, client: str,
                       path: str) -> User | None:
        """The console's login form: same guard, lockout and journal as Basic."""
        try:
            outcome = self.guard.check(user_id, password, client)
        except Locked as exc:
            raise HttpError(429, "[ACC-5] trop d'échecs de connexion : compte ou poste "
                            "verrouillé, réessayez plus tard",
                            {"Retry-After": exc.retry_after_header}) from None
        except Busy:
            raise HttpError(503, "serveur occupé, réessayez", {"Retry-After": "1"}) from None
        if outcome.user is None:
            self.journal_failure(user_id[:64], client, path, outcome.lockout)
        return outcome.user


@dataclass(frozen=True)
class Call:
    """One authenticated API call, as the handlers see it."""

    ctx: ApiContext
    user: User
    query: dict[str, str]
    body: dict[str, Any]
    client: str
    session: Session | None

    def require(self, action: str, camera: str | None,
                rng: tuple[float, float] | None = None) -> None:
        """403 (journaled, JRN-1) unless the user's role grants the action on the camera."""
        if access.allowed(self.user, action, camera):
            return
        entry: dict[str, Any] = {"user": self.user.id, "action": action, "camera": camera,
                                 "client": self.client}
        if rng:
            entry.update({"from": timeutil.iso(rng[0]), "to": timeutil.iso(rng[1])})
        self.ctx.state.journal.append("access_denied", entry)
        raise HttpError(403, access.refusal(self.user, action, camera))

    def camera(self, key: str = "camera") -> str:
        """The queried camera id, known to the configuration (400 otherwise)."""
        cam = self.query.get(key, "")
        try:
            self.ctx.state.config.camera(cam)
        except KeyError:
            raise HttpError(400, f"unknown camera {cam[:64]!r}") from None
        return cam


def client_of(request: Request) -> str:
    """The peer address."""
    return request.client.host if request.client else "?"


def parse_query(request: Request) -> dict[str, str]:
    """The query string, strictly UTF-8, bounded in fields (400 otherwise)."""
    try:
        raw = request.scope.get("query_string", b"").decode("ascii")
        return {k: v[-1] for k, v in parse_qs(raw, max_num_fields=MAX_QUERY_FIELDS,
                                              errors="strict").items()}
    except UnicodeDecodeError:
        raise HttpError(400, "the query string must be UTF-8") from None
    except ValueError:
        raise HttpError(400, "too many query parameters") from None


async def read_body(request: Request) -> bytes:
    """The request body, whole: chunked or too large is a 4xx, before anything is read."""
    if request.headers.get("transfer-encoding"):
        raise HttpError(411, "send a Content-Length, not a chunked body")
    value = (request.headers.get("content-length") or "0").strip()
    if not (value.isascii() and value.isdigit()):
        raise HttpError(400, f"Content-Length must be a number of bytes, got {value[:32]!r}")
    if int(value) > MAX_BODY:
        raise HttpError(413, f"body too large ({value} bytes, at most {MAX_BODY})")
    return await request.body()


def json_body(request: Request, data: bytes) -> dict[str, Any]:
    """A JSON object body (empty body: {})."""
    if not data:
        return {}
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise HttpError(415, "the body must be application/json")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise HttpError(400, "body must be UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise HttpError(400, "body must be a JSON object")
    return body


def error_response(exc: HttpError, request: Request | None = None) -> JSONResponse:
    """The JSON answer of an HttpError (401 asks for Basic only from cookie-less clients:
    a browser must never be offered to cache a Basic password, that would be ambient)."""
    headers = dict(exc.headers)
    if exc.status == 401 and (request is None or COOKIE not in request.cookies):
        headers["WWW-Authenticate"] = 'Basic realm="beffroi-recorder"'
    return JSONResponse({"error": exc.message}, exc.status, headers)


async def authenticate(ctx: ApiContext, request: Request) -> tuple[User, Session | None]:
    """The account of the request: Basic, Bearer, or the console's session cookie."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    user, session = None, None
    if scheme.lower() == "basic":
        user = await run_in_threadpool(ctx.check_basic, value.strip(), client_of(request),
                                       request.url.path)
    elif scheme.lower() == "bearer":
        session = ctx.sessions.get(value.strip())
    else:
        session = getattr(request.state, "session", None)
    if session is not None and session.user_id is not None:
        user = ctx.state.config.user(session.user_id)
    if user is None:
        raise HttpError(401, "[ACC-1] authentication required: individual account")
    return user, session


Handler = Callable[[Call], Response]


def endpoint(ctx: ApiContext, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a blocking handler: query and body checks, authentication, then the handler in
    the thread pool; every HttpError (and any bug) answers JSON."""

    async def run(request: Request) -> Response:
        try:
            query = {**parse_query(request), **request.path_params}
            data = await read_body(request)
            body = json_body(request, data)
            user, session = await authenticate(ctx, request)
            call = Call(ctx, user, query, body, client_of(request), session)
            return await run_in_threadpool(handler, call)
        except HttpError as exc:
            return error_response(exc, request)
        except Exception:  # a bug must still answer, and be logged with its traceback
            log.exception("request failed", extra={"client": client_of(request),
                                                   "path": request.url.path[:200]})
            return JSONResponse({"error": "internal error (logged)"}, 500)

    run.__doc__ = handler.__doc__
    return run


def parse_range(query: dict[str, str]) -> tuple[float, float]:
    """[from, to) of the query (400 when missing, malformed or empty)."""
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


def ok(body: Any) -> JSONResponse:
    """A 200 JSON answer."""
    return JSONResponse(body)


def _login(c: Call) -> Response:
    """Issue a bearer token for the account (journal: login)."""
    session = c.ctx.sessions.new(c.user.id)
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


def run_export(c: Call, via: str = "api") -> tuple[Path, dict[str, Any]]:
    """Check and run an export request (EXP-2); the export directory and its manifest."""
    b = c.body
    cams = b.get("cameras")
    if not isinstance(cams, list) or not cams or not all(isinstance(x, str) for x in cams):
        raise HttpError(400, "'cameras' must be a non-empty list of camera ids")
    rng = parse_range({k: str(v) for k, v in b.items() if k in ("from", "to")})
    for cam in cams:
        Call(c.ctx, c.user, {"camera": cam}, {}, c.client, c.session).camera()
        c.require(access.EXPORT, cam, rng)
    try:  # EXP-2: a requisition reference or a written reason is required
        reason, requisition = export.check_reason(b.get("reason"), b.get("requisition"))
    except export.ExportError as exc:
        raise HttpError(400, str(exc)) from None
    conf = c.ctx.state.config
    out = conf.export_dir / f"{conf.site}-{c.user.id}-{timeutil.compact(timeutil.now())}"
    try:
        manifest = export.export(c.ctx.state, cams, rng[0], rng[1], out, c.user,
                                 requisition=requisition, via=via, reason=reason)
    except export.ExportError as exc:
        raise HttpError(409, str(exc)) from None
    return out, manifest


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
    from recorder.web.app import build_app

    tls = tls_context(ctx)
    conf = ctx.state.config
    return ApiServer(build_app(ctx), conf.api_listen, conf.api_limits, tls,
                     on_stop=ctx.live.close)
