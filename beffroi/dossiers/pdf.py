"""HTML → PDF with WeasyPrint (a real layout engine: the PDF is what the préfecture receives)."""

from __future__ import annotations

import logging
from pathlib import Path


def write_pdf(html: str, path: Path) -> Path:
    """Lay out `html` (self-contained: CSS inline, images as data URIs) into the PDF `path`."""
    from weasyprint import HTML  # why lazy: importing WeasyPrint costs ~0.5 s

    # WeasyPrint logs every unsupported CSS property at WARNING; keep the CLI output readable.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(path.parent)).write_pdf(str(path))
    return path
