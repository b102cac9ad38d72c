"""Export wizard in a real browser (EXP-2): reason -> signed bundle downloaded as a ZIP; the
bundle verifies with `recorder verify-export` and with its own verification.html in the
browser (WebCrypto Ed25519 + SHA-256), which also names an altered file and plays the
verified files."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from console_harness import WIDTH, Console, login, shot, wait_js
from recorder_harness import cli


def test_export_wizard_gives_a_signed_bundle_that_verifies_in_the_browser(
        console: Console, page: Any, tmp_path: Path) -> None:
    login(page, console.base, "mdupont")
    page.goto(console.base + "/export")
    paris = ZoneInfo("Europe/Paris")  # the browser context's zone (conftest)
    for field, back in (("#from", 9), ("#to", 3)):
        page.fill(field, datetime.fromtimestamp(time.time() - back, paris).strftime(
            "%Y-%m-%dT%H:%M:%S"))
    page.fill("#reason", "main courante n° 42")
    page.fill("#requisition", "PV-2026-777")
    shot(page, "export-wizard")
    with page.expect_navigation():
        page.click("text=Créer l'export signé")
    assert "/export/" in page.url, page.content()[:2000]
    shot(page, "export-done")
    with page.expect_download() as dl:
        page.click("#download")
    archive = tmp_path / "export.zip"
    dl.value.save_as(archive)
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "x")
    folder = next((tmp_path / "x").iterdir())
    res = cli("verify-export", str(folder))
    assert res.returncode == 0, res.stderr
    exp = [e for e in console.journal("export") if e.get("via") == "console"]
    assert exp and exp[-1]["reason"] == "main courante n° 42" and \
        exp[-1]["requisition"] == "PV-2026-777"
    assert console.journal("export_download")

    def check(p: Any) -> Any:
        p.goto((folder / "verification.html").as_uri())
        p.set_input_files("#folder", str(folder))
        wait_js(p, "document.getElementById('verdict').dataset.ok !== undefined")
        return p.evaluate("document.getElementById('verdict').dataset.ok"), \
            p.inner_text("#verdict")

    ok, text = check(page)
    assert ok == "true", text
    # ...and plays the verified files, with camera id and UTC time on screen (EXP-4)
    wait_js(page, "document.getElementById('video').currentTime > 0.5")
    assert page.evaluate("document.getElementById('video').videoWidth") == WIDTH
    assert page.inner_text("#osd").startswith("cam1  20")
    shot(page, "bundle-verification-ok")
    victim = next(folder.glob("cam*/*.ts"))
    data = bytearray(victim.read_bytes())
    data[500] ^= 0xFF
    victim.write_bytes(bytes(data))
    ok, text = check(page)
    assert ok == "false" and victim.name in text
