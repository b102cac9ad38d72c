"""The wall's ASGI application (Starlette): login, the live grid, its state API, the live
streams; everything else that names a recording is refused with 403 (ACC-4)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from recorder import keys, viewtoken
from recorder.config import User
from recorder.guard import Busy, Locked, PasswordGuard
from recorder.ledger import Ledger
from recorder.schema import ApiTable
from recorder.wall import live, pages
from recorder.wall.config import WallConfig, cameras_of
from recorder.wall.sessions import COOKIE, LOGIN_CSRF_COOKIE, Session, Sessions, same_token

log = logging.getLogger("recorder.wall")
STATIC = Path(__file__).resolve().parent / "static"
MAX_FORM_BYTES = 4096
# ACC-4: what a recording request looks like here — none is ever served by the wall.
RECORDING_WORDS = ("record", "segment", "playback", "play", "replay", "export", "instant",
                   "download", "archive", "timeline", "search", "hold", "seek", "enregistr",
                   "extract")
ACC4 = ("[ACC-4] the crisis cell sees live streams only: recordings, playback and export are "
        "reachable only under the maire's responsibility, on the commune's NVR")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
    (b"strict-transport-security", b"max-age=31536000"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]


class SecurityHeaders:
    """Adds the security headers to every HTTP response (CSP without inline script, …)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(k, v) for k, v in SECURITY_HEADERS if k not in names]]
            await send(message)
        await self.app(scope, receive, with_headers)


class Wall:
    """What the routes share: config, sessions, password guard, token key, journal."""

    def __init__(self, conf: WallConfig) -> None:
        f = conf.file
        self.conf = conf
        self.sessions = Sessions(f.session_idle_seconds)
        users = tuple(User(id=r.id, name=r.name, role="live", password_hash=r.password_hash,
                           cameras=("*",)) for r in f.recipients)
        self.guard = PasswordGuard(users, ApiTable())
        self.token_key: Ed25519PrivateKey = keys.load_private(f.token_key)
        self.journal = Ledger(f.state_dir / "journal", "journal", keys.load_private(f.journal_key))

    def session(self, request: Request) -> Session | None:
        """The request's live session, or None."""
        return self.sessions.get(request.cookies.get(COOKIE))

    def probe_states(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(commune, camera) -> the health probe's last word on it."""
        path = self.conf.file.probe_status
        try:
            status = json.loads(path.read_text(encoding="utf-8")) if path else {}
        except (OSError, ValueError):
            return {}
        return {(str(s.get("slug")), str(s.get("camera"))): {
            "ok": bool(s.get("ok")), "error": str(s.get("error", ""))[:200],
            "checked_at": str(status.get("checked_at", ""))}
            for s in status.get("streams", []) if isinstance(s, dict)}


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="strict")


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    from urllib.parse import parse_qs

    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                          max_num_fields=8).items()}


def build_app(conf: WallConfig) -> Starlette:
    """The wall's application for this configuration."""
    wall = Wall(conf)
    name = conf.file.name

    async def login_form(request: Request) -> Response:
        import secrets

        token = secrets.token_urlsafe(32)
        response = HTMLResponse(pages.login_page(name, token))
        _set_cookie(response, LOGIN_CSRF_COOKIE, token, 1800)
        return response

    async def login(request: Request) -> Response:
        form = await _form(request)
        if not same_token(form.get("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)):
            return PlainTextResponse("CSRF token missing or wrong", status_code=403)
        person, password = form.get("user", "")[:64], form.get("password", "")
        client = _client(request)
        try:
            outcome = await run_in_threadpool(wall.guard.check, person, password, client)
        except Locked:
            wall.journal.append("login_locked", {"user_claimed": person, "client": client,
                                                 "via": "wall"})
            return HTMLResponse(pages.login_page(name, form["csrf"], "Compte temporairement "
                                "verrouillé après plusieurs échecs."), status_code=429)
        except Busy:
            return HTMLResponse(pages.login_page(name, form["csrf"], "Serveur occupé, "
                                                 "réessayez."), status_code=503)
        if outcome.user is None:
            wall.journal.append("login_failed", {"user_claimed": person, "client": client,
                                                 "via": "wall"})
            if outcome.lockout:
                wall.journal.append("login_lockout", {**outcome.lockout, "via": "wall"})
            return HTMLResponse(pages.login_page(name, form["csrf"], "Identifiant ou mot de "
                                                 "passe incorrect."), status_code=401)
        recipient = conf.recipient(outcome.user.id)
        assert recipient is not None
        wall.journal.append("login", {"user": recipient.id, "service": recipient.service,
                                      "client": client, "via": "wall"})
        response = RedirectResponse("/", status_code=303)
        _set_cookie(response, COOKIE, wall.sessions.open(recipient.id))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/", secure=True, httponly=True,
                               samesite="strict")
        return response

    async def logout(request: Request) -> Response:
        session = wall.session(request)
        form = await _form(request)
        if session is None or not same_token(form.get("csrf"), session.csrf):
            return PlainTextResponse("CSRF token missing or wrong", status_code=403)
        wall.sessions.close(request.cookies.get(COOKIE))
        wall.journal.append("logout", {"user": session.person, "via": "wall"})
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return response

    async def index(request: Request) -> Response:
        session = wall.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        person = conf.recipient(session.person)
        assert person is not None
        return HTMLResponse(pages.wall_page(name, person.name, person.unit, session.csrf))

    async def api_wall(request: Request) -> Response:
        session = wall.session(request)
        if session is None:
            return JSONResponse({"error": "not logged in"}, status_code=401)
        person = conf.recipient(session.person)
        assert person is not None
        states = wall.probe_states()
        communes = []
        for commune in conf.file.communes:
            allowed = set(cameras_of(person, commune))
            cams = [{"id": c.id, "location": c.location, "width": c.width, "height": c.height,
                     "probe": states.get((commune.slug, c.id))}
                    for c in commune.cameras if c.id in allowed]
            if cams:
                communes.append({"slug": commune.slug, "name": commune.name, "cameras": cams})
        return JSONResponse({"person": {"id": person.id, "name": person.name,
                                        "service": person.service, "unit": person.unit},
                             "live_only": True, "communes": communes})

    async def live_stream(request: Request) -> Response:
        session = wall.session(request)
        if session is None:
            return JSONResponse({"error": "not logged in"}, status_code=401)
        if request.query_params:  # a time, a range, a seek: only recordings have those
            return JSONResponse({"error": ACC4}, status_code=403)
        slug, camera = request.path_params["slug"], request.path_params["camera"]
        person = conf.recipient(session.person)
        commune = conf.commune(slug)
        assert person is not None
        allowed = cameras_of(person, commune) if commune is not None else []
        if commune is None or camera not in allowed:
            return JSONResponse({"error": f"[ACC-3] {person.id} may not watch {slug}/{camera}"},
                                status_code=403)
        if session.streams >= conf.file.max_streams_per_session:
            return JSONResponse({"error": "too many streams open"}, status_code=429)
        token = viewtoken.mint(wall.token_key, person=person.id, name=person.name,
                               service=person.service, site=slug, cameras=allowed,
                               ttl=conf.file.token_ttl_seconds)
        url = f"{commune.relay}/{camera}?token={token}"

        async def body() -> AsyncIterator[bytes]:
            session.streams += 1
            try:
                async for chunk in live.fmp4(url):
                    yield chunk
            finally:
                session.streams -= 1
        return StreamingResponse(body(), media_type="video/mp4",
                                 headers={"X-Accel-Buffering": "no"})

    async def refuse_recording(request: Request) -> Response:
        return JSONResponse({"error": ACC4}, status_code=403)

    async def not_found(request: Request) -> Response:
        path = request.url.path.lower()
        if path.startswith("/api/") or any(w in path for w in RECORDING_WORDS):
            return JSONResponse({"error": ACC4}, status_code=403)
        return PlainTextResponse("Not found", status_code=404)

    every = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    routes = [
        Route("/", index),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/api/wall", api_wall, methods=["GET"]),
        Route("/live/{slug}/{camera}", live_stream, methods=["GET"]),
        Route("/api/{rest:path}", refuse_recording, methods=every),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/{rest:path}", not_found, methods=every),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders)
    return app


def serve(conf: WallConfig) -> int:
    """Run the wall under uvicorn (TLS when configured) until SIGTERM."""
    import uvicorn

    host, port = conf.listen
    f = conf.file
    uvicorn.run(build_app(conf), host=host, port=port, log_level="warning",
                ssl_certfile=str(f.tls_cert) if f.tls_cert else None,
                ssl_keyfile=str(f.tls_key) if f.tls_key else None,
                timeout_keep_alive=5, limit_concurrency=256, server_header=False)
    return 0
