"""What every endpoint of the API and the console shares: the context (state, guard,
sessions, live pulls), one authenticated call and its rights check, HTTP errors, strict query
and body parsing, and the wrapper that runs a blocking handler in the thread pool."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from recorder import access, export, timeutil
from recorder.config import User
from recorder.guard import Busy, CredentialCache, Locked, PasswordGuard
from recorder.metrics import Metrics
from recorder.state import State
from recorder.web.nav import NavItem
from recorder.web.pulls import LiveHub
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
        self.state = state
        self.metrics = metrics
        self.status_fn = status_fn or dict
        self.alarm_fn = alarm_fn or (lambda: False)
        self.guard = PasswordGuard(state.config.users, state.config.api_limits)
        self.credentials = CredentialCache(self.guard, BASIC_CACHE_TTL)
        self.sessions = SessionStore()
        self.nav: list[NavItem] = []  # set by recorder.web.app.build_app
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
