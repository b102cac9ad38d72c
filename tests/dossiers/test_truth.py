"""Dossiers a clerk can trust: French only, the Cerfa's every field, the pilot's real parties,
deployed-state claims sourced from verification records, every figure computed from an input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from dossier_html import KINDS, PILOTS, fields, text, value

from beffroi.dossiers import SITE_DOSSIERS
from beffroi.dossiers.aipd import build_aipd
from beffroi.dossiers.compact import build_compact
from beffroi.dossiers.crisis import build_crisis_cell
from beffroi.dossiers.essaimage import build_essaimage
from beffroi.dossiers.prefecture import build_prefecture
from beffroi.drift.report import DeviceDrift, Status
from beffroi.inventory import Inventory, load_inventory

# Common English words that a French dossier must not contain (outside identifiers, addresses
# and proper names, which the tokeniser skips: anything with - . @ / _ or a digit).
ENGLISH = frozenset([
    "the", "and", "of", "is", "are", "was", "were", "with", "from", "for", "to", "by", "this",
    "that", "these", "not", "no", "yes", "none", "true", "false", "data", "example", "deployed",
    "disabled", "enabled", "read", "back", "camera", "cameras", "live", "playback", "export",
    "stream", "streams", "relay", "host", "hosts", "firewall", "pulls", "drives", "takes",
    "time", "only", "through", "uses", "recorder", "request", "site-file", "described",
    "planned", "verified", "unknown", "default", "drop", "allow",
])
PROPER = frozenset({"WireGuard", "ONVIF", "Beffroi", "SSH", "NTP", "API", "VPN", "RAID", "SFP",
                    "To"})  # "To": téraoctet
TOKEN = re.compile(r"[^\s«»()\[\],;:!?\"']+")

# Cerfa 13806*04 (rubrics 1 to 8 and the signature) → the data-field that carries it.
CERFA_13806_FIELDS = [
    ("1 nature de la demande", "request.type"),
    ("1 n° d'arrêté en vigueur", "request.arrete_ref"),
    ("2 dénomination de la collectivité", "applicant.name"),
    ("2 SIRET", "applicant.siret"),
    ("2 représentant légal", "applicant.mayor"),
    ("2 adresse", "applicant.address"),
    ("2 courriel", "applicant.email"),
    ("2 téléphone", "applicant.phone"),
    ("2 personne à contacter", "contact.person"),
    ("2 service de police ou de gendarmerie", "police.unit"),
    ("3 finalités", "purpose"),
    ("4 système ou périmètre vidéoprotégé", "system.kind"),
    ("4 lieu d'installation", "system.location"),
    ("4 adresse de l'enregistreur", "recorder.address"),
    ("4 caméras intérieures", "cameras.indoor"),
    ("4 caméras extérieures", "cameras.outdoor"),
    ("4 caméras sur la voie publique", "cameras.public_highway"),
    ("5 installateur", "installer.name"),
    ("5 adresse de l'installateur", "installer.address"),
    ("5 certification de l'installateur", "installer.certification"),
    ("5 transmission et enregistrement", "link.kind"),
    ("5 durée de conservation", "retention.days"),
    ("5 personnes habilitées", "habilitation"),
    ("6 information du public", "info.panels"),
    ("6 droit d'accès", "access_right.contact"),
    ("7 pièces jointes", "attachment.site-plan"),
    ("8 engagement et signature", "signature.block"),
    ("8 signataire", "signature.name"),
]


def _words(soup: BeautifulSoup) -> list[str]:
    for t in soup(["style", "script", "code"]):  # <code>: file paths and field names
        t.decompose()
    return [w for w in TOKEN.findall(soup.get_text(" "))
            if not re.search(r"[-./@_\d]", w) and w not in PROPER]


def _all_docs(inv: Inventory) -> dict[str, str]:
    docs = {f"{k}:{s}": SITE_DOSSIERS[k](inv, s, None, None).html for k in KINDS for s in PILOTS}
    docs["essaimage"] = build_essaimage(inv, 725).html
    docs["crisis-cell"] = build_crisis_cell(inv).html
    return docs


def test_every_dossier_is_french_only(inventory: Inventory) -> None:
    for name, html in _all_docs(inventory).items():
        english = sorted({w for w in _words(BeautifulSoup(html, "html.parser"))
                          if w.lower() in ENGLISH})
        assert english == [], f"{name}: English words {english}"


def test_no_dossier_cites_internal_documents(inventory: Inventory) -> None:
    for name, html in _all_docs(inventory).items():
        body = BeautifulSoup(html, "html.parser").get_text(" ").lower()
        assert "seed" not in body, name


@pytest.mark.parametrize("slug", PILOTS)
def test_prefecture_covers_every_field_of_cerfa_13806(
        site_html: dict[tuple[str, str], BeautifulSoup], slug: str) -> None:
    doc = site_html[("prefecture", slug)]
    missing = [rubric for rubric, f in CERFA_13806_FIELDS if not fields(doc, f)]
    assert missing == []


def test_prefecture_states_cnil_side_and_register_entry(
        site_html: dict[tuple[str, str], BeautifulSoup]) -> None:
    doc = site_html[("prefecture", "evrange")]
    assert "aucune déclaration préalable" in text(doc, "cnil.status")
    assert "art. 30" in text(doc, "cnil.status")
    assert int(value(doc, "register.retention")) == 15
    assert "Moselle Fibre" in text(doc, "register.processor")


def test_evrange_names_the_conventions_parties(
        site_html: dict[tuple[str, str], BeautifulSoup]) -> None:
    pref = site_html[("prefecture", "evrange")]
    assert text(pref, "applicant.mayor") == "Thierry Michel"
    assert text(pref, "applicant.address") == "Mairie, 1 rue de l'Église, 57570 Évrange"
    compact = site_html[("compact", "evrange")]
    assert "Jean-Paul Dastillung" in text(compact, "convention.operator")
    assert "28 la Tannerie, 57070 Saint-Julien-lès-Metz" in text(compact, "convention.operator")
    assert value(compact, "convention.period") == "2024-07-01/2025-06-30"
    assert "31 décembre 2025" in text(compact, "convention.period")  # extendable 6 months


def test_invented_people_and_positions_are_marked_as_example_data(
        site_html: dict[tuple[str, str], BeautifulSoup], inventory: Inventory) -> None:
    doc = site_html[("prefecture", "evrange")]
    ex = inventory.sites["evrange"].dossier.examples
    for h in inventory.sites["evrange"].habilitations:
        marked = bool(fields(doc, f"habilitation.{h.id}.example"))
        assert marked == (h.id in ex.habilitations), h.id
    for c in ex.cameras:
        assert "donnée" in text(doc, f"camera.{c}.example")
    assert "example data" not in doc.get_text()


@pytest.mark.parametrize("kind", ["prefecture", "aipd", "compact"])
def test_without_records_no_deployed_state_is_claimed(
        site_html: dict[tuple[str, str], BeautifulSoup], kind: str) -> None:
    doc = site_html[(kind, "evrange")]
    body = " ".join(doc.get_text(" ").split())
    for claim in ("tel qu'il est déployé", "relus sur la caméra", "configuration déployée",
                  "Services désactivés"):
        assert claim not in body
    statuses = {value(doc, f"verification.{t['data-value']}.status")
                for t in fields(doc, "verification")}
    assert statuses == {"non vérifié"}


def _drift(tmp: Path, camera_status: str) -> Path:
    ev = tmp / "evidence"
    ev.mkdir()
    # the records `beffroi drift --format json` prints (DeviceDrift.to_json)
    devices = [DeviceDrift("evrange", n, "camera", Status(camera_status)).to_json()
               for n in ("cam-mairie-narrow", "cam-mairie-context")]
    devices.append(DeviceDrift("evrange", "evrange-fw", "firewall", Status.OK).to_json())
    (ev / "drift.json").write_text(json.dumps({"clean": camera_status == "ok", "devices": devices,
                                               "date": "2026-11-20T09:00:00+00:00"}))
    return ev


@pytest.mark.parametrize(("status", "shown"), [("ok", "vérifié"), ("drifted", "écart constaté")])
def test_masks_read_back_only_when_drift_says_so_with_its_source_and_date(
        inventory: Inventory, tmp_path: Path, status: str, shown: str) -> None:
    ev = _drift(tmp_path, status)
    for build in (build_prefecture, build_aipd):
        doc = BeautifulSoup(build(inventory, "evrange", None, ev).html, "html.parser")
        assert value(doc, "verification.camera-masks.status") == shown
        source = text(doc, "verification.camera-masks.source")
        assert str(ev / "drift.json") in source and "20 novembre 2026" in source
        assert value(doc, "verification.firewall.status") == "vérifié"
        assert value(doc, "verification.nvr.status") == "non vérifié"  # not audited
        assert value(doc, "verification.deploy.status") == "non vérifié"


def test_measured_figures_come_from_the_benchmarks_file(inventory: Inventory,
                                                        tmp_path: Path) -> None:
    doc = BeautifulSoup(build_compact(inventory, "evrange").html, "html.parser")
    assert text(doc, "measure.recorder.cpu_ratio") == "non mesuré"
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "benchmarks.json").write_text(json.dumps({
        "date": "2026-11-27T08:00:00+00:00", "source": "benchmarks/recorder.py",
        "figures": {"recorder.cpu_ratio": 1.031}}))
    doc = BeautifulSoup(build_compact(inventory, "evrange", None, ev).html, "html.parser")
    assert value(doc, "measure.recorder.cpu_ratio") == "1.031"
    assert text(doc, "measure.recorder.resume_s") == "non mesuré"


def test_aipd_scores_follow_the_declared_measures(moselle) -> None:
    before = BeautifulSoup(build_aipd(load_inventory(moselle.root), "evrange").html,
                           "html.parser")
    assert int(value(before, "risk.disappearance.likelihood")) == 1
    assert int(value(before, "risk.illegitimate-access.gravity")) == 3  # public highway
    # 4 − no clear WAN port − ≤ 4 viewers − live-only recipients + live seen at the cell
    assert int(value(before, "risk.illegitimate-access.likelihood")) == 2
    moselle.set("sites/evrange.yml", ("nvr", "storage", "raid"), "none")
    moselle.set("sites/evrange.yml", ("nvr", "storage", "disks"), 1)
    moselle.set("sites/evrange.yml", ("nvr", "storage", "capacity_gb"), 8000)
    after = BeautifulSoup(build_aipd(load_inventory(moselle.root), "evrange").html,
                          "html.parser")
    # no mirror: the −1 for redundancy goes and a +1 for no redundancy comes
    assert int(value(after, "risk.disappearance.likelihood")) == 3
    assert "AVIS DU DPO — À COMPLÉTER" in text(after, "dpo.opinion")


def test_aipd_covers_the_crisis_cell_processing(
        site_html: dict[tuple[str, str], BeautifulSoup]) -> None:
    doc = site_html[("aipd", "evrange")]
    assert "L252-3" in text(doc, "crisis.legal")
    assert "Commune d'Évrange" in text(doc, "crisis.controller")
    assert "art. 28" in text(doc, "crisis.processor")
    assert "à signer" in text(doc, "crisis.access_agreement")
    assert {t["data-value"] for t in fields(doc, "crisis.recipient")} == {"sdis", "gendarmerie"}


def test_financing_and_estimate_follow_the_catalogue(moselle) -> None:
    def doc() -> BeautifulSoup:
        return BeautifulSoup(build_essaimage(load_inventory(moselle.root), 15).html,
                             "html.parser")

    first = doc()
    ht = float(value(first, "financing.ht"))
    assert float(value(first, "financing.ttc")) == pytest.approx(ht * 1.2)
    assert float(value(first, "financing.fctva")) == pytest.approx(ht * 1.2 * 0.16404)
    assert float(value(first, "financing.net_without_aid")) == pytest.approx(
        ht * 1.2 * (1 - 0.16404))
    assert float(value(first, "estimate.difference")) == pytest.approx(ht - 30_000)
    assert value(first, "price.camera.source") == "assumption"
    dept = moselle.load("department.yml")
    dept["costs"]["seed_estimate_eur"] = 25_000
    dept["costs"]["taxes"]["fctva_rate"] = 0.15
    dept["costs"]["crisis_cell"]["watched_fraction"] = 0.5
    dept["costs"]["crisis_cell"]["operator_annual_eur"] = 50_000
    moselle.save("department.yml", dept)
    second = doc()
    assert float(value(second, "estimate.difference")) == pytest.approx(ht - 25_000)
    assert float(value(second, "financing.fctva")) == pytest.approx(ht * 1.2 * 0.15)
    assert int(value(second, "target.watched")) == 15  # ⌈30 cameras × 50 %⌉
    assert float(value(second, "cell.staffing")) == pytest.approx(1 * 5.3 * 50_000)


def test_a_price_without_source_or_assumption_is_refused(moselle) -> None:
    dept = moselle.load("department.yml")
    del dept["costs"]["capex"][0]["assumption"]
    moselle.save("department.yml", dept)
    inv = load_inventory(moselle.root)
    assert inv.department is None
    assert any("source" in f.message for f in inv.findings)


def test_crisis_cell_bandwidth_is_the_relayed_recorded_streams(moselle) -> None:
    moselle.set("sites/evrange.yml", ("cameras", 0, "recording", "bitrate_kbps"), 3000)
    doc = BeautifulSoup(build_crisis_cell(load_inventory(moselle.root)).html, "html.parser")
    assert int(value(doc, "tech.evrange.kbps")) == 3000 + 2048
    assert {t["data-value"] for t in fields(doc, "legal.recipient")} == {"lawful"}
    assert "L252-3" in text(doc, "legal.finding")


def test_territories_are_projected_by_size_class(inventory: Inventory) -> None:
    doc = BeautifulSoup(build_essaimage(inventory, 725).html, "html.parser")
    assert [t["data-value"] for t in fields(doc, "territory")] == ["moselle-fibre", "department"]
    # Moselle Fibre: 150 × 1 + 80 × 2 + 30 × 4 + 5 × 8 sites of 2 cameras = 470 sites
    assert int(value(doc, "territory.moselle-fibre.cameras")) == 940
    assert int(value(doc, "territory.department.communes")) == 725


def test_example_marker_naming_an_unknown_person_is_refused(moselle, cli, tmp_path) -> None:
    moselle.set("sites/evrange.yml", ("dossier", "examples", "habilitations"), ["jtiel"])
    out = tmp_path / "out"
    result = cli(["dossier", "prefecture", "--site", "evrange", "--inventory",
                  str(moselle.root), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 1
    assert "dossier.examples.habilitations" in result.output and "jtiel" in result.output
    assert not out.exists()


def test_invented_fields_are_listed_to_replace_and_unknown_paths_refused(moselle) -> None:
    inv = load_inventory(moselle.root)
    doc = BeautifulSoup(build_prefecture(inv, "evrange").html, "html.parser")
    todo = " ".join(t.get_text() for t in fields(doc, "missing"))
    assert "controller.phone" in todo and "dossier.contact.phone" in todo
    assert "(donnée d'exemple)" in text(doc, "request.arrete_ref")
    moselle.set("sites/evrange.yml", ("dossier", "examples", "fields"), ["controller.fax"])
    from beffroi.findings import BeffroiError

    with pytest.raises(BeffroiError) as refused:  # validation refuses it (ENG-REF), located
        build_prefecture(load_inventory(moselle.root), "evrange")
    assert any(f.rule == "ENG-REF" and "controller.fax" in f.message and f.line > 0
               for f in refused.value.findings)


def test_compact_and_crisis_cell_figures_follow_their_inputs(moselle) -> None:
    def both() -> tuple[BeautifulSoup, BeautifulSoup]:
        inv = load_inventory(moselle.root)
        return (BeautifulSoup(build_compact(inv, "evrange").html, "html.parser"),
                BeautifulSoup(build_crisis_cell(inv).html, "html.parser"))

    compact, crisis = both()
    capex = float(value(compact, "compact.capex"))
    annual = float(value(crisis, "econ.department.annual"))
    dept = moselle.load("department.yml")
    next(c for c in dept["costs"]["capex"] if c["id"] == "mast")["unit_eur"] = 3800
    dept["costs"]["crisis_cell"]["hosting_annual_eur"] = 9000
    dept["costs"]["crisis_cell"]["operators_per_shift"] = 2
    moselle.save("department.yml", dept)
    compact, crisis = both()
    assert float(value(compact, "compact.capex")) == capex + 1000
    # +3 000 € hosting and one more operator per shift: 5,3 FTE × 45 000 €
    assert float(value(crisis, "econ.department.annual")) == pytest.approx(
        annual + 3000 + 5.3 * 45_000)
    assert int(value(crisis, "org.staffing")) == 2


def test_perimeter_option_is_stated_when_requested(moselle) -> None:
    moselle.set("sites/evrange.yml", ("dossier", "perimeter"), True)
    moselle.set("sites/evrange.yml", ("dossier", "perimeter_description"), "Place de l'Église")
    doc = BeautifulSoup(build_prefecture(load_inventory(moselle.root), "evrange").html,
                        "html.parser")
    assert value(doc, "system.kind") == "perimeter"
    assert text(doc, "system.kind") == "périmètre vidéoprotégé : Place de l'Église"


def test_every_catalogue_price_shows_its_source_or_assumption(inventory: Inventory) -> None:
    doc = BeautifulSoup(build_essaimage(inventory, 15).html, "html.parser")
    assert inventory.department is not None
    costs = inventory.department.costs
    for line in [*costs.capex, *costs.recurring]:
        shown = value(doc, f"price.{line.id}.source")
        assert shown == ("assumption" if line.assumption else "source"), line.id
        cell = text(doc, f"price.{line.id}.source")
        assert ("hypothèse" in cell) if line.assumption else (line.source in cell)
