"""A stand-in host for the records pages until they are mounted in the console app: a real
Starlette app on uvicorn (127.0.0.1), real argon2 logins against the recorder's accounts,
a session cookie and a CSRF token checked on every POST. Only for tests."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import uvicorn
from recorder_harness import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from recorder import passwords
from recorder.config import User
from recorder.state import State
from recorder.web.records import Host, Records


class StandInHost:
    """Sessions in memory, cookie `sid`."""

    def __init__(self, state: State, status_fn: Any = dict, alarm_fn: Any = lambda: False,
                 sync_fn: Any = lambda: True) -> None:
        self.state = state
        self.sessions: dict[str, tuple[str, str]] = {}  # sid -> (user id, csrf)
        self.host = Host(state=state, user=self.user, csrf=self.csrf, status_fn=status_fn,
                         alarm_fn=alarm_fn, sync_fn=sync_fn)
        self.records = Records(self.host)
        routes = [Route("/connexion", self.login, methods=["GET", "POST"]),
                  Route("/", self.home), *self.records.routes()]
        self.app = Starlette(routes=routes)
        self.app.add_middleware(_Csrf, host=self)  # type: ignore[arg-type]

    def user(self, request: Request) -> User | None:
        sid = request.cookies.get("sid", "")
        hit = self.sessions.get(sid)
        return self.state.config.user(hit[0]) if hit else None

    def csrf(self, request: Request) -> str:
        hit = self.sessions.get(request.cookies.get("sid", ""))
        return hit[1] if hit else ""

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse('<form method="post"><input name="user" id="user">'
                                '<input name="password" id="password" type="password">'
                                '<button type="submit">Connexion</button></form>')
        form = await request.form()
        user = self.state.config.user(str(form.get("user", "")))
        if user is None or not passwords.check_password(user.password_hash,
                                                        str(form.get("password", ""))):
            return HTMLResponse("mauvais identifiants", status_code=401)
        sid = secrets.token_urlsafe(16)
        self.sessions[sid] = (user.id, secrets.token_urlsafe(16))
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie("sid", sid, httponly=True, samesite="strict")
        return resp

    async def home(self, request: Request) -> Response:
        return HTMLResponse("<p>console</p>")


class _Csrf:
    """Refuse a POST whose form token is not the session's (403)."""

    def __init__(self, app: Any, host: StandInHost) -> None:
        self.app, self.host = app, host

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and \
                scope["path"] != "/connexion":
            request = Request(scope, receive)
            body = await request.body()
            form = await request.form()
            expected = self.host.csrf(request)
            if not expected or form.get("csrf") != expected:
                await HTMLResponse("CSRF", status_code=403)(scope, receive, send)
                return

            async def replay() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}
            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


class Served:
    """uvicorn serving an app on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
