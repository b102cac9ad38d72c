"""Every dossier is laid out into a real PDF (WeasyPrint) that opens and has pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from dossier_html import KINDS, PILOTS
from pypdf import PdfReader

from beffroi.inventory import Inventory

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("slug", PILOTS)
def test_each_pilot_gets_html_and_pdf_of_every_site_dossier(
        written: dict[str, list[Path]], inventory: Inventory, slug: str) -> None:
    names = {p.name for p in written[slug]}
    for kind in KINDS:
        assert {f"{kind}.html", f"{kind}.pdf"} <= names
    for pdf in (p for p in written[slug] if p.suffix == ".pdf"):
        assert pdf.stat().st_size > 0
        reader = PdfReader(pdf)
        assert len(reader.pages) > 0
        assert inventory.sites[slug].commune in " ".join(
            page.extract_text() for page in reader.pages[:1]), pdf.name


def test_demo_entry_point_also_writes_the_essaimage_dossier_with_its_plots(
        written: dict[str, list[Path]]) -> None:
    by_name = {p.name: p for p in written["evrange"]}
    reader = PdfReader(by_name["essaimage.pdf"])
    assert len(reader.pages) > 0
    for png in ("essaimage-couts.png", "essaimage-debit.png", "essaimage-wan.png"):
        assert by_name[png].read_bytes().startswith(PNG_MAGIC)
    html = by_name["essaimage.html"].read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 3  # plots embedded: PDF self-contained
    assert any(page.images for page in reader.pages)  # …and really laid out in the PDF


def test_cli_writes_html_and_pdf_and_prints_the_paths(cli, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    result = cli(["dossier", "signage", "--site", "evrange", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("signage.html", "signage.pdf"):
        assert (out / name).is_file()
        assert name in result.stdout
    assert len(PdfReader(out / "signage.pdf").pages) > 0
