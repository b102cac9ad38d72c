"""The maire's records pages in a real browser (Debian Chromium through Playwright) against a
real recorder (loopback RTSP cameras, ffmpeg, the service's write path): legal holds placed
and released (RET-1, JRN-1), an access request carried through to its blurred extract
(RGPD art. 12.3/15, EXP-5), the register filtered (REG-1) and its printable extract, and a
`live` account refused everywhere (ACC-4)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from recorder_harness import PASSWORD, RtspServer, make_config, wait_for

from recorder import config
from recorder.service import Service

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"  # looked at, not asserted
TZ = ZoneInfo("Europe/Paris")
pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium")]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium, no browser download (PEERS.md "Browser")."""
    return {"executable_path": CHROMIUM, "args": ["--no-sandbox", "--lang=fr-FR"]}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """The seed's 24" screen."""
    return {"viewport": {"width": 1920, "height": 1080}, "locale": "fr-FR",
            "timezone_id": "Europe/Paris"}


class Console:
    """A recording service and its console (the real app on 127.0.0.1)."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        host, port = svc.conf.api_listen
        self.url = f"http://{host}:{port}"

    def journal(self, kind: str) -> list[dict[str, Any]]:
        return [e["data"] for e in self.svc.state.journal.entries() if e["kind"] == kind]


@pytest.fixture
def console(tmp_path: Path, camera_server: RtspServer) -> Iterator[Console]:
    path = make_config(tmp_path, [("cam1", camera_server.url(1)), ("cam2", camera_server.url(2))])
    svc = Service(config.load(path))
    svc.start()
    try:
        assert wait_for(lambda: all(svc.state.index.last_segment(c) for c in
                                    ("cam1", "cam2")), 30), "no segment recorded"
        yield Console(svc)
    finally:
        svc.stop()


def _login(page: Page, console: Console, user: str) -> None:
    page.goto(f"{console.url}/login?next=/sante")  # not /direct: no live pull to start
    page.fill("#user", user)
    page.fill("#password", PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"records-{name}.png"), full_page=True)


def _local_input(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def test_maire_places_and_releases_a_hold_journaled_with_her_id(page: Page,
                                                                 console: Console) -> None:
    _login(page, console, "mdupont")
    page.goto(f"{console.url}/gels")
    now = datetime.now(TZ)
    page.fill("input[name=ref]", "PV 2026/1234 <parquet de Metz>")
    page.select_option("#hold-form select[name=camera]", "cam1")
    page.fill("#hold-form input[name=du]", _local_input(now - timedelta(hours=1)))
    page.fill("#hold-form input[name=au]", _local_input(now + timedelta(hours=1)))
    page.click("#hold-form button[type=submit]")  # no reason yet: refused, nothing placed
    expect(page.locator("#hold-form input[name=reason]")).to_be_visible()
    csrf = page.locator("meta[name=csrf]").get_attribute("content") or ""
    bare = page.request.post(f"{console.url}/gels", headers={"Origin": console.url}, form={
        "csrf": csrf, "ref": "PV 1", "camera": "cam1", "du": "2026-12-01T10:00",
        "au": "2026-12-01T11:00", "reason": "  ", "by": "quelqu'un d'autre"})
    assert bare.status == 400 and "motif : obligatoire" in bare.text()  # the server checks too
    assert console.svc.state.index.holds() == []
    page.evaluate("document.querySelector('#hold-form').insertAdjacentHTML('beforeend', "
                  "'<input type=hidden name=by value=intrus>')")  # a forged `by` is ignored
    page.fill("#hold-form input[name=reason]", "réquisition du 30/11 — vol à l'étalage")
    page.press("#hold-form input[name=reason]", "Enter")  # keyboard: Enter submits
    row = page.locator("#holds tbody tr.active")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("PV 2026/1234 <parquet de Metz>")  # escaped, shown as text
    expect(row).to_contain_text("actif")
    _shot(page, "holds-active")
    holds = console.svc.state.index.holds()
    assert [(h.ref, h.camera, h.created_by) for h in holds] == [
        ("PV 2026/1234 <parquet de Metz>", "cam1", "mdupont")]
    added = console.journal("hold_add")
    assert added[-1]["user"] == "mdupont" and "vol" in added[-1]["reason"]
    release = row.locator("form")
    release.locator("input[name=reason]").fill("classement sans suite notifié le 01/12")
    release.locator("button").click()
    expect(page.locator("#holds tbody tr.released")).to_contain_text("levé le")
    expect(page.locator("#holds tbody tr.active")).to_have_count(0)
    _shot(page, "holds-released")
    assert console.svc.state.index.holds() == []
    released = console.journal("hold_release")
    assert released == [{"user": "mdupont", "hold": holds[0].id, "camera": "cam1",
                         "ref": "PV 2026/1234 <parquet de Metz>",
                         "reason": "classement sans suite notifié le 01/12"}]


def test_access_request_is_recorded_searched_extracted_and_answered(page: Page,
                                                                    console: Console) -> None:
    _login(page, console, "mdupont")
    page.goto(f"{console.url}/demandes")
    now = datetime.now(TZ)
    form = page.locator("#request-form")
    form.locator("input[name=requester]").fill("Jean <i>Martin</i>")
    form.locator("input[name=contact]").fill("12 rue de l'Église, Évrange")
    form.locator("input[name=du]").fill(_local_input(now - timedelta(minutes=1)))
    form.locator("input[name=au]").fill(_local_input(now + timedelta(minutes=1)))
    form.locator("textarea[name=identity_check]").fill("CNI n° 0000 vue au guichet par M. Dupont")
    form.locator("button[type=submit]").click()  # no camera ticked: refused, fields kept
    expect(page.locator("#erreurs")).to_contain_text("caméras : au moins une")
    expect(form.locator("input[name=requester]")).to_have_value("Jean <i>Martin</i>")
    form.locator("input[value=cam1]").check()
    form.locator("input[name=du]").fill(_local_input(now - timedelta(minutes=1)))
    form.locator("input[name=au]").fill(_local_input(now + timedelta(minutes=1)))
    form.locator("textarea[name=identity_check]").fill("CNI n° 0000 vue au guichet par M. Dupont")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{console.url}/demandes/DA-*")
    expect(page.locator("h1")).to_contain_text("reçue")
    expect(page.locator("#deadline")).to_contain_text("jour(s) restant(s)")
    page.click("#step-search button")
    expect(page.locator("h1")).to_contain_text("images recherchées")
    expect(page.locator("#found")).to_contain_text("cam1 :")
    # retention 15 days < the one-month deadline: the page says the images go first (RET-1)
    expect(page.locator("#found")).to_contain_text("avant l'échéance")
    _shot(page, "access-request-searched")
    page.fill("#step-extract textarea[name=zones]", "0,0,320,180\n640,360,200,120")
    page.click("#step-extract button")
    expect(page.locator("h1")).to_contain_text("extrait produit", timeout=120_000)
    links = page.locator("#extract a")
    assert links.count() >= 2  # blurred videos + DERIVATIVE.json (+ its signature)
    href = links.first.get_attribute("href")
    resp = page.request.get(f"{console.url}{href}")
    assert resp.status == 200 and len(resp.body()) > 1000
    page.fill("#step-answer textarea[name=note]", "extrait remis sur clé USB le 01/12")
    page.click("#step-answer button")
    expect(page.locator("h1")).to_contain_text("répondue")
    expect(page.locator("#history li")).to_have_count(4)
    expect(page.locator("table.meta")).to_contain_text("Jean <i>Martin</i>")
    _shot(page, "access-request-answered")
    steps = [(d["step"], d["user"]) for d in console.journal("access_request")]
    assert steps[:3] == [("received", "mdupont"), ("searched", "mdupont"),
                         ("extract_produced", "mdupont")]
    assert ("extract_downloaded", "mdupont") in steps and steps[-1] == ("answered", "mdupont")
    assert console.journal("redaction")[-1]["user"] == "mdupont"
    page.goto(f"{console.url}/demandes")  # a request received 40 days ago is overdue
    form = page.locator("#request-form")
    form.locator("input[name=requester]").fill("Anne Klein")
    form.locator("input[name=received]").fill((now - timedelta(days=40)).date().isoformat())
    form.locator("input[value=cam1]").check()
    form.locator("input[name=du]").fill(_local_input(now - timedelta(days=41)))
    form.locator("input[name=au]").fill(_local_input(now - timedelta(days=40, hours=23)))
    form.locator("textarea[name=identity_check]").fill("CNI vue")
    form.locator("button[type=submit]").click()
    expect(page.locator("#deadline")).to_contain_text("EN RETARD de")
    page.goto(f"{console.url}/demandes")
    expect(page.locator("#requests tr.overdue")).to_contain_text("Anne Klein")
    expect(page.locator("#requests tr.closed")).to_contain_text("Jean <i>Martin</i>")
    _shot(page, "access-requests-list")


def test_register_filtered_by_camera_and_kind_and_its_printable_extract(
        page: Page, console: Console) -> None:
    _login(page, console, "mdupont")
    page.goto(f"{console.url}/registre")
    expect(page.locator("#verify-status")).to_contain_text("Chaîne vérifiée")
    page.select_option("select[name=camera]", "cam2")
    page.select_option("select[name=kind]", "recording")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.log tbody tr")
    assert rows.count() >= 1
    cams = rows.locator("td:nth-child(4)").all_inner_texts()
    kinds = rows.locator("td:nth-child(3)").all_inner_texts()
    assert set(cams) == {"cam2"} and set(kinds) == {"Enregistrement"}
    _shot(page, "register-filtered")
    page.goto(f"{console.url}/journal?person=system")
    people = page.locator("table.log tbody tr td:nth-child(5)").all_inner_texts()
    assert people and set(people) == {"system"}
    today = datetime.now(TZ).date().isoformat()
    page.goto(f"{console.url}/registre/extrait?du={today}&au={today}")
    expect(page.locator("#recordings tbody tr")).to_have_count(2)  # one line per camera today
    _shot(page, "register-extract")
    page.emulate_media(media="print")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SHOTS / "records-register-extract.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True)
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Extrait du registre" in text and "cam2" in text
    assert "Droit d'accès" not in text  # the navigation is not printed
    assert console.journal("register_extract")[-1]["user"] == "mdupont"


@pytest.mark.parametrize("uid", ["sdis-lmartin", "admin-jroux"])
def test_live_account_gets_403_from_every_records_page(page: Page, console: Console,
                                                       uid: str) -> None:
    _login(page, console, uid)
    for path in ("/registre", "/journal", "/registre/extrait?du=2026-01-01&au=2026-12-31",
                 "/gels", "/demandes", "/demandes/DA-0001", "/sante",
                 "/demandes/DA-0001/fichier/DERIVATIVE.json"):
        resp = page.goto(f"{console.url}{path}")
        assert resp is not None and resp.status == 403, path
    expect(page.locator("h1")).to_contain_text("Accès refusé")
    _shot(page, f"forbidden-{uid}")
    # a POST with the session's own valid CSRF token is still refused by role
    csrf = page.locator("meta[name=csrf]").get_attribute("content")
    assert csrf
    for path, data in (("/gels", {"ref": "x", "camera": "*", "du": "2026-01-01T00:00",
                                  "au": "2026-01-02T00:00", "reason": "x"}),
                       ("/gels/1/lever", {"reason": "x"}),
                       ("/demandes", {"requester": "x"}),
                       ("/demandes/DA-0001/rechercher", {})):
        resp = page.request.post(f"{console.url}{path}", form={**data, "csrf": csrf},
                                 headers={"Origin": console.url})
        assert resp.status == 403, path
    assert console.svc.state.index.holds(active_only=False) == []
    denied = [d for d in console.journal("access_denied") if d["user"] == uid]
    assert len(denied) >= 12  # JRN-1: every refusal traced with the person's id


def test_health_page_shows_cameras_disk_clock_and_raises_an_alarm_when_a_camera_drops(
        page: Page, console: Console, camera_server: RtspServer) -> None:
    _login(page, console, "pbernard")  # an adjoint sees the health page too
    page.goto(f"{console.url}/sante")
    rows = page.locator("#cameras tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("enregistre")
    expect(page.locator("#clock")).to_contain_text("synchronisée")
    expect(page.locator("#system")).to_contain_text("% libre")
    expect(page.locator("#overall")).to_contain_text("Tout fonctionne")
    _shot(page, "health-ok")
    camera_server.stop()  # both cameras drop
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        page.reload()
        if page.locator("#alarms li").count() >= 2:
            break
        time.sleep(1)
    expect(page.locator("#alarms")).to_contain_text("cam1")
    expect(page.locator("#alarms")).to_contain_text("RET-2")
    _shot(page, "health-alarm")


def test_adjoint_sees_and_acts_on_his_own_cameras_only(page: Page, console: Console) -> None:
    _login(page, console, "pbernard")  # habilitated for cam1 only (ACC-2)
    page.goto(f"{console.url}/registre?kind=recording")
    cams = set(page.locator("table.log tbody tr td:nth-child(4)").all_inner_texts())
    assert cams == {"cam1"}
    page.goto(f"{console.url}/gels")
    options = page.locator("#hold-form select[name=camera] option").all_inner_texts()
    assert [o.split(" ")[0] for o in options] == ["cam1"]  # neither "toutes" nor cam2
    csrf = page.locator("meta[name=csrf]").get_attribute("content") or ""
    resp = page.request.post(f"{console.url}/gels", headers={"Origin": console.url}, form={
        "csrf": csrf, "ref": "PV 1", "camera": "cam2", "du": "2026-12-01T10:00",
        "au": "2026-12-01T11:00", "reason": "essai"})
    assert resp.status == 400 and "ACC-2" in resp.text()
    page.goto(f"{console.url}/demandes")
    boxes = page.locator("#request-form input[name=cameras]")
    assert [boxes.nth(i).get_attribute("value") for i in range(boxes.count())] == ["cam1"]
    assert console.svc.state.index.holds() == []
