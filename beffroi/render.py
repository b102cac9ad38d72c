"""The renderer: site intent → the intended configuration file of every device of a commune.

Templates live in `templates/<device kind>/` and are the very files the roles deploy with
`ansible.builtin.template`; the Jinja2 settings below are Ansible's defaults so both render the
same bytes.
"""

from __future__ import annotations

import errno
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from beffroi.escaping import FILTERS, UnsafeValue
from beffroi.findings import BeffroiError, Severity, UsageError
from beffroi.intent import Reveal, crisis_cell_intent, site_intent
from beffroi.inventory import DEPARTMENT_FILE, Inventory, load_inventory
from beffroi.safefile import describe_oserror
from beffroi.validate import site_findings
from beffroi.vault import REPO_ROOT

TEMPLATE_DIR = REPO_ROOT / "templates"
CRISIS_CELL = "crisis-cell"


@dataclass(frozen=True)
class Output:
    """One rendered file: which device it configures and where it goes on that device."""

    device: str        # inventory host name
    kind: str          # firewall | nvr | switch | camera | crisis_cell
    template: str      # path under templates/
    relpath: str       # path under the render output directory
    dest: str          # path on the device ("" for non-Linux devices)


@functools.cache
def environment() -> jinja2.Environment:
    """Jinja2 configured like Ansible's template module (trim_blocks, trailing newline).

    The escaping filters are the ones `plugins/filter/beffroi_escape.py` gives Ansible, so the
    roles render the same bytes. Cached: templates compile once per process.
    """
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
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


def site_outputs(ctx: dict[str, Any]) -> list[Output]:
    """Every file of a commune, from its intent context."""
    fw, nvr, sw = ctx["firewall"]["hostname"], ctx["nvr"]["hostname"], ctx["switch"]["hostname"]
    outs = [
        Output(fw, "firewall", "firewall/nftables.conf.j2", f"{fw}/nftables.conf",
               "/etc/nftables.conf"),
        Output(fw, "firewall", "firewall/wg-spoke.conf.j2", f"{fw}/wg-beffroi.conf",
               "/etc/wireguard/wg-beffroi.conf"),
        Output(fw, "firewall", "common/chrony.conf.j2", f"{fw}/chrony.conf",
               "/etc/chrony/chrony.conf"),
        Output(nvr, "nvr", "nvr/recorder.toml.j2", f"{nvr}/recorder.toml",
               "/etc/beffroi/recorder.toml"),
        Output(nvr, "nvr", "common/chrony.conf.j2", f"{nvr}/chrony.conf",
               "/etc/chrony/chrony.conf"),
        Output(nvr, "nvr", "nvr/nut.conf.j2", f"{nvr}/nut/nut.conf", "/etc/nut/nut.conf"),
        Output(nvr, "nvr", "nvr/ups.conf.j2", f"{nvr}/nut/ups.conf", "/etc/nut/ups.conf"),
        Output(nvr, "nvr", "nvr/upsd.users.j2", f"{nvr}/nut/upsd.users", "/etc/nut/upsd.users"),
        Output(nvr, "nvr", "nvr/upsmon.conf.j2", f"{nvr}/nut/upsmon.conf",
               "/etc/nut/upsmon.conf"),
        Output(sw, "switch", f"switch/{ctx['switch']['platform']}.j2",
               f"{sw}/running-config.{ctx['switch']['platform']}", ""),
    ]
    outs += [Output(f"{ctx['site']['slug']}-{cam['name']}", "camera", "camera/camera.yml.j2",
                    f"cameras/{cam['name']}.yml", "") for cam in ctx["cameras"]]
    return outs


def template_vars(ctx: dict[str, Any], out: Output) -> dict[str, Any]:
    """The variables a template sees: `beffroi`, plus `camera` or chrony's role switch."""
    variables: dict[str, Any] = {"beffroi": ctx}
    if out.kind == "camera":
        name = out.relpath.split("/")[-1].removesuffix(".yml")
        variables["camera"] = next(c for c in ctx["cameras"] if c["name"] == name)
    if out.template == "common/chrony.conf.j2":
        variables["chrony_serve_cameras"] = out.kind == "nvr"
    return variables


def render_site(inv: Inventory, slug: str, reveal_secrets: Reveal = False) -> dict[Output, str]:
    """Render a commune; refuses when the site (or its department) has validation errors."""
    if inv.department is None:
        raise BeffroiError(f"{inv.root} has no valid {DEPARTMENT_FILE}; nothing rendered",
                           [f for f in inv.findings if f.severity is Severity.ERROR])
    errors = [f for f in site_findings(inv, slug) if f.severity is Severity.ERROR]
    if errors:
        raise BeffroiError(f"{slug} does not validate; nothing rendered", errors)
    ctx = site_intent(inv, slug, reveal_secrets).context()
    return {out: _render(out.template, template_vars(ctx, out)) for out in site_outputs(ctx)}


def render_crisis_cell(inv: Inventory, reveal_secrets: Reveal = False) -> dict[Output, str]:
    """Render the hub's WireGuard configuration (one peer per commune); refuses unless the
    whole department validates (see `crisis_cell_intent`)."""
    hub = crisis_cell_intent(inv, reveal_secrets)
    out = Output(hub["hostname"], "crisis_cell", "crisis_cell/wg-hub.conf.j2",
                 f"{hub['hostname']}/wg-beffroi.conf", "/etc/wireguard/wg-beffroi.conf")
    return {out: _render(out.template, {"hub": hub})}


def render_site_to(inventory: Path, slug: str, out_dir: Path) -> list[Path]:
    """`beffroi render`: write a commune's files (secrets redacted) under OUT_DIR/<slug>/."""
    inv = load_inventory(inventory)
    rendered = render_crisis_cell(inv) if slug == CRISIS_CELL else render_site(inv, slug)
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
