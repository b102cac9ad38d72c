"""Costs: totals are the catalogue's lines; the projection is monotone and follows the catalogue."""

from __future__ import annotations

import itertools

import pytest
from bs4 import BeautifulSoup
from dossier_html import value

from beffroi.dossiers.costs import projection_series, site_costs
from beffroi.dossiers.essaimage import build_essaimage, essaimage, projection_points
from beffroi.inventory import Inventory, load_inventory
from beffroi.model.department import Costs

# Évrange, 2 cameras, catalogue of inventories/moselle/department.yml (€ HT), the seed's list
# (no VMS licence: Beffroi is the VMS):
#   camera 1250×2=2500, mast 2800, media-converter 180×2=360, sfp 60×2=120, boxes 350×2=700,
#   cabling 2200, electrical 1200, screen 220, workstation 950, server 3200, nvr 160×2=320,
#   core-switch 650, ups 900, firewall 1100, rack (15U) 550, nvr-integration 1500,
#   civil-works 9500, installation 3500  → Σ = 32 270
EVRANGE_CAPEX = 32_270.0
# energy 550 + maintenance 1200 + disk-replacement 80 + connectivity 600
#   + crisis-cell-share 300  → Σ = 2 730 per year
EVRANGE_ANNUAL = 2_730.0
# 725 communes: 3 pilots (2 cameras each) + 722 template sites (2 cameras) = 1450 cameras
#   relayed bitrates (the recorded streams): Évrange 4096+2048, Roussy 4096+2048,
#   Hettange 6144+2048, 722 × (4096+2048) → 20 480 + 4 435 968 = 4 456 448 kbit/s (ceiling)
#   watched at once ⌈1450 × 10 %⌉ = 145; hosts = ⌈145 / 64⌉ = 3
#   capex = 725 × 32 270 + 25 000 + 3 × 6 000 = 23 395 750 + 43 000 = 23 438 750
P725_STREAMS, P725_HOSTS, P725_KBPS, P725_CAPEX = 1450, 3, 4_456_448, 23_438_750.0
P725_WATCHED = 145


def _costs(inv: Inventory) -> Costs:
    assert inv.department is not None
    return inv.department.costs


def test_evrange_capex_is_the_sum_of_the_catalogue_lines(inventory: Inventory) -> None:
    site = inventory.sites["evrange"]
    own = site_costs(_costs(inventory), site.commune, site.slug, len(site.cameras))
    assert own.capex_eur == EVRANGE_CAPEX
    assert own.capex_eur == sum(line.total_eur for line in own.bom)
    assert [line.id for line in own.bom] == [c.id for c in _costs(inventory).capex]


def test_evrange_recurring_is_the_sum_of_the_catalogue_lines(inventory: Inventory) -> None:
    site = inventory.sites["evrange"]
    own = site_costs(_costs(inventory), site.commune, site.slug, len(site.cameras))
    assert own.annual_eur == EVRANGE_ANNUAL


def test_per_camera_lines_count_once_per_camera(inventory: Inventory) -> None:
    costs = _costs(inventory)
    two = site_costs(costs, "x", "x", 2)
    three = site_costs(costs, "x", "x", 3)
    per_camera = sum(c.unit_eur * c.quantity for c in costs.capex if c.per == "camera")
    assert three.capex_eur - two.capex_eur == pytest.approx(per_camera)
    assert per_camera == 1250  # the camera alone: no VMS licence per camera


def test_essaimage_html_states_the_computed_costs(inventory: Inventory) -> None:
    doc = BeautifulSoup(build_essaimage(inventory, 725).html, "html.parser")
    assert float(value(doc, "site.evrange.capex")) == EVRANGE_CAPEX
    assert float(value(doc, "site.evrange.annual")) == EVRANGE_ANNUAL
    assert float(value(doc, "bom.evrange.camera")) == 2500.0
    assert float(value(doc, "projection.725.capex_total")) == P725_CAPEX
    assert int(value(doc, "cell.725.streams")) == P725_STREAMS
    assert int(value(doc, "cell.725.hosts")) == P725_HOSTS
    assert int(value(doc, "cell.725.bandwidth_kbps")) == P725_KBPS
    assert int(value(doc, "cell.725.watched")) == P725_WATCHED
    assert float(value(doc, "target.capex_total")) == P725_CAPEX
    assert inventory.department is not None
    assert projection_points(inventory.department) == (1, 15, 100, 725)
    for n in projection_points(inventory.department):
        assert int(value(doc, f"projection.{n}.communes")) == n
    assert "CAM-9" in doc.get_text()
    assert int(value(doc, "assumption.template")) == 2  # stated: the template site has 2 cameras


def test_projection_uses_pilots_first_then_the_template_site(inventory: Inventory) -> None:
    e = essaimage(inventory, 15)
    assert (e.target.real_sites, e.target.template_sites) == (3, 12)
    assert e.target.cameras == sum(len(s.cameras) for s in inventory.sites.values()) + \
        12 * len(e.template_site.cameras)
    one = essaimage(inventory, 1).target
    assert one.capex_communes_eur == EVRANGE_CAPEX  # the first pilot by site_id is Évrange


def test_projection_is_monotone_in_the_number_of_communes(inventory: Inventory) -> None:
    e = essaimage(inventory, 725)
    for a, b in itertools.pairwise(e.series):
        assert b.capex_total_eur > a.capex_total_eur
        assert b.annual_communes_eur > a.annual_communes_eur
        assert b.cell.live_streams > a.cell.live_streams
        assert b.cell.bandwidth_kbps > a.cell.bandwidth_kbps
        assert b.cell.hosts >= a.cell.hosts


def test_projection_crisis_cell_sizing_725(inventory: Inventory) -> None:
    p = essaimage(inventory, 725).target
    assert (p.cell.live_streams, p.cell.hosts, p.cell.bandwidth_kbps) == (
        P725_STREAMS, P725_HOSTS, P725_KBPS)
    assert p.capex_total_eur == P725_CAPEX


def test_projection_follows_a_catalogue_price_change(moselle) -> None:
    before = essaimage(load_inventory(moselle.root), 725).target
    costs = moselle.load("department.yml")
    camera = next(line for line in costs["costs"]["capex"] if line["id"] == "camera")
    camera["unit_eur"] = 1500  # +250 € per camera
    costs["costs"]["crisis_cell"]["streams_per_host"] = 100
    moselle.save("department.yml", costs)
    after = essaimage(load_inventory(moselle.root), 725).target
    # 1450 cameras × 250 € = +362 500 on the communes; hosts ⌈145/100⌉ = 2 instead of 3
    assert after.capex_communes_eur - before.capex_communes_eur == 362_500
    assert after.cell.hosts == 2
    assert after.cell.capex_eur == 25_000 + 2 * 6_000


def test_projection_series_matches_single_points(inventory: Inventory) -> None:
    e = essaimage(inventory, 100)
    series = projection_series(_costs(inventory), e.pilots, e.template, [1, 2, 3, 4])
    assert [p.real_sites for p in series] == [1, 2, 3, 3]
    assert [p.template_sites for p in series] == [0, 0, 0, 1]


def test_essaimage_refused_when_the_inventory_is_invalid(moselle, cli, tmp_path) -> None:
    moselle.set(moselle.site("hettange-grande"), ("authorization", "retention_days"), 45)
    out = tmp_path / "ess"
    result = cli(["dossier", "essaimage", "--all", "--inventory", str(moselle.root),
                  "--out", str(out), "--no-pdf"])
    assert result.exit_code == 1
    assert "RET-1" in result.output
    assert not out.exists()


def test_essaimage_cli_rejects_both_communes_and_all(cli) -> None:
    result = cli(["dossier", "essaimage", "--communes", "5", "--all", "--no-pdf"])
    assert result.exit_code == 2


def test_extrapolated_communes_are_the_department_template_site(moselle) -> None:
    template = moselle.file("site-template.yml.j2")
    text = template.read_text(encoding="utf-8")
    assert "bitrate_kbps: 4096" in text
    template.write_text(text.replace("bitrate_kbps: 4096", "bitrate_kbps: 8192", 1),
                        encoding="utf-8")
    e = essaimage(load_inventory(moselle.root), 725)
    assert [c.recording.bitrate_kbps for c in e.template_site.cameras] == [8192, 2048]
    # (8192 + 2048) kbit/s × 1000 / 8 × 86400 s × 15 d × 1.2 / 1e9 = 1990.66 GB
    assert e.storage[-1].sizing.needed_gb == pytest.approx(1990.656, abs=1e-3)


def test_demo_closing_note_states_the_pilot_cost_and_the_725_projection(
        inventory: Inventory) -> None:
    from beffroi.dossiers import closing_note

    site_line, projection_line = closing_note(inventory, "evrange")
    assert "32\u202f270\u202f€" in site_line and "2\u202f730\u202f€" in site_line
    assert projection_line.startswith("725 communes")
    assert "23\u202f438\u202f750\u202f€" in projection_line and "3 relay hosts" in projection_line
