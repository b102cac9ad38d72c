"""The department's own hosts in a drift audit: the crisis-cell hub and the monitoring host.

They have no commune: their intent is the department's (`crisis_cell_intent`,
`monitoring_intent`) and their files are the very lists the roles deploy (`hub_files`,
`monitoring_files`), rendered to the bytes the roles write — role crisis_cell's and role
monitoring's templates with their host's intent, role common's with what role common gives them
(roles/common/tasks/chrony.yml, sshd.yml). They are named as `beffroi render --site` names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beffroi.files import RenderedFile, hub_files, monitoring_files
from beffroi.findings import BeffroiError
from beffroi.inventory import Inventory
from beffroi.render import CRISIS_CELL, MONITORING, render_template

SITES = (CRISIS_CELL, MONITORING)
KINDS = ("crisis_cell", "monitoring")


@dataclass(frozen=True)
class HostIntent:
    """One department host as drift compares it: its intent, its rendered files, its address."""

    site: str          # "crisis-cell" | "monitoring"
    host: str          # inventory host name
    kind: str          # crisis_cell | monitoring
    ctx: dict[str, Any]
    files: list[tuple[RenderedFile, str]]
    address: str       # the inventory address (ansible_host): production's default endpoint


def department_sites(inv: Inventory) -> list[str]:
    """The department hosts an inventory declares, as `--site` names them."""
    dept = inv.department
    return ([CRISIS_CELL] if inv.crisis_cell is not None else []) + \
        ([MONITORING] if dept is not None and dept.monitoring is not None else [])


def host_intent(inv: Inventory, site: str) -> HostIntent:
    """The hub's or monitoring host's intent (secrets revealed) and rendered files."""
    if site not in department_sites(inv):
        raise BeffroiError(f"{inv.root} declares no {site} host (crisis-cell.yml, "
                           "department.yml `monitoring:`): nothing to audit")
    dept = inv.department
    assert dept is not None
    ntp = list(dept.time.ntp_servers)
    if site == CRISIS_CELL:
        from beffroi.intent import crisis_cell_intent

        assert inv.crisis_cell is not None
        hub = crisis_cell_intent(inv, reveal_secrets=True)
        files, own, name = hub_files(hub), {"hub": hub}, hub["name"]
        address, kind = str(inv.crisis_cell.wan_address.ip), "crisis_cell"
        ctx = hub
    else:
        from beffroi.monitoring import monitoring_intent

        assert dept.monitoring is not None
        ctx = monitoring_intent(inv, reveal_secrets=True)
        # role common names a host without a commune after its inventory name
        files, own, name = monitoring_files(ctx), {"monitoring": ctx}, ctx["hostname"]
        address, kind = str(dept.monitoring.wan_address.ip), "monitoring"
    common = {"version": ctx["version"], "site": {"commune": name},
              "net": {"camera_subnet": ""}, "ntp_servers": ntp}
    rendered = [(out, render_template(out.template, _variables(out, own, common)))
                for out in files]
    return HostIntent(site, ctx["hostname"], kind, ctx, rendered, address)


def _variables(out: RenderedFile, own: dict[str, Any], common: dict[str, Any]
               ) -> dict[str, Any]:
    """What the installing role gives the template: role common's `beffroi` (a host with no
    commune: its version and name, the department's NTP servers), the host's intent otherwise."""
    if out.role == "common":
        return {"beffroi": common, **out.variables}
    return {**own, **out.variables}
