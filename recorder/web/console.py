"""The commune console's pages (French UI): login, live grid, recordings (timeline, search,
playback), export wizard. Rights come from the habilitations (recorder.access): a `live`
account reaches the live grid only; every view and export is journaled (JRN-1)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from recorder import access
from recorder.web import exportview, live, playback
from recorder.web.pages import page_user, render, session_of
from recorder.web.security import cookie_header

if TYPE_CHECKING:
    from recorder.api import ApiContext

MAX_LOGIN_FIELD = 256


def _safe_next(value: str | None) -> str:
    """A local path to go to after login (never another site: open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return parts.path if not parts.netloc and not parts.scheme else "/"


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The console's routes."""
    from recorder.api import HttpError, client_of

    def home(request: Request) -> Response:
        user = page_user(ctx, request)
        if access.allowed(user, access.LIVE):
            return RedirectResponse("/direct", 303)
        return render(ctx, request, "error.html", user=user, title="Aucune vidéo",
                      message="Ce compte ne donne accès à aucune image (ACC-2).")

    def login_page(request: Request, error: str = "", status: int = 200,
                   name: str = "") -> Response:
        s = session_of(request)
        if s is None or s.user_id is not None:
            s = ctx.sessions.new(None, ttl=1800)  # the form's own CSRF token (login CSRF)
            request.state.session = s
        response = render(ctx, request, "login.html", status=status, error=error,
                          name=name, next=_safe_next(request.query_params.get("next")))
        response.headers.append("set-cookie", cookie_header(s).decode())
        return response

    async def login_get(request: Request) -> Response:
        return login_page(request)

    async def login_post(request: Request) -> Response:
        s = session_of(request)
        form = await request.form(max_files=0, max_fields=8)
        name = str(form.get("user", ""))[:MAX_LOGIN_FIELD]
        password = str(form.get("password", ""))[:MAX_LOGIN_FIELD]
        if s is None:  # WebSecurity checked the token; without a session there was none
            return login_page(request, "Session expirée : saisissez à nouveau.", 400, name)
        try:
            user = await run_in_threadpool(ctx.check_password, name, password,
                                           client_of(request), "/login")
        except HttpError as exc:
            return login_page(request, exc.message, exc.status, name)
        if user is None:
            return login_page(request, "Identifiant ou mot de passe incorrect.", 401, name)
        ctx.sessions.drop(s.id)
        ctx.live.warm([c.id for c in ctx.state.config.cameras
                       if access.allowed(user, access.LIVE, c.id)])
        new = ctx.sessions.new(user.id)  # a new id at login: no fixation
        ctx.state.journal.append("login", {"user": user.id, "client": client_of(request),
                                           "via": "console"})
        response = RedirectResponse(_safe_next(str(form.get("next", "/"))), 303)
        response.headers.append("set-cookie", cookie_header(new).decode())
        return response

    async def logout(request: Request) -> Response:
        s = session_of(request)
        if s is not None:
            ctx.sessions.drop(s.id)
            if s.user_id:
                ctx.state.journal.append("logout", {"user": s.user_id,
                                                    "client": client_of(request)})
        response = RedirectResponse("/login", 303)
        response.headers.append("set-cookie", cookie_header(None).decode())
        return response

    return [
        Route("/", home, include_in_schema=False),
        Route("/login", login_get, methods=["GET"], include_in_schema=False),
        Route("/login", login_post, methods=["POST"], include_in_schema=False),
        Route("/logout", logout, methods=["POST"], include_in_schema=False),
        *live.routes(ctx),
        *playback.routes(ctx),
        *exportview.routes(ctx),
    ]
