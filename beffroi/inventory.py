"""Loading an inventory directory (department, crisis cell, sites) into models plus findings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from beffroi.compliance import citation
from beffroi.findings import BeffroiError, Finding
from beffroi.model import CrisisCell, Department, Site
from beffroi.schema_errors import findings_from_validation
from beffroi.yamlsource import Source, load_yaml

DEPARTMENT_FILE = "department.yml"
CRISIS_CELL_FILE = "crisis-cell.yml"
SITES_DIR = "sites"
VAULT_DIR = "vault"
KNOWN_HOSTS_FILE = "known_hosts"  # the department's pinned SSH host keys (README, "Host keys")
M = TypeVar("M", bound=BaseModel)


@dataclass
class Inventory:
    """A department's inventory: its models, where each came from, and load findings."""

    root: Path
    department: Department | None = None
    crisis_cell: CrisisCell | None = None
    sites: dict[str, Site] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)  # slug / "department" / …
    entries: list[tuple[Site, Source]] = field(default_factory=list)  # every parsed site file
    findings: list[Finding] = field(default_factory=list)
    checked: dict[date, list[Finding]] = field(default_factory=dict)  # validation cache
    checked_by_file: dict[date, dict[str, list[Finding]]] = field(default_factory=dict)

    def site(self, slug: str) -> Site:
        """The site `slug`, or a BeffroiError listing the known ones."""
        if slug not in self.sites:
            known = ", ".join(sorted(self.sites)) or "none"
            raise BeffroiError(f"no valid site '{slug}' in {self.root} (known: {known})")
        return self.sites[slug]

    def site_file(self, slug: str) -> Path:
        """Where site `slug` is declared."""
        return self.root / SITES_DIR / f"{slug}.yml"

    def vault_file(self, slug: str) -> Path:
        """Where site `slug`'s secrets are kept (ansible-vault)."""
        return self.root / VAULT_DIR / f"{slug}.yml"


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        return str(path)


def resolved(path: Path) -> Path:
    """`path.resolve()`, or its absolute form when it cannot be resolved (link loop…)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))


def _exists(path: Path) -> bool:
    """True when something (even a broken link or a FIFO) is at `path`; never raises."""
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long, an embedded NUL
        return False


def _layout(path: Path, message: str, hint: str) -> Finding:
    return Finding(display_path(path), 1, "ENG-LAYOUT", "", message,
                   citation=citation("ENG-LAYOUT"), hint=hint)


def _parse(model: type[M], path: Path, inv: Inventory, key: str) -> M | None:
    from beffroi.secrets import clear_secrets

    source, findings = load_yaml(path, display_path(path))
    inv.findings.extend(findings)
    if source is None:
        return None
    inv.sources[key] = source
    inv.findings.extend(clear_secrets(source))
    if not isinstance(source.data, dict):
        inv.findings.append(Finding(source.file, 1, "ENG-SCHEMA", "",
                                    f"expected a mapping at the top of the file, got "
                                    f"{type(source.data).__name__}",
                                    citation=citation("ENG-SCHEMA"),
                                    hint="the file must be `key: value` pairs"))
        return None
    data: dict[str, Any] = {k: v for k, v in source.data.items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        inv.findings.extend(findings_from_validation(exc, model, source))
        return None


def find_root(path: Path) -> tuple[Path, Path | None]:
    """(inventory root, the single site file asked for or None)."""
    if _is_dir(path):
        return path, None
    if path.parent.name == SITES_DIR:
        return path.parent.parent, path
    return path.parent, path


def _site_paths(inv: Inventory, sites: Path) -> list[Path]:
    """`sites/*.yml`; a missing `sites/`, a `sites` that is a file, or a site file with
    another extension (`.yaml`, `.YML`: it would silently not be read) are ENG-LAYOUT errors."""
    if not _is_dir(sites):
        what = "is not a directory" if _exists(sites) else "directory not found"
        inv.findings.append(_layout(sites, f"{SITES_DIR}/ {what}: the department's communes "
                                    "cannot be read", f"create {SITES_DIR}/ and put one "
                                    "<slug>.yml per commune in it (beffroi site new)"))
        return []
    try:
        names = sorted(os.listdir(sites))
    except OSError as exc:
        inv.findings.append(_layout(sites, f"{SITES_DIR}/ cannot be listed: {exc.strerror}",
                                    "check the directory's permissions"))
        return []
    paths = []
    for name in names:
        if name.endswith(".yml"):
            paths.append(sites / name)
        elif name.lower().endswith((".yml", ".yaml")):
            stem = name.rsplit(".", 1)[0]
            inv.findings.append(_layout(sites / name, f"site file {name} is not read: site "
                                        "files end in .yml", f"rename it {stem}.yml"))
    return paths


def load_inventory(path: Path) -> Inventory:
    """Load everything under an inventory directory; problems become findings."""
    root, only = find_root(path)
    inv = Inventory(root=root)
    dept_path = root / DEPARTMENT_FILE
    if not _exists(dept_path):
        inv.findings.append(Finding(display_path(dept_path), 1, "ENG-SCHEMA", "",
                                    "department defaults file not found",
                                    citation=citation("ENG-SCHEMA"),
                                    hint=f"an inventory holds {DEPARTMENT_FILE}, "
                                         f"{CRISIS_CELL_FILE} and {SITES_DIR}/<slug>.yml"))
    else:  # a FIFO, a device or a link loop is reported by the loader, never opened
        inv.department = _parse(Department, dept_path, inv, "department")
    cell_path = root / CRISIS_CELL_FILE
    if _exists(cell_path):
        inv.crisis_cell = _parse(CrisisCell, cell_path, inv, "crisis-cell")
    site_paths = _site_paths(inv, root / SITES_DIR)
    # `validate department.yml` checks the department, not a site file named department.yml.
    if only is not None and only.name not in (DEPARTMENT_FILE, CRISIS_CELL_FILE) and \
            only not in site_paths and resolved(only) not in [resolved(p) for p in site_paths]:
        site_paths.append(only)
    for site_path in site_paths:
        key = f"site:{site_path.stem}"
        site = _parse(Site, site_path, inv, key)
        if site is not None:
            source = inv.sources.pop(key)
            inv.entries.append((site, source))
            if site.slug not in inv.sites:  # duplicates are reported by ENG-SLUG
                inv.sites[site.slug] = site
                inv.sources[site.slug] = source
    return inv


def today() -> date:
    """The validation date (BEFFROI_TODAY=YYYY-MM-DD pins it for reproducible runs)."""
    pinned = os.environ.get("BEFFROI_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()
