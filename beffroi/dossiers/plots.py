"""Plots of the essaimage dossier (matplotlib, Agg backend: no display on servers)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from beffroi.dossiers.costs import ProjectionPoint


def _png(fig: object) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


def cost_plot(series: Sequence[ProjectionPoint], marks: Sequence[int]) -> bytes:
    """Capital cost (M€) and yearly cost (k€/an) against the number of communes, as PNG."""
    n = [p.communes for p in series]
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    ax.plot(n, [p.capex_total_eur / 1e6 for p in series], color="#1f4e79",
            label="Investissement total (M€ HT)")
    ax.set_xlabel("Nombre de communes équipées")  # linear: cost grows linearly with communes
    ax.set_ylabel("Investissement (M€ HT)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ax2.plot(n, [p.annual_total_eur / 1e3 for p in series], color="#c55a11", linestyle="--",
             label="Fonctionnement annuel (k€ HT/an)")
    ax2.set_ylabel("Fonctionnement (k€ HT/an)")
    ax2.set_ylim(bottom=0)
    by_n = {p.communes: p for p in series}
    for m in marks:
        if m in by_n:
            ax.plot([m], [by_n[m].capex_total_eur / 1e6], "o", color="#1f4e79")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper left", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("Coût de l'essaimage selon le nombre de communes")
    return _png(fig)


def bandwidth_plot(series: Sequence[ProjectionPoint], marks: Sequence[int]) -> bytes:
    """Crisis-cell bandwidth (Mbit/s: on demand and worst case) and relay hosts against the
    number of communes, as PNG."""
    n = [p.communes for p in series]
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    ax.plot(n, [p.cell.watched_mbps for p in series], color="#2e7d32",
            label="Débit à la demande (caméras regardées, Mbit/s)")
    ax.plot(n, [p.cell.bandwidth_mbps for p in series], color="#2e7d32", linestyle="--",
            label="Plafond : tous les flux relayés (Mbit/s)")
    ax.set_xlabel("Nombre de communes équipées")
    ax.set_ylabel("Débit à la cellule de crise (Mbit/s)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ax2.step(n, [p.cell.hosts for p in series], where="post", color="#6a1b9a", linestyle=":",
             label="Serveurs de relais")
    ax2.set_ylabel("Serveurs de relais (nombre)")
    ax2.set_ylim(bottom=0)
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))  # hosts are whole machines
    by_n = {p.communes: p for p in series}
    for m in marks:
        if m in by_n:
            ax.plot([m], [by_n[m].cell.watched_mbps], "o", color="#2e7d32")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper left", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("Cellule de crise : débit et serveurs de relais")
    return _png(fig)


def wan_plot(curve: Sequence[tuple[int, float, float]]) -> bytes:
    """WAN need at the crisis cell (Mbit/s) against the cameras watched at once, as PNG."""
    k = [c[0] for c in curve]
    fig, ax = plt.subplots(figsize=(7.0, 3.2))
    ax.plot(k, [c[1] for c in curve], color="#b71c1c",
            label="Plans étroits d'abord (débits les plus élevés)")
    ax.plot(k, [c[2] for c in curve], color="#1f4e79", linestyle="--",
            label="Débit moyen des caméras")
    ax.set_xlabel("Caméras regardées en même temps (nombre)")
    ax.set_ylabel("Débit WAN à la cellule (Mbit/s)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Relais à la demande : débit selon le nombre de caméras regardées")
    return _png(fig)


def data_uri(png: bytes) -> str:
    """A PNG as a `data:` URI, so the HTML and the PDF are self-contained."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
