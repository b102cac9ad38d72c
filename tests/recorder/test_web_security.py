"""The console's session and CSRF rules and security headers, on the real server in this
process (no browser): the login form needs its own pre-login session and token (login CSRF),
a login issues a new session id (no fixation), every answer carries CSP & co (ACC-1, NET-2)."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path
from urllib.parse import urlencode

from recorder_harness import PASSWORD
from test_recorder_api_hardening import Served, serve


def _call(port: int, method: str, path: str, body: bytes = b"",
          headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def _login_page(srv: Served) -> tuple[str, str]:
    """(session cookie, CSRF token) of a fresh login form."""
    status, headers, body = _call(srv.port, "GET", "/login")
    assert status == 200
    cookie = headers["set-cookie"].split(";")[0]
    token = re.search(rb'name="csrf" value="([^"]+)"', body)
    assert token
    return cookie, token.group(1).decode()


def _post_login(srv: Served, cookie: str | None, token: str | None,
                origin: str | None = "http://127.0.0.1") -> tuple[int, http.client.HTTPMessage]:
    form = {"user": "mdupont", "password": PASSWORD, "next": "/direct"}
    if token is not None:
        form["csrf"] = token
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    status, hdrs, _ = _call(srv.port, "POST", "/login", urlencode(form).encode(), headers)
    return status, hdrs


def _logins(srv: Served) -> list[object]:
    return [e for e in srv.journal("login") if e.get("via") == "console"]


def test_login_form_needs_its_own_session_and_token(tmp_path: Path) -> None:
    with serve(tmp_path) as srv:
        cookie, token = _login_page(srv)
        assert _post_login(srv, None, token)[0] in (400, 403)  # no pre-login session
        assert _post_login(srv, cookie, None)[0] == 403  # no token
        assert _post_login(srv, cookie, "forged-token")[0] == 403
        assert _post_login(srv, cookie, token, origin="https://evil.example")[0] == 403
        assert _post_login(srv, cookie, token, origin=None)[0] == 403
        assert _logins(srv) == []
        status, headers = _post_login(srv, cookie, token)
        assert status == 303 and headers["location"] == "/direct"
        new = headers["set-cookie"].split(";")[0]
        assert new != cookie, "the login must issue a new session id (fixation)"
        attrs = headers["set-cookie"].lower()
        assert "httponly" in attrs and "secure" in attrs and "samesite=strict" in attrs
        assert len(_logins(srv)) == 1
        # the session works, the pre-login one does not carry the account
        assert _call(srv.port, "GET", "/api/cameras", headers={"Cookie": new})[0] == 200
        assert _call(srv.port, "GET", "/api/cameras", headers={"Cookie": cookie})[0] == 401


def test_a_session_cookie_without_its_token_changes_nothing(tmp_path: Path) -> None:
    with serve(tmp_path) as srv:
        cookie, token = _login_page(srv)
        session = _post_login(srv, cookie, token)[1]["set-cookie"].split(";")[0]
        page = _call(srv.port, "GET", "/direct", headers={"Cookie": session})[2]
        csrf = re.search(rb'<meta name="csrf" content="([^"]+)"', page)
        assert csrf
        logout = {"Cookie": session, "Host": "127.0.0.1", "Origin": "http://127.0.0.1",
                  "Content-Type": "application/x-www-form-urlencoded"}
        assert _call(srv.port, "POST", "/logout", b"csrf=wrong", logout)[0] == 403
        assert _call(srv.port, "GET", "/api/cameras", headers={"Cookie": session})[0] == 200
        body = f"csrf={csrf.group(1).decode()}".encode()
        assert _call(srv.port, "POST", "/logout", body, logout)[0] == 303
        assert _call(srv.port, "GET", "/api/cameras", headers={"Cookie": session})[0] == 401


def test_every_answer_carries_the_security_headers(tmp_path: Path) -> None:
    with serve(tmp_path) as srv:
        for path in ("/login", "/api/cameras", "/static/console.css", "/nowhere", "/direct"):
            _, headers, _ = _call(srv.port, "GET", path)
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"] == "same-origin", path
            assert headers["x-frame-options"] == "DENY", path
        # a browser with the session cookie is never offered to cache a Basic password
        _, headers, _ = _call(srv.port, "GET", "/api/cameras",
                              headers={"Cookie": "beffroi_session=stale"})
        assert "www-authenticate" not in headers
        assert "www-authenticate" in _call(srv.port, "GET", "/api/cameras")[1]


def test_openapi_describes_the_json_api(tmp_path: Path) -> None:
    with serve(tmp_path) as srv:
        status, _, body = _call(srv.port, "GET", "/api/openapi.json")
        doc = json.loads(body)
        assert status == 200 and doc["openapi"].startswith("3.")
        assert {"/api/login", "/api/segments", "/api/play", "/api/export"} <= set(doc["paths"])
        assert "post" in doc["paths"]["/api/export"]
