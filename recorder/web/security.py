"""Security headers on every answer, the session cookie, and CSRF on every state change.

CSRF (ACC-1: only the person acts under their account): a request that changes state (any
method but GET/HEAD/OPTIONS)
  - is refused when it carries an Origin that is not ours (a cross-site form or script; the
    browser adds Origin to every such POST, and Referrer-Policy same-origin keeps ours real);
  - carried by the session cookie, must also carry our Origin and the session's CSRF token,
    in the X-CSRF-Token header (scripts) or the `csrf` form field (HTML forms);
  - with no cookie and no Authorization header it reaches no session (the endpoint answers
    401; the login form demands its pre-login session, so it is covered by the rule above).
API clients (Basic/Bearer, no cookie, no Origin) are not ambient credentials: a browser never
caches Basic here (401 offers Basic only to cookie-less clients) and never sends a Bearer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from recorder.web.sessions import COOKIE, Session, SessionStore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; font-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM = 64 * 1024  # console forms are a few fields


def security_headers(scheme: str, path: str) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries (HSTS only over TLS: it would be ignored in clear)."""
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if not path.startswith("/static/"):  # video, journal extracts: never kept by a cache
        headers.append((b"cache-control", b"no-store"))
    if scheme == "https":
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def cookie_header(session: Session | None, secure: bool = True) -> bytes:
    """Set-Cookie for the session (None: clear it). Secure even on loopback HTTP: browsers
    accept Secure cookies from http://127.0.0.1 and the production console is HTTPS only."""
    attrs = "; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
    if session is None:
        return f"{COOKIE}=; Max-Age=0{attrs}".encode()
    return f"{COOKIE}={session.id}{attrs}".encode()


def _cookies(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                out.setdefault(k, v)
    return out


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return str(v.decode("latin-1"))
    return None


def own_origin(scope: Scope) -> str:
    """scheme://host[:port] this request was addressed to."""
    return f"{scope.get('scheme', 'http')}://{_header(scope, b'host') or ''}"


async def _refuse(send: Send, scope: Scope, message: str) -> None:
    body = (json.dumps({"error": message}, ensure_ascii=False) + "\n").encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"),
               (b"content-length", str(len(body)).encode()),
               *security_headers(scope.get("scheme", "http"), scope.get("path", ""))]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class WebSecurity:
    """ASGI middleware: loads the session into scope["state"], checks CSRF, adds headers."""

    def __init__(self, app: ASGIApp, sessions: SessionStore) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = _cookies(scope).get(COOKIE)
        session = self.sessions.get(cookie)
        scope.setdefault("state", {})["session"] = session
        if scope["method"] not in SAFE_METHODS:
            origin = _header(scope, b"origin")
            if origin is not None and origin != own_origin(scope):
                await _refuse(send, scope, "[ACC-1] CSRF: request from another origin "
                              f"({origin[:100]!r}) refused")
                return
            if cookie is not None and _header(scope, b"authorization") is None:
                if origin is None:
                    await _refuse(send, scope, "[ACC-1] CSRF: a console request must carry "
                                  "its Origin; reload the page")
                    return
                receive, token = await self._token(scope, receive)
                if session is None or not session.csrf_ok(token):
                    await _refuse(send, scope, "[ACC-1] CSRF: missing or wrong anti-forgery "
                                  "token; reload the page and try again")
                    return

        extra = security_headers(scope.get("scheme", "http"), scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _token(self, scope: Scope, receive: Receive) -> tuple[Receive, str | None]:
        """The CSRF token from the header, or from a urlencoded form (body replayed after)."""
        token = _header(scope, b"x-csrf-token")
        ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if token is not None or ctype != "application/x-www-form-urlencoded":
            return receive, token
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_FORM:
                return receive, None
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            fields = parse_qs(body.decode("ascii"), max_num_fields=64)
        except (UnicodeDecodeError, ValueError):
            fields = {}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        tokens = fields.get("csrf") or []
        return replay, tokens[-1] if tokens else None
