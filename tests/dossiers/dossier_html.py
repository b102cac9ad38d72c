"""Reading dossier HTML: every value a test checks sits in an element with `data-field`."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from beffroi.dossiers.render import shown

TODAY = "2026-11-28"  # BEFFROI_TODAY of the dossier tests
PILOTS = ("evrange", "roussy-le-village", "hettange-grande")
KINDS = ("prefecture", "aipd", "signage", "compact")

def fields(soup: BeautifulSoup, name: str) -> list[Tag]:
    """Every element carrying data-field=`name`."""
    return [t for t in soup.find_all(attrs={"data-field": name}) if isinstance(t, Tag)]


def field(soup: BeautifulSoup, name: str) -> Tag:
    """The one element carrying data-field=`name` (fails when absent or repeated)."""
    found = fields(soup, name)
    assert len(found) == 1, f"data-field={name!r}: {len(found)} element(s)"
    return found[0]


def text(soup: BeautifulSoup, name: str) -> str:
    """Whitespace-normalised text of the one element data-field=`name`."""
    return " ".join(field(soup, name).get_text().split())


def value(soup: BeautifulSoup, name: str) -> str:
    """The raw data-value of the one element data-field=`name`."""
    raw = field(soup, name).get("data-value")
    assert isinstance(raw, str), f"data-field={name!r} has no data-value"
    return raw


def norm(s: str) -> str:
    """Whitespace-normalised string (models hold folded YAML text)."""
    return " ".join(s.split())


def fr(s: str) -> str:
    """A model value as a dossier prints it (English example-data tag shown in French)."""
    out = shown(s)
    assert isinstance(out, str)
    return norm(out)
