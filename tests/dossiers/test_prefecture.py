"""The préfecture request (Cerfa 13806*04 data, compliance.md §G) equals the site model."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from dossier_html import PILOTS, fields, fr, norm, text, value

from beffroi.intent import site_intent
from beffroi.inventory import Inventory
from beffroi.rules.cameras import storage_needed_gb


def _doc(site_html: dict[tuple[str, str], BeautifulSoup], slug: str) -> BeautifulSoup:
    return site_html[("prefecture", slug)]


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_applicant_and_contacts_equal_the_model(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    ctl = site.controller
    assert value(doc, "request.type") == site.authorization.request_type
    assert text(doc, "applicant.name") == fr(ctl.name)
    assert text(doc, "applicant.mayor") == fr(ctl.mayor)
    assert text(doc, "applicant.address") == fr(ctl.address)
    assert text(doc, "police.unit") == fr(ctl.police_contact.unit)
    assert text(doc, "police.phone") == fr(ctl.police_contact.phone)
    assert text(doc, "recorder.address") == fr(ctl.address)
    assert text(doc, "recorder.hostname") == fr(site.nvr.hostname)
    assert text(doc, "installer.certification") == fr(site.installer.certification)
    assert text(doc, "installer.maintainer") == fr(site.installer.maintainer)
    assert text(doc, "access_right.contact") == fr(ctl.access_right_contact)
    assert text(doc, "dpo.contact") == fr(ctl.dpo_contact)
    assert text(doc, "info.url") == fr(ctl.info_url)
    assert text(doc, "prefecture") == inventory.department.department.prefecture  # type: ignore[union-attr]


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_purposes_carry_l251_2_numbers_and_regimes(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    assert [int(t["data-value"]) for t in fields(doc, "purpose")] == [
        p.code for p in site.authorization.purposes]
    for p in site.authorization.purposes:
        assert text(doc, f"purpose.{p.code}.label") == p.label
        assert value(doc, f"purpose.{p.code}.regime") == p.regime  # AUTH-5
        serving = [c.name for c in site.cameras if p.code in c.purposes]
        assert text(doc, f"purpose.{p.code}.cameras") == ", ".join(serving)


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_camera_counts_by_placement(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, cams = _doc(site_html, slug), inventory.sites[slug].cameras
    assert int(value(doc, "cameras.total")) == len(cams)
    assert int(value(doc, "cameras.indoor")) == sum(c.placement == "indoor" for c in cams)
    assert int(value(doc, "cameras.outdoor")) == sum(c.placement == "outdoor" for c in cams)
    assert int(value(doc, "cameras.public_highway")) == sum(c.public_highway for c in cams)


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_habilitated_persons_and_recipients(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    assert [t["data-value"] for t in fields(doc, "habilitation")] == [
        h.id for h in site.habilitations]
    assert int(value(doc, "habilitations.count")) == len(site.habilitations)
    for h in site.habilitations:
        assert text(doc, f"habilitation.{h.id}.name") == h.name
        assert value(doc, f"habilitation.{h.id}.role") == h.role
        assert value(doc, f"habilitation.{h.id}.rights") == ",".join(h.rights)
    recipients = site.authorization.recipients
    assert [t["data-value"] for t in fields(doc, "recipient")] == [r.service for r in recipients]
    for i, r in enumerate(recipients):
        assert value(doc, f"recipient.{i}.kind") == r.kind
        assert value(doc, f"recipient.{i}.live_only") == str(r.live_only).lower()


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_retention_and_its_justification(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, auth = _doc(site_html, slug), inventory.sites[slug].authorization
    assert int(value(doc, "retention.days")) == auth.retention_days
    assert text(doc, "retention.justification") == norm(auth.retention_justification)
    if auth.max_retention_days is None:
        assert fields(doc, "retention.max") == []
    else:
        assert int(value(doc, "retention.max")) == auth.max_retention_days


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_camera_table_equals_each_camera(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    assert [t["data-value"] for t in fields(doc, "camera")] == [c.name for c in site.cameras]
    for c in site.cameras:
        f = f"camera.{c.name}"
        r = c.recording
        assert value(doc, f"{f}.role") == c.role
        assert value(doc, f"{f}.resolution") == f"{r.width}x{r.height}"
        assert int(value(doc, f"{f}.fps")) == r.fps
        assert int(value(doc, f"{f}.capture_fps")) == c.capture_fps
        assert value(doc, f"{f}.codec") == r.codec
        assert int(value(doc, f"{f}.bitrate_kbps")) == r.bitrate_kbps
        assert text(doc, f"{f}.covered_area") == c.covered_area
        assert text(doc, f"{f}.location") == c.location
        assert value(doc, f"{f}.purposes") == ",".join(map(str, c.purposes))
        assert value(doc, f"{f}.private_zones") == ",".join(z.id for z in c.private_zones)
        assert value(doc, f"{f}.masks") == ",".join(m.id for m in c.privacy_masks)
        assert value(doc, f"{f}.audio") == "false"


def test_evrange_request_shows_the_private_zone_and_its_mask(
        site_html: dict[tuple[str, str], BeautifulSoup]) -> None:
    doc = _doc(site_html, "evrange")
    assert value(doc, "camera.cam-mairie-narrow.private_zones") == "maison-4"
    assert value(doc, "camera.cam-mairie-narrow.masks") == "mask-maison-4"
    assert "4 rue de l'Église" in text(doc, "camera.cam-mairie-narrow.private_zones")


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_storage_sizing_is_the_cam9_formula(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    rates = [c.recording.bitrate_kbps for c in site.cameras]
    days = site.authorization.retention_days
    assert int(value(doc, "storage.total_kbps")) == sum(rates)
    assert int(value(doc, "storage.retention_days")) == days
    assert float(value(doc, "storage.needed_gb")) == pytest.approx(
        storage_needed_gb(rates, days), abs=1e-3)
    assert int(value(doc, "storage.capacity_gb")) == site.nvr.storage.capacity_gb
    assert value(doc, "storage.ok") == "true"
    assert "CAM-9" in doc.get_text()


def test_evrange_storage_hand_computed(site_html: dict[tuple[str, str], BeautifulSoup]) -> None:
    # (4096 + 2048) kbit/s × 1000 / 8 × 86400 s × 15 d × 1.2 / 1e9 = 1194.39 GB
    assert float(value(site_html[("prefecture", "evrange")], "storage.needed_gb")) == \
        pytest.approx(1194.393, abs=1e-3)


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_security_measures_are_the_rendered_firewall_intent(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc = _doc(site_html, slug)
    intent = site_intent(inventory, slug)
    assert [t["data-value"] for t in fields(doc, "security.flow")] == [
        r.rule_id for r in intent.firewall_rules]
    rows = fields(doc, "security.flow")
    for row, rule in zip(rows, intent.firewall_rules, strict=True):
        cells = [" ".join(td.get_text().split()) for td in row.find_all("td")]
        assert cells[2] == rule.src and cells[3] == rule.dst
        assert cells[4] == f"{rule.proto} {', '.join(map(str, rule.ports))}"
    wg = intent.context()["wireguard"]
    assert text(doc, "security.tunnel_address") == wg["address"]
    assert text(doc, "security.hub_endpoint") == wg["hub"]["endpoint"]


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_lists_what_the_commune_must_still_provide(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    missing = [" ".join(t.get_text().split()) for t in fields(doc, "missing")]
    assert any("ouvertures des immeubles tiers" in m for m in missing)
    assert any("51336*02" in m for m in missing)
    for h in site.habilitations:
        if h.role == "adjoint":  # ACC-2: the delegation arrêté must be attached
            assert any(h.name in m and fr(h.delegation) in m for m in missing)
    # the pilot files still hold example data: each such field is listed to be replaced
    assert any("installer.certification" in m for m in missing)
    produced = {t["data-field"]: t["data-value"] for t in doc.find_all(
        attrs={"data-field": lambda v: bool(v) and v.startswith("attachment.")})}
    assert produced["attachment.storage"] == "true"
    assert produced["attachment.site-plan"] == "false"


@pytest.mark.parametrize("kind", ["prefecture", "aipd", "signage"])
def test_invalid_site_gets_findings_and_no_document(moselle, cli, tmp_path, kind: str) -> None:
    # RET-1: 31 days exceeds the legal month (CSI L252-5)
    moselle.set(moselle.site("evrange"), ("authorization", "retention_days"), 31)
    out = tmp_path / "out"
    result = cli(["dossier", kind, "--site", "evrange", "--inventory", str(moselle.root),
                  "--out", str(out)])
    assert result.exit_code == 1
    assert "RET-1" in result.output
    assert "no dossier written" in result.output
    assert not out.exists()


def test_invalid_site_raises_with_its_findings(moselle) -> None:
    from beffroi.dossiers.prefecture import build_prefecture
    from beffroi.findings import BeffroiError
    from beffroi.inventory import load_inventory

    moselle.set(moselle.site("roussy-le-village"), ("authorization", "retention_days"), 31)
    with pytest.raises(BeffroiError) as err:
        build_prefecture(load_inventory(moselle.root), "roussy-le-village")
    assert {f.rule for f in err.value.findings} >= {"RET-1"}


def test_other_sites_still_documented_when_one_is_invalid(moselle) -> None:
    from beffroi.dossiers.prefecture import build_prefecture
    from beffroi.inventory import load_inventory

    moselle.set(moselle.site("roussy-le-village"), ("authorization", "retention_days"), 31)
    doc = build_prefecture(load_inventory(moselle.root), "evrange")
    assert "Évrange" in doc.html
