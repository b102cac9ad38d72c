"""`beffroi site new`: add a commune with allocated addressing and fresh secrets."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import yaml
from argon2 import PasswordHasher

from beffroi import vault
from beffroi.addressing import max_sites, plan
from beffroi.findings import BeffroiError, has_errors
from beffroi.inventory import SITES_DIR, Inventory, load_inventory
from beffroi.nvrtls import nvr_certificate
from beffroi.validate import site_findings

SITE_TEMPLATE = "site-template.yml.j2"
CAMERAS = ("cam-mairie-narrow", "cam-mairie-context")


@dataclass(frozen=True)
class NewSite:
    """What `site new` wrote."""

    slug: str
    site_id: int
    site_file: Path
    vault_file: Path


def slugify(name: str) -> str:
    """'Roussy-le-Village' → 'roussy-le-village'; 'Évrange' → 'evrange'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def person_id(name: str) -> str:
    """'Marie Lefèvre' → 'mlefevre' (initial + surname), the ACC-1 account id."""
    parts = slugify(name).split("-")
    return (parts[0][:1] + "".join(parts[1:]))[:32] if len(parts) > 1 else parts[0]


def next_site_id(inv: Inventory) -> int:
    """The smallest site_id no site file uses yet."""
    used = {site.site_id for site, _src in inv.entries}
    for source in inv.sources.values():  # files that failed validation still hold their id
        if isinstance(source.data, dict) and isinstance(source.data.get("site_id"), int):
            used.add(source.data["site_id"])
    assert inv.department is not None
    for candidate in range(1, max_sites(inv.department.addressing) + 1):
        if candidate not in used:
            return candidate
    raise BeffroiError(f"the pool {inv.department.addressing.pool} is full")


def site_secrets(slug: str, mayor_id: str) -> tuple[dict[str, Any], str]:
    """Fresh secrets of a site (NET-3, ACC-5) and the WireGuard public key."""
    private, public = vault.wireguard_keypair()
    mayor_password = vault.password()
    return {
        "wireguard_private_key": private,
        "nvr_signing_key": vault.ed25519_private_pem(),
        "nut_password": vault.password(),
        "switch": {"username": f"bf-{slug}"[:32], "password": vault.password(),
                   "enable_secret": vault.password()},
        "cameras": {name: {"username": f"bf-{name}"[:32], "password": vault.password()}
                    for name in CAMERAS},
        "recorder_users": {mayor_id: {"initial_password": mayor_password,
                                      "password_hash": PasswordHasher().hash(mayor_password)}},
        "crisis_cell_viewer": crisis_cell_viewer(),
    }, public


def crisis_cell_viewer() -> dict[str, str]:
    """The crisis cell's live-only relay account on this NVR (ACC-3): password and hash."""
    password = vault.password()
    return {"password": password, "password_hash": PasswordHasher().hash(password)}


@functools.cache
def _template_env(template_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)


def render_site_file(inv: Inventory, template_dir: Path, values: dict[str, Any]) -> str:
    """The new site file's text from the department template."""
    return _template_env(template_dir).get_template(SITE_TEMPLATE).render(**values)


@dataclass(frozen=True)
class Prepared:
    """A new site ready to write: its file text and its secrets."""

    slug: str
    site_id: int
    text: str
    secrets: dict[str, Any]


def prepare_site(inv: Inventory, name: str, site_id: int, mayor: str = "Maire Àdésigner",
                 insee: str = "57000", population: int = 0, today: date | None = None
                 ) -> Prepared:
    """Allocate addressing and secrets for `name` at `site_id` and render its site file."""
    assert inv.department is not None
    slug = slugify(name)
    mayor_id = person_id(mayor)
    secrets, public = site_secrets(slug, mayor_id)
    text = render_site_file(inv, inv.root, {
        "commune": name, "slug": slug, "site_id": site_id, "insee": insee,
        "population": population, "mayor": mayor, "mayor_id": mayor_id,
        "created": (today or date.today()).isoformat(),
        "retention_days": inv.department.defaults.retention_days,
        "addressing": inv.department.addressing,
        "plan": plan(inv.department.addressing, site_id, len(CAMERAS)),
        "wireguard_public_key": public})
    nvr = yaml.safe_load(text)["nvr"]  # the certificate names the NVR exactly as the site does
    secrets["recorder_tls"] = nvr_certificate(str(nvr["hostname"]), str(nvr["ip"]), name)
    return Prepared(slug, site_id, text, secrets)


def write_site(inv: Inventory, prepared: Prepared) -> NewSite:
    """Write a prepared site's file and vault, refusing to overwrite anything."""
    site_file = inv.root / SITES_DIR / f"{prepared.slug}.yml"
    vault_file = inv.vault_file(prepared.slug)
    site_file.parent.mkdir(parents=True, exist_ok=True)
    with site_file.open("x", encoding="utf-8") as out:
        out.write(prepared.text)
    try:
        vault.write_vault(vault_file, prepared.secrets)
    except BaseException:
        site_file.unlink(missing_ok=True)
        raise
    return NewSite(prepared.slug, prepared.site_id, site_file, vault_file)


def new_site(root: Path, name: str, mayor: str = "Maire Àdésigner", insee: str = "57000",
             population: int = 0, today: date | None = None) -> NewSite:
    """Create `sites/<slug>.yml` and `vault/<slug>.yml`; refuse to overwrite anything."""
    slug = slugify(name)
    if not slug:
        raise BeffroiError(f"'{name}' gives an empty slug: use the commune's name")
    inv = load_inventory(root)
    if inv.department is None:
        raise BeffroiError(f"{root} has no valid department.yml", inv.findings)
    for existing in (root / SITES_DIR / f"{slug}.yml", inv.vault_file(slug)):
        if existing.exists():
            raise BeffroiError(f"commune '{name}' already exists ({existing}); nothing was "
                               "changed. Edit that file, or choose another name.")
    if slug in inv.sites:
        raise BeffroiError(f"slug '{slug}' is already used by another site file")
    prepared = prepare_site(inv, name, next_site_id(inv), mayor, insee, population, today)
    made = write_site(inv, prepared)
    try:
        findings = site_findings(load_inventory(root), slug, today)
        if has_errors(findings):
            raise BeffroiError(f"the new site {slug} does not validate; nothing was kept",
                               findings)
    except BaseException:
        made.site_file.unlink(missing_ok=True)
        made.vault_file.unlink(missing_ok=True)
        raise
    return made
