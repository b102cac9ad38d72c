"""`beffroi site new`: add a commune with allocated addressing and fresh secrets."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import yaml
from pydantic import TypeAdapter, ValidationError

from beffroi import vault
from beffroi.addressing import max_sites, plan
from beffroi.escaping import FILTERS, to_yaml
from beffroi.findings import BeffroiError, UsageError, has_errors
from beffroi.inventory import SITES_DIR, Inventory, load_inventory
from beffroi.model.base import Label
from beffroi.nvrtls import nvr_certificate
from beffroi.secrets import RECORDER_TLS, generate
from beffroi.validate import site_findings
from beffroi.yamlsource import parse_yaml

SITE_TEMPLATE = "site-template.yml.j2"
CAMERAS = ("cam-mairie-narrow", "cam-mairie-context")
LOCK_FILE = ".beffroi.lock"  # hidden: Ansible never reads it as an inventory source


INSEE_CODE = re.compile(r"[0-9]{5}|2[AB][0-9]{3}")  # ASCII digits only (`\d` takes any script)
_LABEL: TypeAdapter[str] = TypeAdapter(Label)


class SiteArgumentError(BeffroiError):
    """An argument of `site new` that cannot become a site file (a usage error: exit 2)."""


def check_arguments(name: str, mayor: str, insee: str, population: int | None) -> None:
    """Refuse, all at once and before anything is allocated, arguments the model would refuse."""
    problems = []
    for option, value in (("NAME", name), ("--mayor", mayor)):
        try:
            _LABEL.validate_python(value)
        except ValidationError as exc:
            problems.append(f"{option} {value[:40]!r}: {exc.errors()[0]['msg']}")
    if not isinstance(insee, str) or not INSEE_CODE.fullmatch(insee):
        problems.append(f"--insee {str(insee)[:20]!r}: an INSEE commune code is 5 digits "
                        "(57356) or 2A/2B and 3 digits in Corsica (2A004)")
    if population is not None and (isinstance(population, bool) or population < 1):
        problems.append(f"--population {population!r}: a number of inhabitants, at least 1 "
                        "(omit it if unknown)")
    if problems:
        raise SiteArgumentError("site new: " + "; ".join(problems) + ". Nothing was written.")


@dataclass(frozen=True)
class NewSite:
    """What `site new` wrote."""

    slug: str
    site_id: int
    site_file: Path
    vault_file: Path


# Letters NFKD leaves whole (no combining mark to strip): spelled out, never dropped.
_TRANSLIT = str.maketrans({
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH",
    "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ŋ": "ng", "Ŋ": "NG", "ĸ": "k",
    "’": "'", "‘": "'"})


def _ascii_letters(name: str) -> tuple[str, list[str]]:
    """`name` spelled in ASCII (accents stripped, ligatures spelled out) and the letters or
    digits that have no ASCII spelling (left out of the result)."""
    spelled = unicodedata.normalize("NFKD", name.translate(_TRANSLIT))
    out, lost = [], []
    for char in spelled:
        if char.isascii():
            out.append(char)
        elif unicodedata.category(char)[0] in "LN":
            lost.append(char)
        elif not unicodedata.combining(char):
            out.append(" ")  # non-ASCII punctuation or space: a word separator
    return "".join(out), lost


def slugify(name: str) -> str:
    """'Roussy-le-Village' → 'roussy-le-village'; 'Évrange' → 'evrange'; 'Œting' → 'oeting'."""
    ascii_name, _lost = _ascii_letters(name)
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def commune_slug(name: str) -> str:
    """The slug of a new commune, refusing names that would lose letters or look like paths."""
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise BeffroiError(f"{name!r}: the commune's name holds a control character; give it "
                           "as it is written (letters, spaces, hyphens, apostrophes)")
    if "/" in name or "\\" in name or name.strip().strip(".") == "":
        raise BeffroiError(f"{name!r} looks like a path, not a commune's name; nothing was "
                           "changed")
    _ascii, lost = _ascii_letters(name)
    if lost:
        raise BeffroiError(f"cannot transliterate {''.join(dict.fromkeys(lost))!r} in "
                           f"{name!r} to an ASCII slug without losing letters: give the name "
                           "in Latin script (e.g. its official French spelling)")
    slug = slugify(name)
    if not slug:
        raise BeffroiError(f"'{name}' gives an empty slug: use the commune's name")
    return slug


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
    """Fresh secrets of a site (NET-3, ACC-5) and the WireGuard public key (beffroi/secrets.py;
    the NVR's TLS certificate is added once its address is allocated)."""
    return generate(slug, CAMERAS, mayor_id)


def _yaml_scalar(value: Any) -> str:
    """Every `{{ … }}` of the department template becomes one YAML scalar, never YAML syntax."""
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)
    return json.dumps(str(value))  # a JSON string is a YAML double-quoted scalar (\n escaped)


@functools.cache
def _template_env(template_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False, finalize=_yaml_scalar)


def site_document(template_dir: Path, values: dict[str, Any]) -> dict[str, Any]:
    """The new site as data: the department template filled with scalars, then parsed."""
    name = str(template_dir / SITE_TEMPLATE)
    try:
        text = _template_env(template_dir).get_template(SITE_TEMPLATE).render(**values)
    except (OSError, jinja2.TemplateError) as exc:
        raise BeffroiError(f"{name}: cannot render the department template: {exc}") from None
    source, findings = parse_yaml(text, name)
    if source is None or not isinstance(source.data, dict):
        raise BeffroiError(f"{name}: the department template does not give a YAML mapping",
                           findings)
    data = dict(source.data)
    # The commune's identity is the command's, whatever the template says.
    data.update({key: values[key] for key in ("commune", "slug", "site_id", "insee",
                                               "population")})
    return data


def todo_fields(template_dir: Path) -> list[str]:
    """`controller.address: postal address` for each key the template marks `# TODO`."""
    notes: list[str] = []
    stack: list[tuple[int, str]] = []  # the keys enclosing the current line, with indents
    for line in (template_dir / SITE_TEMPLATE).read_text(encoding="utf-8").splitlines():
        found = re.match(r"^(\s*)(?:- )?([A-Za-z_][\w-]*):", line)
        if not found:
            continue
        indent = len(found.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, found.group(2)))
        if "# TODO" in line:
            note = line.split("# TODO", 1)[1].lstrip(": ").strip()
            notes.append(".".join(k for _i, k in stack) + (f": {note}" if note else ""))
    return notes


def site_file_text(document: dict[str, Any], values: dict[str, Any], todo: list[str]) -> str:
    """The site file: a header of comments, then the document written by the YAML serializer."""
    comment = FILTERS["yaml_comment"]
    header = [f"# {comment(values['commune'])} — commune site file, created by `beffroi site "
              f"new` on {comment(values['created'])}.",
              f"# Addresses and keys were allocated by Beffroi (site_id {values['site_id']}); "
              "secrets are in", f"# vault/{comment(values['slug'])}.yml (ansible-vault).",
              "# Written by a YAML serializer: edit the values, keep the structure."]
    if todo:
        header.append("# TODO — to be completed by the commune:")
        header += [f"#   {comment(note)}" for note in todo]
    return "---\n" + "\n".join(header) + "\n" + to_yaml(document)


def render_site_file(inv: Inventory, template_dir: Path, values: dict[str, Any]) -> str:
    """The new site file's text from the department template (identity, header, TODO list)."""
    return site_file_text(site_document(template_dir, values), values, todo_fields(template_dir))


@dataclass(frozen=True)
class Prepared:
    """A new site ready to write: its file text and its secrets."""

    slug: str
    site_id: int
    text: str
    secrets: dict[str, Any]


def prepare_site(inv: Inventory, name: str, site_id: int, mayor: str = "Maire Àdésigner",
                 insee: str = "57000", population: int | None = None,
                 today: date | None = None) -> Prepared:
    """Allocate addressing and secrets for `name` at `site_id` and render its site file."""
    assert inv.department is not None
    check_arguments(name, mayor, insee, population)
    slug = commune_slug(name)
    mayor_id = person_id(mayor)
    secrets, public = site_secrets(slug, mayor_id)
    text = render_site_file(inv, inv.root, {
        "commune": name.strip(), "slug": slug, "site_id": site_id, "insee": insee,
        "population": population or 0, "mayor": mayor.strip(), "mayor_id": mayor_id,
        "created": (today or date.today()).isoformat(),
        "retention_days": inv.department.defaults.retention_days,
        "addressing": inv.department.addressing,
        "plan": plan(inv.department.addressing, site_id, len(CAMERAS)),
        "wireguard_public_key": public})
    nvr = yaml.safe_load(text)["nvr"]  # the certificate names the NVR exactly as the site does
    secrets[RECORDER_TLS] = nvr_certificate(str(nvr["hostname"]), str(nvr["ip"]), name)
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
             population: int | None = None, today: date | None = None) -> NewSite:
    """Create `sites/<slug>.yml` and `vault/<slug>.yml`; refuse to overwrite anything."""
    check_arguments(name, mayor, insee, population)
    slug = commune_slug(name)
    if not root.is_dir():  # nothing to lock: the loader reports what is missing
        return _new_site_locked(root, name, slug, mayor, insee, population, today)
    with inventory_lock(root):  # load → allocate → write → validate, one run at a time
        return _new_site_locked(root, name, slug, mayor, insee, population, today)


@contextmanager
def inventory_lock(root: Path, timeout: float = 60.0) -> Iterator[None]:
    """Hold the inventory's lock file (fcntl.flock), so two `site new` never take one site_id.

    Waits up to `timeout` seconds for another run to finish, then gives up with a clear error.
    """
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot lock the inventory {root} ({exc.strerror}): is it a "
                         "writable inventory directory?") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BeffroiError(f"another `beffroi site new` has held {root / LOCK_FILE}"
                                       f" for {timeout:.0f} s; retry when it is done") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _new_site_locked(root: Path, name: str, slug: str, mayor: str, insee: str,
                     population: int | None, today: date | None) -> NewSite:
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
