"""Live grid in a real browser: the maire sees both cameras playing (ACC-2), from stream-copied
video at the camera's resolution; the view is journaled with her id (JRN-1)."""

from __future__ import annotations

from typing import Any

from console_harness import HEIGHT, WIDTH, Console, login, shot, wait_js


def test_maire_sees_both_cameras_live_at_their_resolution(console: Console, page: Any) -> None:
    login(page, console.base, "mdupont")
    assert page.url.endswith("/direct")
    wait_js(page, "['cam1','cam2'].every(c => window.beffroiLive[c]"
                  " && window.beffroiLive[c].firstFrame)")
    first = page.evaluate("""['cam1','cam2'].map(c => {
        const v = document.getElementById('live-' + c);
        return {t: v.currentTime, w: v.videoWidth, h: v.videoHeight}; })""")
    page.wait_for_timeout(2000)
    later = page.evaluate("""['cam1','cam2'].map(c => {
        const v = document.getElementById('live-' + c);
        return {t: v.currentTime, w: v.videoWidth, h: v.videoHeight, paused: v.paused}; })""")
    for a, b in zip(first, later, strict=True):
        assert (b["w"], b["h"]) == (WIDTH, HEIGHT)
        assert b["t"] - a["t"] > 1.0, (a, b)  # playing, not a frozen frame
        assert not b["paused"]
    shot(page, "live-grid-maire")
    views = [e for e in console.journal("live_view") if e.get("via") == "console"]
    assert {e["camera"] for e in views if e["user"] == "mdupont"} >= {"cam1", "cam2"}
