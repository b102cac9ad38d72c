"""The renderer: site intent → the intended configuration file of every device of a commune.

Templates live in `templates/<device kind>/` and are the very files the roles deploy with
`ansible.builtin.template`; the Jinja2 settings below are Ansible's defaults so both render the
same bytes.
"""

from __future__ import annotations

import errno
import functools
import os
import posixpath
from pathlib import Path
from typing import Any

import jinja2

from beffroi.escaping import FILTERS, UnsafeValue
from beffroi.files import RenderedFile, hub_files, monitoring_files, site_files
from beffroi.findings import BeffroiError, Severity, UsageError
from beffroi.intent import Reveal, SiteIntent, crisis_cell_intent, site_intent
from beffroi.inventory import DEPARTMENT_FILE, Inventory, load_inventory
from beffroi.safefile import describe_oserror
from beffroi.validate import site_findings
from beffroi.vault import REPO_ROOT

TEMPLATE_DIR = REPO_ROOT / "templates"
CRISIS_CELL = "crisis-cell"
MONITORING = "monitoring"


# One rendered file (where it goes, who owns it, its rule): built by the intent.
Output = RenderedFile


class _Environment(jinja2.Environment):
    """A bare `{% include 'x.j2' %}` is the including template's sibling, as in Ansible (which
    searches the template's own directory)."""

    def join_path(self, template: str, parent: str) -> str:
        return template if "/" in template else posixpath.join(posixpath.dirname(parent),
                                                                 template)


@functools.cache
def environment() -> jinja2.Environment:
    """Jinja2 configured like Ansible's template module (trim_blocks, trailing newline).

    The escaping filters are the ones `plugins/filter/beffroi_escape.py` gives Ansible, so the
    roles render the same bytes. Cached: templates compile once per process.
    """
    env = _Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             keep_trailing_newline=True, autoescape=False)
    env.filters.update(FILTERS)
    return env


def _render(template: str, variables: dict[str, Any]) -> str:
    """One template; a value its syntax cannot carry stops the render with a clear error."""
    try:
        return environment().get_template(template).render(**variables)
    except UnsafeValue as exc:
        raise BeffroiError(f"{template}: {exc}; nothing rendered") from None


def render_template(template: str, variables: dict[str, Any]) -> str:
    """One template with the variables its installing role gives it (drift renders the
    department hosts' files so)."""
    return _render(template, variables)


def site_outputs(ctx: dict[str, Any]) -> list[Output]:
    """Every file of a commune, from its intent context (the list `beffroi/files.py` builds)."""
    return site_files(ctx)


def template_vars(ctx: dict[str, Any], out: Output) -> dict[str, Any]:
    """The variables a template sees: `beffroi`, the file's own (e.g. chrony's role switch),
    and for a camera its entry."""
    variables: dict[str, Any] = {"beffroi": ctx, **out.variables}
    if out.kind == "camera":
        name = out.relpath.split("/")[-1].removesuffix(".yml")
        variables["camera"] = next(c for c in ctx["cameras"] if c["name"] == name)
    return variables


def render_site(inv: Inventory, slug: str, reveal_secrets: Reveal = False) -> dict[Output, str]:
    """Render a commune; refuses when the site (or its department) has validation errors."""
    refuse_invalid(inv, slug)
    return render_intent(site_intent(inv, slug, reveal_secrets))


def refuse_invalid(inv: Inventory, slug: str) -> None:
    """BeffroiError when the site (or its department) has validation errors: nothing is
    rendered nor compared from an intent that does not validate."""
    if inv.department is None:
        raise BeffroiError(f"{inv.root} has no valid {DEPARTMENT_FILE}; nothing rendered",
                           [f for f in inv.findings if f.severity is Severity.ERROR])
    errors = [f for f in site_findings(inv, slug) if f.severity is Severity.ERROR]
    if errors:
        raise BeffroiError(f"{slug} does not validate; nothing rendered", errors)


def render_intent(intent: SiteIntent, kinds: tuple[str, ...] | None = None
                  ) -> dict[Output, str]:
    """Render every file of an intent already built (drift builds it once per site), or only
    the files of devices of `kinds` (drift audits only those)."""
    ctx = intent.context()
    return {out: render_file(ctx, out) for out in intent.files
            if kinds is None or out.kind in kinds}


def render_file(ctx: dict[str, Any], out: Output) -> str:
    """One file of an intent (its context and its own variables)."""
    return _render(out.template, template_vars(ctx, out))


def render_crisis_cell(inv: Inventory, reveal_secrets: Reveal = False) -> dict[Output, str]:
    """Render the hub's WireGuard configuration (one peer per commune); refuses unless the
    whole department validates (see `crisis_cell_intent`)."""
    hub = crisis_cell_intent(inv, reveal_secrets)
    # the WireGuard hub and the wall (its chrony.conf is role common's alone)
    return {out: _render(out.template, {"hub": hub}) for out in hub_files(hub)
            if out.role == "crisis_cell"}


def render_monitoring(inv: Inventory, reveal_secrets: Reveal = False) -> dict[Output, str]:
    """Render the monitoring host's files (WireGuard, Prometheus, rules, Alertmanager, daemon
    arguments); refuses unless the whole department validates."""
    from beffroi.monitoring import monitoring_intent

    mon = monitoring_intent(inv, reveal_secrets)
    return {out: _render(out.template, {"monitoring": mon, **out.variables})
            for out in monitoring_files(mon) if out.role == "monitoring"}  # chrony: role common


def render_site_to(inventory: Path, slug: str, out_dir: Path) -> list[Path]:
    """`beffroi render`: write a commune's files (secrets redacted) under OUT_DIR/<slug>/."""
    inv = load_inventory(inventory)
    rendered = (render_crisis_cell(inv) if slug == CRISIS_CELL else
                render_monitoring(inv) if slug == MONITORING else render_site(inv, slug))
    written = []
    try:
        if _exists_not_dir(out_dir):
            raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory")
        for out, text in rendered.items():
            path = out_dir / slug / out.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise UsageError(f"cannot write the rendered files under --out {out_dir}: "
                         f"{describe_oserror(exc)}; give a directory (created if missing)"
                         ) from None
    return written


def _exists_not_dir(path: Path) -> bool:
    return os.path.lexists(path) and not path.is_dir()
