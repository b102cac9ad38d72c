"""The AIPD skeleton: always produced; processing, proportionality and measures from the model."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from dossier_html import PILOTS, fields, norm, text, value

from beffroi.inventory import Inventory


def _doc(site_html: dict[tuple[str, str], BeautifulSoup], slug: str) -> BeautifulSoup:
    return site_html[("aipd", slug)]


@pytest.mark.parametrize("slug", PILOTS)
def test_aipd_describes_each_purpose_with_its_regime_and_cameras(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    assert [int(t["data-value"]) for t in fields(doc, "purpose")] == [
        p.code for p in site.authorization.purposes]
    for p in site.authorization.purposes:
        assert value(doc, f"purpose.{p.code}.regime") == p.regime  # AUTH-5
        assert value(doc, f"purpose.{p.code}.cameras") == ",".join(
            c.name for c in site.cameras if p.code in c.purposes)


@pytest.mark.parametrize("slug", PILOTS)
def test_aipd_proportionality_equals_the_configuration(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    assert int(value(doc, "retention.days")) == site.authorization.retention_days
    assert int(value(doc, "cameras.total")) == len(site.cameras)
    assert int(value(doc, "masks.count")) == sum(len(c.privacy_masks) for c in site.cameras)
    assert int(value(doc, "private_zones.count")) == sum(
        len(c.private_zones) for c in site.cameras)
    assert value(doc, "audio") == str(any(c.audio for c in site.cameras)).lower()  # CAM-6
    assert value(doc, "analytics") == ",".join(sorted({a for c in site.cameras
                                                       for a in c.analytics}))
    assert int(value(doc, "habilitations.count")) == len(site.habilitations)
    for h in site.habilitations:
        assert text(doc, f"habilitation.{h.id}.name") == h.name


@pytest.mark.parametrize("slug", PILOTS)
def test_aipd_measures_come_from_the_deployed_configuration(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    dept = inventory.department
    assert dept is not None
    assert [t["data-value"] for t in fields(doc, "risk")] == [
        "illegitimate-access", "unwanted-change", "disappearance"]
    access = " ".join(norm(t.get_text()) for t in fields(doc, "risk.illegitimate-access.measure"))
    for h in site.habilitations:
        if "playback" in h.rights:  # only they may replay (ACC-2)
            assert h.name in access
    assert "NET-2" in access and "ACC-4" in access
    change = " ".join(norm(t.get_text()) for t in fields(doc, "risk.unwanted-change.measure"))
    assert f"conservé {dept.defaults.journal_retention_days} jours" in change  # JRN-2
    for ntp in site.ntp_servers or dept.time.ntp_servers:
        assert ntp in change  # TIME-1
    loss = " ".join(norm(t.get_text()) for t in fields(doc, "risk.disappearance.measure"))
    assert f"après {site.authorization.retention_days} jours" in loss
    assert f"Stockage {site.nvr.storage.capacity_gb} Go" in loss


@pytest.mark.parametrize("slug", PILOTS)
def test_aipd_leaves_a_place_for_the_dpo_opinion(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = _doc(site_html, slug), inventory.sites[slug]
    assert site.controller.dpo_contact in text(doc, "dpo.opinion")
    assert text(doc, "dpo.contact") == site.controller.dpo_contact
