"""Rendering a dossier: Jinja2 templates of `templates/dossiers/` → HTML → PDF, and the guard
that refuses to document a site that does not validate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from beffroi import __version__
from beffroi.dossiers import labels
from beffroi.findings import BeffroiError, Finding, has_errors
from beffroi.inventory import Inventory, today
from beffroi.model import Department, Site
from beffroi.validate import check_inventory, site_findings

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "dossiers"
CSS_FILE = "dossier.css"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
NBSP = "\u202f"  # narrow no-break space: French thousands separator


def eur(value: float) -> str:
    """31330 → '31 330 €' (rounded to the euro)."""
    return f"{value:,.0f}".replace(",", NBSP) + NBSP + "€"


def num(value: float, digits: int = 0) -> str:
    """French number: 2969.6 → '2 969,6'."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", NBSP)


def date_fr(value: date | None) -> str:
    """2026-11-28 → '28 novembre 2026'."""
    if value is None:
        return "non renseignée"
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def pct(value: float) -> str:
    """0.712 → '71 %'."""
    return f"{value * 100:.0f}{NBSP}%"


EXAMPLE_EN = "(example data)"
EXAMPLE_FR = "(donnée d'exemple)"


def shown(value: object) -> object:
    """Every value printed in a dossier: the inventory's English example-data tag reads French
    (« donnée d'exemple »), so an invented value is never mistaken for a real one."""
    if isinstance(value, str) and EXAMPLE_EN in value:
        return value.replace(EXAMPLE_EN, EXAMPLE_FR)
    return value


def environment() -> jinja2.Environment:
    """The dossiers' Jinja2 environment: HTML autoescape, strict undefined, French filters."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, finalize=shown)
    filters: dict[str, Callable[..., str]] = {
        "eur": eur, "num": num, "date_fr": date_fr, "pct": pct, "rights": labels.rights,
        "cite": labels.rule_citation, "purpose_code": labels.purpose_code}
    env.filters.update(filters)
    env.globals.update(L=labels, css=(TEMPLATE_DIR / CSS_FILE).read_text(encoding="utf-8"),
                       version=__version__)
    return env


@dataclass
class Document:
    """A rendered dossier: its file stem and its HTML; extra files (plots) ride along."""

    stem: str
    html: str
    extra_files: dict[str, bytes] = field(default_factory=dict)


def render_document(stem: str, template: str, context: dict[str, Any]) -> Document:
    """Render `template` with `context` into a Document named `stem`."""
    return Document(stem, environment().get_template(template).render(**context))


def write_html(doc: Document, out_dir: Path) -> list[Path]:
    """Write the HTML (and extra files) of `doc` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{doc.stem}.html"]
    paths[0].write_text(doc.html, encoding="utf-8")
    for name, data in doc.extra_files.items():
        (out_dir / name).write_bytes(data)
        paths.append(out_dir / name)
    return paths


def checked_site(inv: Inventory, slug: str, when: date | None = None
                 ) -> tuple[Site, Department, list[Finding]]:
    """The site and its department, or a BeffroiError carrying the findings that block it.

    Why refuse: a dossier describing a system that the law rules out would mislead the
    préfecture; the commune fixes the site file first.
    """
    findings = site_findings(inv, slug, when or today())
    if has_errors(findings):
        raise BeffroiError(f"site {slug} does not validate: no dossier written "
                           "(fix the findings below, then rerun)", findings)
    if inv.department is None:
        raise BeffroiError(f"{inv.root} has no valid department.yml", inv.findings)
    site = inv.site(slug)
    return site, inv.department, findings


def checked_inventory(inv: Inventory, when: date | None = None
                      ) -> tuple[Department, list[Finding]]:
    """The department of an inventory with no error finding, or a BeffroiError."""
    findings = check_inventory(inv, when or today())
    if has_errors(findings) or inv.department is None:
        raise BeffroiError(f"inventory {inv.root} does not validate: no dossier written "
                           "(fix the findings below, then rerun)", findings)
    return inv.department, findings
