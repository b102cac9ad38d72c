"""Fixtures for the network tests: Évrange's rendered intent and its simulated devices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from network_peers import SwitchPeer, fake_switches

from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from beffroi.render import render_site

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"
SLUG = "evrange"


@dataclass(frozen=True)
class SiteUnderTest:
    """A commune's intent context and its rendered files (secrets revealed, as deployed)."""

    slug: str
    ctx: dict[str, Any]
    files: dict[str, str]   # relpath → rendered text

    @property
    def switch_config(self) -> str:
        """The rendered switch configuration: the intent the switch must carry."""
        sw = self.ctx["switch"]
        return self.files[f"{sw['hostname']}/running-config.{sw['platform']}"]


@pytest.fixture(scope="session")
def evrange() -> SiteUnderTest:
    """Évrange as the renderer sees it."""
    inv = load_inventory(MOSELLE)
    ctx = site_intent(inv, SLUG, reveal_secrets=True).context()
    files = {out.relpath: text for out, text in render_site(inv, SLUG, True).items()}
    return SiteUnderTest(SLUG, ctx, files)


@pytest.fixture
def fresh_switch(evrange: SiteUnderTest) -> Iterator[SwitchPeer]:
    """A factory-fresh fake IOS switch with Évrange's ports and vaulted credentials."""
    sw = evrange.ctx["switch"]
    with fake_switches(sw["credentials"], [p["name"] for p in sw["ports"]]) as peer:
        yield peer


def write_endpoints(path: Path, entries: dict[str, dict[str, Any]]) -> Path:
    """An endpoints file (see network/endpoints.py) pointing devices at loopback peers."""
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return path
