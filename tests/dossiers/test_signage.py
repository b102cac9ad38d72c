"""Signage: one panel per filmed zone, every mention taken from the site model."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from dossier_html import PILOTS, fields, text, value

from beffroi.dossiers.signage import CNIL_COMPLAINT
from beffroi.inventory import Inventory


@pytest.mark.parametrize("slug", PILOTS)
def test_one_panel_per_camera_zone_with_the_mandatory_mentions(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory, slug: str) -> None:
    doc, site = site_html[("signage", slug)], inventory.sites[slug]
    ctl, auth = site.controller, site.authorization
    assert [t["data-value"] for t in fields(doc, "panel")] == [c.name for c in site.cameras]
    assert int(value(doc, "panels.count")) == len(site.cameras)
    for c in site.cameras:
        p = f"panel.{c.name}"
        assert value(doc, f"{p}.pictogram") == "camera"
        assert text(doc, f"{p}.zone") == c.covered_area
        assert text(doc, f"{p}.controller") == ctl.name
        assert [int(t["data-value"]) for t in fields(doc, f"{p}.purpose")] == c.purposes
        assert int(value(doc, f"{p}.retention_days")) == auth.retention_days
        assert text(doc, f"{p}.rights_contact") == ctl.access_right_contact
        assert text(doc, f"{p}.dpo") == ctl.dpo_contact
        assert text(doc, f"{p}.cnil") == CNIL_COMPLAINT
        assert text(doc, f"{p}.url") == ctl.info_url
        assert text(doc, f"{p}.recipients") == ", ".join(r.service for r in auth.recipients)
