"""The waves of a rollout: whole communes in site_id order, a canary wave first.

Ansible's `serial` counts hosts, so a wave of N communes is a batch of N × (firewall, NVR)
hosts, and the play's host list keeps each commune's two hosts side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.findings import BeffroiError, Severity
from beffroi.inventory import Inventory
from beffroi.validate import check_inventory

HOSTS_PER_COMMUNE = 2  # the firewall and the NVR: the hosts playbooks/essaimage.yml converges


@dataclass(frozen=True)
class Wave:
    """One `serial` batch: its number and communes (slugs)."""

    number: int
    communes: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The waves and what Ansible is given to run them."""

    waves: tuple[Wave, ...]
    hosts: dict[str, tuple[str, ...]]  # commune → its managed hosts

    @property
    def communes(self) -> list[str]:
        """Every planned commune, in rollout order."""
        return [c for w in self.waves for c in w.communes]

    def host_pattern(self) -> str:
        """The play's `hosts`: every commune's hosts side by side, in wave order."""
        return ",".join(h for c in self.communes for h in self.hosts[c])

    def serial(self) -> list[int]:
        """Ansible `serial`: hosts per batch, one entry per wave."""
        return [len(w.communes) * HOSTS_PER_COMMUNE for w in self.waves]

    def forks(self, cap: int = 50) -> int:
        """Forks enough for the largest wave's hosts to run at once (capped)."""
        return max(1, min(cap, max(self.serial(), default=1)))

    def to_json(self) -> dict[str, object]:
        """The plan as `beffroi rollout --plan --format json` prints it."""
        return {"communes": len(self.communes), "waves": [
            {"wave": w.number, "communes": list(w.communes)} for w in self.waves],
            "serial": self.serial(), "forks": self.forks()}


class PreflightError(BeffroiError):
    """The department does not validate: nothing is started."""


def preflight(inv: Inventory) -> None:
    """Refuse a rollout of a department with any validation error (all files at once)."""
    errors = [f for f in check_inventory(inv) if f.severity is Severity.ERROR]
    if errors:
        files = sorted({f.file for f in errors})
        raise PreflightError(f"pre-flight: {len(errors)} validation error(s) in "
                             f"{', '.join(files)}: no commune is deployed until the whole "
                             f"department validates (beffroi validate {inv.root})", errors)


def plan_waves(inv: Inventory, canary: int = 1, wave_size: int = 25,
               only: list[str] | None = None, skip: set[str] | None = None) -> Plan:
    """Waves over the department's communes (or `only`), less those in `skip` (finished).

    The first wave holds `canary` communes, each later one `wave_size`.
    """
    if canary < 1 or wave_size < 1:
        raise BeffroiError("--canary and --wave-size must be at least 1")
    unknown = sorted(set(only or []) - set(inv.sites))
    if unknown:
        raise BeffroiError(f"unknown commune(s) {', '.join(unknown)} in {inv.root} "
                           f"(known: {', '.join(sorted(inv.sites)) or 'none'})")
    chosen = [s for s in sorted(inv.sites, key=lambda s: (inv.sites[s].site_id, s))
              if (not only or s in only) and s not in (skip or set())]
    waves: list[Wave] = []
    rest = chosen
    size = canary
    while rest:
        waves.append(Wave(len(waves) + 1, tuple(rest[:size])))
        rest, size = rest[size:], wave_size
    hosts: dict[str, tuple[str, ...]] = {
        s: (inv.sites[s].firewall.hostname, inv.sites[s].nvr.hostname) for s in chosen}
    return Plan(tuple(waves), hosts)
