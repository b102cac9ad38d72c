"""The console in a real browser: recorded playback (EXP-4), rights per habilitation (a `live`
account reaches no recording: ACC-3/ACC-4), lockout journaled (ACC-5, JRN-1), CSRF refused."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from typing import Any

from console_harness import HEIGHT, WIDTH, Console, login, shot, wait_js
from recorder_harness import PASSWORD

from recorder import timeutil


def _get(page: Any, url: str) -> int:
    """Status of a same-origin fetch made by the page (its session cookie included)."""
    return int(page.evaluate("url => fetch(url).then(r => r.status)", url))


def test_maire_seeks_a_recorded_instant_and_plays_it(console: Console, page: Any) -> None:
    login(page, console.base, "mdupont")
    page.goto(console.base + "/enregistrements")
    at = timeutil.iso(time.time() - 8)
    page.evaluate(f"window.beffroiPlay.play('cam1', '{at}')")
    wait_js(page, "window.beffroiPlay.firstFrame !== null")
    t0 = page.evaluate("document.getElementById('player').currentTime")
    page.wait_for_timeout(1500)
    info = page.evaluate("""(() => { const v = document.getElementById('player');
        return {t: v.currentTime, w: v.videoWidth, h: v.videoHeight,
                osd: document.getElementById('osd').textContent}; })()""")
    assert (info["w"], info["h"]) == (WIDTH, HEIGHT)
    assert info["t"] - t0 > 0.5
    assert info["osd"].startswith("cam1  " + at[:10])  # camera id and UTC date on screen
    # frame step (EXP-4): pause, one frame forward = 1/fps
    page.keyboard.press("Space")
    before = page.evaluate("document.getElementById('player').currentTime")
    page.keyboard.press(".")
    page.wait_for_timeout(300)
    after = page.evaluate("document.getElementById('player').currentTime")
    assert abs((after - before) - 1 / 15) < 0.01
    with page.expect_download() as dl:
        page.keyboard.press("p")
    assert dl.value.suggested_filename.startswith("cam1_") and \
        dl.value.suggested_filename.endswith(".png")
    shot(page, "playback-maire")
    plays = [e for e in console.journal("playback") if e.get("via") == "console"]
    assert plays and plays[-1]["user"] == "mdupont" and plays[-1]["camera"] == "cam1"
    assert wait_js(page, "true") and console.journal("frame_saved")


def test_live_account_sees_no_recordings_ui_and_every_recording_endpoint_is_403(
        console: Console, page: Any) -> None:
    login(page, console.base, "sdis-lmartin")
    assert page.url.endswith("/direct")
    nav = page.locator("header nav a").all_inner_texts()
    assert nav == ["Direct"]
    assert page.locator("text=Enregistrements").count() == 0
    assert page.locator("text=Export").count() == 0
    rng = f"from={timeutil.iso(time.time() - 20)}&to={timeutil.iso(time.time() - 2)}"
    for url in (f"/api/segments?camera=cam1&{rng}", f"/api/timeline?camera=cam1&{rng}",
                f"/api/play?camera=cam1&{rng}", f"/api/hls/cam1.m3u8?{rng}",
                f"/api/instant?camera=cam1&at={timeutil.iso(time.time() - 5)}",
                "/api/segment/1.ts", "/enregistrements", "/export"):
        assert _get(page, url) == 403, url
    csrf = page.locator("meta[name=csrf]").get_attribute("content")
    status = page.evaluate("""([csrf, body]) => fetch('/api/export', {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
        body: JSON.stringify(body)}).then(r => r.status)""",
        [csrf, {"cameras": ["cam1"], "from": timeutil.iso(time.time() - 10),
                "to": timeutil.iso(time.time() - 4), "reason": "essai"}])
    assert status == 403
    wait_js(page, "window.beffroiLive.cam1 && window.beffroiLive.cam1.firstFrame")
    shot(page, "live-grid-sdis")
    denied = {e["action"] for e in console.journal("access_denied")
              if e["user"] == "sdis-lmartin"}
    assert {"search", "playback", "export"} <= denied


def test_wrong_passwords_lock_the_console_login_and_are_journaled(
        console: Console, page: Any) -> None:
    for _ in range(4):  # lockout_threshold = 4 in this console's config
        login(page, console.base, "pbernard", "not her password")
        assert page.locator("#login-error").is_visible()
    login(page, console.base, "pbernard")  # the right password no longer opens it
    assert "/login" in page.url and "ACC-5" in page.locator("#login-error").inner_text()
    shot(page, "login-locked")
    failed = [e for e in console.journal("login_failed") if e["user_claimed"] == "pbernard"]
    assert len(failed) >= 4 and all(e["path"] == "/login" for e in failed)
    assert any(e["user_claimed"] == "pbernard" for e in console.journal("login_lockout"))


def _post(console: Console, path: str, body: bytes, headers: dict[str, str]) -> int:
    tls = ssl.create_default_context(cafile=str(console.cert))
    req = urllib.request.Request(console.base + path, data=body, method="POST",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, context=tls, timeout=20) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_state_changing_requests_without_csrf_are_refused(console: Console, page: Any) -> None:
    login(page, console.base, "mdupont")
    cookie = next(c for c in page.context.cookies() if c["name"] == "beffroi_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    body = json.dumps({"cameras": ["cam1"], "from": timeutil.iso(time.time() - 10),
                       "to": timeutil.iso(time.time() - 4), "reason": "csrf"}).encode()
    session = f"beffroi_session={cookie['value']}"
    base = {"Content-Type": "application/json", "Cookie": session}
    # the session cookie alone: no token, no origin / a wrong token / another site's origin
    assert _post(console, "/api/export", body, base) == 403
    assert _post(console, "/api/export", body, {**base, "Origin": console.base,
                                                "X-CSRF-Token": "forged"}) == 403
    csrf = page.locator("meta[name=csrf]").get_attribute("content") or ""
    assert _post(console, "/api/export", body, {**base, "Origin": "https://evil.example",
                                                "X-CSRF-Token": csrf}) == 403
    # a form POST from another site, even with Basic credentials a browser might have cached
    basic = "Basic " + __import__("base64").b64encode(f"mdupont:{PASSWORD}".encode()).decode()
    assert _post(console, "/api/export", body, {"Content-Type": "application/json",
                                                "Origin": "https://evil.example",
                                                "Authorization": basic}) == 403
    assert _post(console, "/logout", b"", {"Cookie": session, "Origin": console.base}) == 403
    # the page itself (token + origin) may: the session is still alive after the refusals
    status = page.evaluate("""csrf => fetch('/api/frame-saved', {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
        body: JSON.stringify({camera: 'cam1', at: new Date(Date.now() - 5000).toISOString()})
        }).then(r => r.status)""", csrf)
    assert status == 200
    headers = page.request.get(console.base + "/direct").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["referrer-policy"] == "same-origin"
