"""Read-only views of the register (REG-1, ex-R252-11) and the journal (JRN-1): filters by
period, camera, kind and person, a per-day summary for the printable extract, and the chains'
verify status. Nothing here writes to either log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from recorder import timeutil
from recorder.ledger import Ledger

if TYPE_CHECKING:
    from recorder.state import State

# REG-1: what the register records, named in French for the console and the extract
REGISTER_KINDS: dict[str, str] = {
    "recording": "Enregistrement",
    "recording_gap": "Interruption d'enregistrement",
    "destruction": "Destruction (purge)",
    "transmission": "Transmission au parquet",
    "export_copy": "Copie d'export sur le NVR",
    "export_destruction": "Destruction d'une copie d'export",
    "torn_write_dropped": "Écriture interrompue réparée",
}
# JRN-1: every action on the video, and the service's own events
JOURNAL_KINDS: dict[str, str] = {
    "login": "Connexion", "login_failed": "Échec de connexion",
    "login_lockout": "Verrouillage (ACC-5)", "logout": "Déconnexion",
    "live_view": "Visionnage en direct", "search": "Recherche", "playback": "Relecture",
    "export": "Export", "redaction": "Extrait flouté (EXP-5)",
    "access_denied": "Accès refusé", "hold_add": "Gel posé", "hold_release": "Gel levé",
    "access_request": "Demande de droit d'accès", "purge": "Purge", "alarm": "Alarme",
    "config_applied": "Configuration appliquée", "service_start": "Démarrage du service",
    "service_stop": "Arrêt du service", "unclean_shutdown": "Arrêt non propre",
    "export_missing": "Copie d'export manquante", "journal_pruned": "Journal élagué (JRN-2)",
    "torn_write_dropped": "Écriture interrompue réparée", "register_extract":
    "Extrait du registre imprimé", "frame_saved": "Image enregistrée (PNG)",
    "export_download": "Téléchargement d'un export",
    "alarm_cleared": "Alarme levée", "live_view_end": "Fin de visionnage en direct",
    "login_locked": "Compte verrouillé (ACC-5)", "event_raised": "Événement émis",
    "event_delivered": "Événement remis à un partenaire",
    "event_delivery_failed": "Échec de remise d'un événement",
    "event_acknowledged": "Événement acquitté",
}
MAX_ROWS = 1000  # one page of a view, the newest entries


def _lines(ledger: Ledger, since: float | None, newest_first: bool = False
           ) -> Iterator[bytes]:
    """Complete lines of a ledger's files (the part after the last newline of a file is an
    append in progress, not an entry). Files of months before `since` are skipped: an entry is
    never written into an earlier month's file than its own time."""
    if not ledger.dir.is_dir():
        return
    first = datetime.fromtimestamp(since, UTC).strftime("%Y-%m") if since is not None else ""
    paths = [p for p in sorted(ledger.dir.glob("*.jsonl")) if p.stem >= first]
    for path in reversed(paths) if newest_first else paths:
        lines = [line for line in path.read_bytes().split(b"\n")[:-1] if line.strip()]
        yield from reversed(lines) if newest_first else lines


def read_entries(ledger: Ledger, since: float | None = None) -> Iterator[dict[str, Any]]:
    """Entries of a ledger in chain order, tolerant of an append in progress."""
    for line in _lines(ledger, since):
        yield json.loads(line)


def entries_of_kinds(ledger: Ledger, kinds: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Entries of some kinds, in chain order, parsing only the lines whose bytes name one of
    them as the ledger's canonical writer spells it (for display: the holds' reasons in a
    year of journal)."""
    needles = [f'"kind":{json.dumps(k, ensure_ascii=False)}'.encode() for k in kinds]
    for line in _lines(ledger, None):
        if any(n in line for n in needles):
            entry = json.loads(line)
            if entry.get("kind") in kinds:
                yield entry


def person_of(entry: dict[str, Any]) -> str:
    """Who acted: `user` (journal), `by` (register), or the claimed id of a failed login."""
    data = entry.get("data", {})
    for key in ("user", "by", "user_claimed"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def cameras_of(entry: dict[str, Any]) -> list[str]:
    """Cameras an entry is about (`camera` or `cameras`); `*` means every camera."""
    data = entry.get("data", {})
    cams: list[str] = []
    if isinstance(data.get("camera"), str):
        cams.append(data["camera"])
    if isinstance(data.get("cameras"), list):
        cams += [str(c) for c in data["cameras"]]
    return cams


@dataclass(frozen=True)
class Filters:
    """What a view keeps: entries written in [start, end), about a camera, of a kind, by a
    person. None keeps everything."""

    start: float | None = None
    end: float | None = None
    camera: str | None = None
    kind: str | None = None
    person: str | None = None

    def keeps(self, entry: dict[str, Any]) -> bool:
        """True when the entry passes every filter."""
        t = float(entry["t"])
        if self.start is not None and t < self.start:
            return False
        if self.end is not None and t >= self.end:
            return False
        if self.kind and entry.get("kind") != self.kind:
            return False
        if self.person and person_of(entry) != self.person:
            return False
        if self.camera:
            cams = cameras_of(entry)
            if self.camera not in cams and "*" not in cams:
                return False
        return True


@dataclass
class View:
    """The newest entries of one filtered view, at most `limit`; `truncated` when older ones
    match too (they are not read: a month of register is ~86,000 entries)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


def view(ledger: Ledger, filters: Filters, limit: int = MAX_ROWS) -> View:
    """Filtered entries of a ledger, newest first, reading back only as far as needed."""
    out = View()
    for line in _lines(ledger, filters.start, newest_first=True):
        entry = json.loads(line)
        if not filters.keeps(entry):
            continue
        if len(out.rows) == limit:
            out.truncated = True
            break
        out.rows.append(entry)
    return out


@dataclass
class DaySummary:
    """REG-1 recordings of one camera on one UTC day, as the printed register shows them."""

    day: str
    camera: str
    segments: int = 0
    first: str = ""
    last: str = ""
    size: int = 0
    clock_invalid: int = 0  # TIME-1: segments recorded before the clock was synchronised


@dataclass
class Extract:
    """A printable extract of the register and journal over a period (REG-1, JRN-1)."""

    start: float
    end: float
    recordings: list[DaySummary]
    register: list[dict[str, Any]]  # every register entry except single recordings
    journal: list[dict[str, Any]]


def extract(register: Ledger, journal: Ledger, start: float, end: float,
            camera: str | None = None) -> Extract:
    """Recordings summarised per camera and day, every other register entry and the journal
    over [start, end), oldest first."""
    filters = Filters(start=start, end=end, camera=camera)
    days: dict[tuple[str, str], DaySummary] = {}
    others: list[dict[str, Any]] = []
    for e in read_entries(register, start):
        if not filters.keeps(e):
            continue
        if e["kind"] != "recording":
            others.append(e)
            continue
        d = e["data"]
        key = (str(d["start"])[:10], str(d["camera"]))
        s = days.setdefault(key, DaySummary(day=key[0], camera=key[1], first=str(d["start"])))
        s.segments += 1
        s.last = str(d["end"])
        s.size += int(d.get("size", 0))
        s.clock_invalid += 0 if d.get("valid", True) else 1
    jrn = [e for e in read_entries(journal, start) if filters.keeps(e)]
    return Extract(start, end, [days[k] for k in sorted(days)], others, jrn)


def describe(entry: dict[str, Any], when: Callable[[str], str] = str) -> str:
    """One line of French text saying what an entry records (for the views and the extract),
    its instants written by `when`; the caller escapes it for its target (HTML autoescape)."""
    d = entry.get("data", {})
    kind = entry.get("kind", "")
    rng = f"{when(d['from'])} → {when(d['to'])}" if "from" in d and "to" in d else ""
    if kind in ("recording", "destruction", "recording_gap"):
        rng = f"{when(d.get('start', ''))} → {when(d.get('end', ''))}"
    parts = {
        "recording": f"{d.get('path', '')} ({d.get('size', 0)} o)",
        "destruction": f"{d.get('path', '')} — {d.get('reason', '')}",
        "recording_gap": f"{d.get('seconds', '')} s sans enregistrement",
        "transmission": f"réquisition {d.get('requisition', '')}",
        "export_copy": str(d.get("path", "")),
        "export_destruction": str(d.get("path", "")),
        "export": f"motif : {d.get('reason') or d.get('requisition') or ''}",
        "hold_add": f"gel n° {d.get('hold', '')} réf. {d.get('ref', '')}"
                    + (f" — motif : {d['reason']}" if d.get("reason") else ""),
        "hold_release": f"gel n° {d.get('hold', '')} réf. {d.get('ref', '')}"
                        + (f" — motif : {d['reason']}" if d.get("reason") else ""),
        "access_request": f"{d.get('request', '')} : {d.get('step', '')}",
        "alarm": str(d.get("what", "")),
        "access_denied": f"{d.get('action', '')}",
        "login_failed": f"depuis {d.get('client') or d.get('via') or ''}",
    }
    text = parts.get(kind, "")
    return " — ".join(p for p in (rng, text) if p)


@dataclass(frozen=True)
class ChainStatus:
    """Verify status of one chain (REG-1/JRN-2): entries checked and the first problem."""

    name: str
    entries: int
    problem: str | None

    @property
    def ok(self) -> bool:
        """True when the chain verifies."""
        return self.problem is None


def chain_status(ledger: Ledger) -> ChainStatus:
    """Verify one chain with its own key (hash, link, signature, sequence); only what was
    appended since the last check has its signatures verified (recorder.chaincheck)."""
    from recorder import chaincheck

    if ledger.key is None:
        return ChainStatus(ledger.name, 0, "no key to verify with")
    count, problem = chaincheck.status(ledger, ledger.key.public_key())
    return ChainStatus(ledger.name, count, problem)


def parse_day(text: str, what: str) -> float:
    """A YYYY-MM-DD (UTC midnight) or ISO instant from a filter field; ValueError names it."""
    raw = text.strip()
    try:
        return timeutil.parse_iso(raw)
    except ValueError:
        raise ValueError(f"{what} : date attendue AAAA-MM-JJ ou AAAA-MM-JJTHH:MM, reçu "
                         f"{raw[:40]!r}") from None



def checkpoint_status(state: State) -> tuple[str | None, str | None]:
    """(problem, checkpoint time) of the chains against the latest signed checkpoint: a cut
    tail or a rolled-back state keeps a valid chain, the checkpoint still sees it (JRN-2)."""
    from recorder import checkpoint

    try:
        cp = checkpoint.latest(state.config.checkpoint_dir)
    except ValueError as exc:
        return f"checkpoint: {exc}", None
    if cp is None:
        return None, None
    return (checkpoint.check(state, cp, state.key.public_key(), "checkpoint"),
            str(cp.get("ts", "")))
