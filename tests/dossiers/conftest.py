"""Dossier fixtures: the real Moselle inventory, every dossier built once per session, parsed.

PDF layout is the slow part (~1.5 s a document), so each PDF is rendered once per session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from dossier_html import KINDS, PILOTS, TODAY

from beffroi.inventory import Inventory, load_inventory

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"


@pytest.fixture(scope="session", autouse=True)
def _pinned_today() -> Iterator[None]:
    """BEFFROI_TODAY for the whole session (session fixtures cannot use monkeypatch)."""
    old = os.environ.get("BEFFROI_TODAY")
    os.environ["BEFFROI_TODAY"] = TODAY
    yield
    if old is None:
        del os.environ["BEFFROI_TODAY"]
    else:
        os.environ["BEFFROI_TODAY"] = old


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    """The real Moselle inventory (read only)."""
    return load_inventory(MOSELLE)


@pytest.fixture(scope="session")
def site_html(inventory: Inventory) -> dict[tuple[str, str], BeautifulSoup]:
    """(kind, slug) → parsed HTML of every site dossier of every pilot."""
    from beffroi.dossiers import SITE_DOSSIERS

    return {(kind, slug): BeautifulSoup(SITE_DOSSIERS[kind](inventory, slug, None).html,
                                        "html.parser")
            for kind in KINDS for slug in PILOTS}


@pytest.fixture(scope="session")
def written(inventory: Inventory, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, list[Path]]:
    """slug → files written (HTML + PDF): Évrange through the demo's entry point
    (site dossiers + essaimage), the other pilots through `write_document`."""
    from beffroi.dossiers import SITE_DOSSIERS, write_document, write_site_dossiers

    out = tmp_path_factory.mktemp("dossiers")
    files = {"evrange": write_site_dossiers(inventory, "evrange", out / "evrange")}
    for slug in PILOTS[1:]:
        files[slug] = [p for kind in KINDS
                       for p in write_document(SITE_DOSSIERS[kind](inventory, slug, None),
                                               out / slug)]
    return files
