"""The crisis-cell wall in a real browser (issue 14 §3): every commune's cameras playing live,
no playback control, lawful recipients only (ACC-3), recordings refused (ACC-4), every view
journaled with the person's id on the commune's NVR (JRN-1), nothing pulled while idle."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from wall_harness import PASSWORD, RECIPIENTS, REPO, WallProcess, wall_config

TILES = 4  # two communes, two cameras each


def login(page: Page, wall: WallProcess, user: str, password: str = PASSWORD) -> None:
    page.goto(f"{wall.base}/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def playing(page: Page) -> list[dict[str, Any]]:
    return page.eval_on_selector_all("figure.tile", """tiles => tiles.map(t => {
        const v = t.querySelector('video');
        return {camera: t.dataset.camera, w: v.videoWidth, h: v.videoHeight,
                t: v.currentTime, paused: v.paused, state: t.dataset.state};
    })""")


def wait_playing(page: Page, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    tiles: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        tiles = playing(page)
        if len(tiles) == count and all(t["w"] > 0 and t["t"] > 1.0 for t in tiles):
            return tiles
        time.sleep(0.5)
    raise AssertionError(f"not all tiles play: {tiles}")


def test_wall_plays_both_cameras_of_every_commune_with_no_playback_control(
        page: Page, site: WallProcess, shots: Path) -> None:
    login(page, site, "gn-acolin")
    expect(page.locator("section.commune h2")).to_have_text(["Évrange", "Roussy-le-Village"])
    first = wait_playing(page, TILES)
    time.sleep(2)
    later = {t["camera"]: t for t in playing(page)}
    sizes = {c.slug: (c.width, c.height) for c in site.communes}
    for tile in first:
        slug = tile["camera"].split("/")[0]
        assert (tile["w"], tile["h"]) == sizes[slug], tile  # the camera's own size
        assert later[tile["camera"]]["t"] > tile["t"] + 1.0, "the picture is live, advancing"
        assert later[tile["camera"]]["state"] == "live"
    page.screenshot(path=str(shots / "wall-gn-acolin.png"))
    # ACC-4: nothing to seek, replay, export or download — no control at all on the videos
    assert page.locator("video[controls]").count() == 0
    assert page.locator("input[type=range], a[download]").count() == 0
    assert page.locator("button").all_inner_texts() == ["Se déconnecter"]


def test_person_sees_only_the_communes_declared_for_them(page: Page, site: WallProcess) -> None:
    """ACC-3: the SDIS agent is declared for Évrange only."""
    login(page, site, "sdis-lmartin")
    tiles = wait_playing(page, 2)
    assert {t["camera"] for t in tiles} == {"evrange/cam1", "evrange/cam2"}
    response = page.request.get(f"{site.base}/live/roussy-le-village/cam1")
    assert response.status == 403 and "ACC-3" in response.text()


def test_non_recipient_cannot_log_in(page: Page, site: WallProcess, shots: Path) -> None:
    """ACC-3: a commune's maire, the probe account, an unknown name: none is a wall account."""
    for user in ("mdupont", "cdc57-hub", "prefet-jdoe"):
        login(page, site, user)
        expect(page.locator(".error")).to_have_text("Identifiant ou mot de passe incorrect.")
        assert page.url.endswith("/login")
    page.screenshot(path=str(shots / "wall-login-refused.png"))
    from recorder.ledger import Ledger

    failed = [e["data"]["user_claimed"] for e in Ledger(site.state_dir / "journal", "journal",
                                                         None).entries()
              if e["kind"] == "login_failed"]
    assert {"mdupont", "cdc57-hub", "prefet-jdoe"} <= set(failed)  # JRN-1: refusals traced
    assert page.request.get(f"{site.base}/api/wall").status == 401
    assert page.request.get(f"{site.base}/live/evrange/cam1").status == 401


def test_wall_refuses_a_recipient_of_an_unlawful_service(tmp_path: Path,
                                                         site: WallProcess) -> None:
    """ACC-3: a wall file declaring a Préfecture staffer does not start (check-wall says why)."""
    from recorder import keys

    key = tmp_path / "k" / "token.pem"
    keys.generate(key)
    path = wall_config(tmp_path, site.communes, key, 1, recipients=[
        *RECIPIENTS, {"id": "jdoe", "name": "John Doe", "service": "prefecture",
                      "unit": "Préfecture de la Moselle", "cameras": ["*"]}])
    res = subprocess.run([sys.executable, "-m", "recorder.cli", "check-wall", str(path)],
                         capture_output=True, text=True, cwd=REPO, check=False)
    assert res.returncode != 0
    assert "recipients[2].service: [ACC-3] 'prefecture' is not a lawful recipient" in res.stderr


def test_wall_api_refuses_every_recording_request(page: Page, site: WallProcess) -> None:
    """ACC-4: logged in or not, no recorded range is served here."""
    login(page, site, "gn-acolin")
    page.wait_for_selector("figure.tile")
    for method, path in (("GET", "/api/segments?camera=cam1"), ("GET", "/api/play?camera=cam1"),
                         ("GET", "/api/instant?camera=cam1&at=2026-11-28T10:00:00Z"),
                         ("GET", "/live/evrange/cam1?start=2026-11-28T10:00:00Z"),
                         ("GET", "/recordings/evrange/cam1"), ("GET", "/export"),
                         ("GET", "/evrange/cam1/playback")):
        response = page.request.fetch(f"{site.base}{path}", method=method)
        assert response.status == 403, path
        assert "ACC-4" in response.json()["error"], path
    csrf = page.locator("#wall").get_attribute("data-csrf")
    response = page.request.post(f"{site.base}/api/export", headers={"X-CSRF-Token": csrf or ""},
                                 data=json.dumps({"camera": "cam1"}))
    assert response.status == 403 and "ACC-4" in response.json()["error"]


def test_logout_needs_the_sessions_csrf_token(page: Page, site: WallProcess) -> None:
    login(page, site, "gn-acolin")
    page.wait_for_selector("figure.tile")
    assert page.request.post(f"{site.base}/logout", form={"csrf": "forged"}).status == 403
    assert page.request.get(f"{site.base}/api/wall").status == 200
    headers = page.request.get(f"{site.base}/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "__Host-beffroi-wall")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"


def test_nvr_journal_names_the_person_and_has_no_line_for_a_probe(
        page: Page, site: WallProcess, tmp_path: Path) -> None:
    """JRN-1: the commune's own journal says who watched; issue 12: the probe leaves none."""
    evrange = site.communes[0]
    before = len(evrange.journal("live_view"))
    login(page, site, "sdis-lmartin")
    wait_playing(page, 2)
    views = evrange.journal("live_view")[before:]
    assert {(v["user"], v["camera"], v["via"]) for v in views} == {
        ("sdis-lmartin", "cam1", "wall"), ("sdis-lmartin", "cam2", "wall")}
    assert all(v["service"] == "sdis" for v in views)
    page.close()
    probe = REPO / "roles" / "crisis_cell" / "files" / "beffroi-live-view"
    conf = {"timeout": 8, "state_dir": str(tmp_path),
            "streams": [{"commune": c.name, "slug": c.slug, "camera": cam,
                         "url": f"rtsp://127.0.0.1:{c.wan.port}/{cam}"}
                        for c in site.communes for cam in ("cam1", "cam2")],
            "credentials": {c.slug: {"user": "cdc57-hub", "password": PASSWORD}
                            for c in site.communes}}
    (tmp_path / "viewer.json").write_text(json.dumps(conf))
    after_view = len(evrange.journal("live_view"))
    res = subprocess.run([sys.executable, str(probe), "--config", str(tmp_path / "viewer.json")],
                         capture_output=True, text=True, timeout=60, check=True)
    assert res.stdout.count(": up") == TILES, res.stdout
    assert len(evrange.journal("live_view")) == after_view, "a probe is not a live view"
    counters = json.loads((Path(str(evrange.config).rsplit("/", 1)[0]) / "state" /
                           "relay-counters.json").read_text())
    assert counters["probes"]["cam1"] >= 1


def test_idle_wall_costs_no_wan_bytes_and_watching_stops_when_the_page_closes(
        page: Page, site: WallProcess) -> None:
    """On demand: with nobody watching, not one byte crosses any commune's relay port."""
    wans = [c.wan for c in site.communes]
    time.sleep(4)  # streams of earlier tests wind down
    for w in wans:
        w.reset()
    time.sleep(10)
    assert [w.bytes for w in wans] == [0, 0], "an idle wall pulls nothing"
    login(page, site, "sdis-lmartin")  # two cameras, both in Évrange
    wait_playing(page, 2)
    time.sleep(5)
    assert wans[0].bytes > 50_000 and wans[1].bytes == 0
    page.close()
    time.sleep(4)
    for w in wans:
        w.reset()
    time.sleep(8)
    assert [w.bytes for w in wans] == [0, 0], "the pulls stop with the page"
