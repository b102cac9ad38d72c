"""Edges of the model that a rule could otherwise miss."""

from __future__ import annotations

from validation.inventory_kit import InventoryCopy

from beffroi.inventory import load_inventory
from beffroi.validate import check_inventory


def test_time1_an_explicitly_empty_site_ntp_list_is_not_replaced_by_the_department(
        moselle: InventoryCopy, pinned_today: str) -> None:
    site = moselle.site("evrange")
    moselle.set(site, ("ntp_servers",), [])
    findings = check_inventory(load_inventory(moselle.root))
    time1 = [f for f in findings if f.rule == "TIME-1"]
    assert len(time1) == 1 and time1[0].file.endswith("evrange.yml")
    assert time1[0].line == moselle.line_of(site, ("ntp_servers",))


def test_cam5_a_privacy_mask_past_the_image_edge_is_refused(
        moselle: InventoryCopy, pinned_today: str) -> None:
    site = moselle.site("evrange")
    moselle.set(site, ("cameras", 0, "privacy_masks", 0, "area", "x"), 0.9)
    findings = check_inventory(load_inventory(moselle.root))
    edge = [f for f in findings if "image edge" in f.message]
    assert edge and edge[0].path.startswith("cameras[0].privacy_masks[0].area")
