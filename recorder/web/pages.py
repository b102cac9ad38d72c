"""Page plumbing shared by the console and the records views: who is logged in, what they may
reach, the French layout (templates/base.html) and its navigation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from recorder import access
from recorder.config import User
from recorder.web.sessions import Session

if TYPE_CHECKING:
    from recorder.api import ApiContext

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
ROLE_LABELS = {"maire": "maire", "adjoint": "adjoint·e", "live": "direct seulement",
               "admin": "administration"}


@dataclass(frozen=True)
class NavItem:
    """One entry of the top navigation: shown only to roles granted `action` (recorder.access).
    `key` is the accesskey (Alt+Shift+key in Chromium)."""

    label: str
    path: str
    action: str
    key: str = ""


# The console's own entries; recorder/web/records.py adds its NAV after them.
CONSOLE_NAV = [NavItem("Direct", "/direct", access.LIVE, "d"),
               NavItem("Enregistrements", "/enregistrements", access.PLAYBACK, "e"),
               NavItem("Export", "/export", access.EXPORT, "x")]

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                   autoescape=select_autoescape(default=True, default_for_string=True))


class PageError(Exception):
    """A page cannot be shown: a redirect (to the login) or an HTML error page."""

    def __init__(self, response: Response) -> None:
        super().__init__(str(response.status_code))
        self.response = response


def session_of(request: Request) -> Session | None:
    """The request's session (loaded by recorder.web.security.WebSecurity)."""
    s = getattr(request.state, "session", None)
    return s if isinstance(s, Session) else None


def page_user(ctx: ApiContext, request: Request, action: str | None = None) -> User:
    """The logged-in user, granted `action` (a page of a right the role lacks is a 403, and
    journaled as an access refusal: JRN-1). Not logged in: redirect to the login page."""
    s = session_of(request)
    user = ctx.state.config.user(s.user_id) if s and s.user_id else None
    if user is None:
        raise PageError(RedirectResponse(f"/login?next={request.url.path}", 303))
    if action is not None and not access.allowed(user, action):
        ctx.state.journal.append("access_denied", {
            "user": user.id, "action": action, "camera": None,
            "client": request.client.host if request.client else "?",
            "page": request.url.path[:200]})
        raise PageError(render(ctx, request, "error.html", status=403, user=user,
                               title="Accès refusé",
                               message=access.refusal(user, action, None)))
    return user


def nav_for(user: User | None) -> list[NavItem]:
    """Navigation entries the user's role may use."""
    from recorder.web import records

    if user is None:
        return []
    return [n for n in [*CONSOLE_NAV, *records.NAV] if access.allowed(user, n.action)]


def render(ctx: ApiContext, request: Request, template: str, status: int = 200,
           user: User | None = None, **values: Any) -> HTMLResponse:
    """A page in the layout: navigation for the user, the session's CSRF token for forms and
    scripts (<meta name=csrf>), the site name."""
    s = session_of(request)
    html = _env.get_template(template).render(
        request=request, user=user, nav=nav_for(user), csrf=s.csrf if s else "",
        site=ctx.state.config.site, role_label=ROLE_LABELS.get(user.role, user.role)
        if user else "", path=request.url.path, **values)
    return HTMLResponse(html, status)
