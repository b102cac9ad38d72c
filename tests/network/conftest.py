"""Fixtures for the network tests: Évrange's rendered intent and its simulated devices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from network_kit import MOSELLE, SLUG, SiteUnderTest
from network_peers import SwitchPeer, fake_switches

from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from beffroi.render import render_site


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
