"""Right-of-access requests ("répondre aux demandes de droit d'accès", RGPD art. 15): record a
request, find the footage, produce the zone-blurred extract (EXP-5), answer or refuse within
one month of receipt (RGPD art. 12.3), every step journaled (JRN-1).

The store is an append-only, hash-chained, fsync'd, signed log (recorder.ledger, the same
writing discipline as the register) in `state_dir/access_requests`; a request's state is the
replay of its events. Transitions are checked and written under one flock, so the CLI and the
console never advance the same request twice.
"""

from __future__ import annotations

import calendar
import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from recorder import access, timeutil
from recorder.config import User
from recorder.ledger import Ledger
from recorder.registerview import read_entries
from recorder.state import State

RECEIVED, SEARCHED, EXTRACT, ANSWERED, REFUSED = (
    "received", "searched", "extract_produced", "answered", "refused")
STATES = (RECEIVED, SEARCHED, EXTRACT, ANSWERED, REFUSED)
LABELS = {RECEIVED: "reçue", SEARCHED: "images recherchées", EXTRACT: "extrait produit",
          ANSWERED: "répondue", REFUSED: "refusée"}
# received → searched → extract produced → answered; refused (with a reason) from any open
# state; a search may be run again; "answered" right after a search says no image was found.
TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({SEARCHED, REFUSED}),
    SEARCHED: frozenset({SEARCHED, EXTRACT, ANSWERED, REFUSED}),
    EXTRACT: frozenset({ANSWERED, REFUSED}),
    ANSWERED: frozenset(),
    REFUSED: frozenset(),
}
RULE = "RGPD art. 12.3"  # answer "dans les meilleurs délais et en tout état de cause dans un
# délai d'un mois à compter de la réception de la demande"
LOCAL_TZ = "Europe/Paris"  # the commune's calendar: "today" and the deadline are local dates
MAX_TEXT = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # newlines allowed in notes, nothing else


class RequestError(Exception):
    """A request or a step was refused; the message says why (rule id included)."""


def one_month_after(day: date) -> date:
    """The same day of the next month, or that month's last day when it has no such day
    (31 January → 28/29 February): how a time limit in months ends (règlement 1182/71)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today(now: float | None = None) -> date:
    """The commune's local date at `now` (default: the current time)."""
    t = timeutil.now() if now is None else now
    return datetime.fromtimestamp(t, ZoneInfo(LOCAL_TZ)).date()


@dataclass
class Step:
    """One event of a request's history."""

    state: str
    at: str
    user: str
    note: str = ""


@dataclass
class AccessRequest:
    """A right-of-access request, as replayed from its events."""

    id: str
    requester: str
    contact: str
    received: date
    cameras: list[str]
    start: float
    end: float
    identity_check: str
    recorded_by: str
    state: str = RECEIVED
    history: list[Step] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)
    export_dir: str = ""
    extract_dir: str = ""
    zones: list[str] = field(default_factory=list)
    answer_note: str = ""
    refusal_reason: str = ""
    closed_on: date | None = None
    extension_reason: str = ""

    @property
    def deadline(self) -> date:
        """RGPD art. 12.3: one month from receipt; two more once extended (with a reason
        told to the requester within the first month)."""
        end = one_month_after(self.received)
        if self.extension_reason:
            end = one_month_after(one_month_after(end))
        return end

    @property
    def open(self) -> bool:
        """True until answered or refused."""
        return self.state not in (ANSWERED, REFUSED)

    def days_left(self, on: date) -> int:
        """Days until the deadline (negative: overdue), counted on `on`."""
        return (self.deadline - on).days

    def overdue(self, on: date) -> bool:
        """Open past its deadline, or closed after it."""
        if self.open:
            return on > self.deadline
        return self.closed_on is not None and self.closed_on > self.deadline

    def allowed_next(self) -> frozenset[str]:
        """States this request may move to."""
        return TRANSITIONS[self.state]


def _text(value: object, what: str, required: bool = True, multiline: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RequestError(f"{what} : texte attendu")
    text = value.strip()
    if required and not text:
        raise RequestError(f"{what} : obligatoire")
    if len(text) > MAX_TEXT:
        raise RequestError(f"{what} : {MAX_TEXT} caractères au plus")
    if _CONTROL.search(text) or (not multiline and "\n" in text):
        raise RequestError(f"{what} : caractères de contrôle refusés")
    return text


def _person(user: User | None) -> User:
    """ACC-2: only the maire or an adjoint handles access requests (they see recordings)."""
    if user is None or user.role not in ("maire", "adjoint"):
        role = user.role if user else "aucun compte"
        raise RequestError(f"[ACC-2] {role!r} : seuls le maire et les adjoints traitent les "
                           "demandes de droit d'accès")
    return user


class Store:
    """The access-request log of one recorder."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.dir: Path = state.config.state_dir / "access_requests"
        self.ledger = Ledger(self.dir, "access_requests", state.key)

    @contextmanager
    def _transition(self) -> Iterator[None]:
        """One request step at a time across processes (check then append)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / ".transition.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- reading ------------------------------------------------------------------------------
    def all(self) -> list[AccessRequest]:
        """Every request, newest first."""
        requests: dict[str, AccessRequest] = {}
        for entry in read_entries(self.ledger):
            _apply(requests, entry)
        return sorted(requests.values(), key=lambda r: (r.received, r.id), reverse=True)

    def get(self, request_id: str) -> AccessRequest:
        """One request; RequestError if unknown."""
        for req in self.all():
            if req.id == request_id:
                return req
        raise RequestError(f"demande {request_id[:40]!r} inconnue")

    # -- steps --------------------------------------------------------------------------------
    def record(self, user: User | None, requester: str, received: date, cameras: list[str],
               start: float, end: float, identity_check: str, contact: str = "",
               now: float | None = None) -> AccessRequest:
        """Record a new request (state `received`); journaled."""
        person = _person(user)
        requester = _text(requester, "demandeur")
        contact = _text(contact, "contact", required=False)
        identity_check = _text(identity_check, "vérification d'identité", multiline=True)
        if received > today(now):
            raise RequestError("date de réception : dans le futur")
        if not cameras:
            raise RequestError("caméras : au moins une")
        for cam in cameras:
            try:
                self.state.config.camera(cam)
            except KeyError:
                raise RequestError(f"caméra {cam[:40]!r} inconnue") from None
            if not access.allowed(person, access.SEARCH, cam):
                raise RequestError(access.refusal(person, access.SEARCH, cam))
        if end <= start:
            raise RequestError("période : la fin doit suivre le début")
        with self._transition():
            rid = f"DA-{len(self.all()) + 1:04d}"  # numbered in order, under the step lock
            self.ledger.append("received", {
                "request": rid, "user": person.id, "requester": requester, "contact": contact,
                "received": received.isoformat(), "cameras": list(cameras),
                "from": timeutil.iso(start), "to": timeutil.iso(end),
                "identity_check": identity_check})
            self._journal(person, rid, RECEIVED, cameras, start, end)
        return self.get(rid)

    def search(self, user: User | None, request_id: str) -> AccessRequest:
        """Find the footage of the request's cameras and period in the index; journaled as a
        search (JRN-1)."""
        person = _person(user)
        with self._transition():
            req = self._check(request_id, SEARCHED)
            found: dict[str, Any] = {}
            for cam in req.cameras:
                segs = self.state.index.segments(cam, req.start, req.end)
                found[cam] = {"segments": len(segs),
                              "from": timeutil.iso(segs[0].start) if segs else None,
                              "to": timeutil.iso(segs[-1].end) if segs else None,
                              "oldest_purge": self._purge_date(segs[0].end) if segs else None}
            self.ledger.append("searched", {"user": person.id, "request": req.id,
                                            "found": found})
            self.state.journal.append("search", {
                "user": person.id, "cameras": req.cameras, "from": timeutil.iso(req.start),
                "to": timeutil.iso(req.end), "access_request": req.id,
                "results": sum(int(f["segments"]) for f in found.values())})
            self._journal(person, req.id, SEARCHED, req.cameras, req.start, req.end)
        return self.get(request_id)

    def produce_extract(self, user: User | None, request_id: str, zones: list[str],
                        now: float | None = None) -> AccessRequest:
        """Export the request's footage bit-exact (EXP-1/2) and blur the given zones into a
        marked derivative (EXP-5); both paths are kept on the request."""
        from recorder import export, redact

        person = _person(user)
        try:
            parsed = [redact.Zone.parse(z) for z in zones]
        except redact.RedactError as exc:
            raise RequestError(f"[EXP-5] {exc}") from None
        if not parsed:
            raise RequestError("[EXP-5] au moins une zone à flouter (X,Y,L,H en pixels)")
        with self._transition():
            req = self._check(request_id, EXTRACT)
            conf = self.state.config
            t = timeutil.now() if now is None else now
            stamp = timeutil.compact(t)
            end = min(req.end, t)  # a period reaching today: what is recorded so far
            base = conf.export_dir / f"{conf.site}-{req.id}-{stamp}"
            extract_dir = base.with_name(base.name + "-extrait")
            try:
                export.export(self.state, req.cameras, req.start, end, base, person,
                              via="access_request", wait=0,
                              reason=f"droit d'accès {req.id} (EXP-5)")
                redact.redact(self.state, base, parsed, extract_dir, person)
            except (export.ExportError, redact.RedactError) as exc:
                raise RequestError(str(exc)) from None
            self.ledger.append("extract_produced", {
                "user": person.id, "request": req.id, "export_dir": str(base.absolute()),
                "extract_dir": str(extract_dir.absolute()),
                "zones": [f"{z.x},{z.y},{z.w},{z.h}" for z in parsed]})
            self._journal(person, req.id, EXTRACT, req.cameras, req.start, req.end)
        return self.get(request_id)

    def answer(self, user: User | None, request_id: str, note: str,
               now: float | None = None) -> AccessRequest:
        """Close the request as answered (how the answer was given goes in the note)."""
        return self._close(user, request_id, ANSWERED, _text(note, "réponse", multiline=True),
                           now)

    def refuse(self, user: User | None, request_id: str, reason: str,
               now: float | None = None) -> AccessRequest:
        """Close the request as refused; the reason is required (RGPD art. 12.4)."""
        return self._close(user, request_id, REFUSED,
                           _text(reason, "motif du refus", multiline=True), now)

    def extend(self, user: User | None, request_id: str, reason: str,
               now: float | None = None) -> AccessRequest:
        """RGPD art. 12.3: extend the deadline by two months, once, before the first month
        ends, for the complexity or number of requests (the reason is told to the requester)."""
        person = _person(user)
        text = _text(reason, "motif de la prolongation", multiline=True)
        with self._transition():
            req = self.get(request_id)
            if not req.open:
                raise RequestError(f"demande {req.id} : close, rien à prolonger")
            if req.extension_reason:
                raise RequestError(f"demande {req.id} : déjà prolongée une fois ({RULE})")
            if today(now) > req.deadline:
                raise RequestError(f"demande {req.id} : le délai d'un mois est dépassé depuis "
                                   f"le {req.deadline}; la prolongation s'annonce avant ({RULE})")
            self.ledger.append("extended", {"user": person.id, "request": req.id, "note": text,
                                            "on": today(now).isoformat()})
            self._journal(person, req.id, "extended", req.cameras, req.start, req.end)
        return self.get(request_id)

    def _close(self, user: User | None, request_id: str, target: str, text: str,
               now: float | None) -> AccessRequest:
        person = _person(user)
        with self._transition():
            req = self._check(request_id, target)
            self.ledger.append(target, {"user": person.id, "request": req.id, "note": text,
                                        "on": today(now).isoformat()})
            self._journal(person, req.id, target, req.cameras, req.start, req.end)
        return self.get(request_id)

    # -- helpers ------------------------------------------------------------------------------
    def _check(self, request_id: str, target: str) -> AccessRequest:
        req = self.get(request_id)
        if target not in req.allowed_next():
            raise RequestError(f"demande {req.id} : {LABELS[req.state]} → {LABELS[target]} "
                               "n'est pas une étape possible")
        return req

    def _purge_date(self, end: float) -> str:
        """RET-1: when the purge destroys a segment ending at `end` (the answer must come
        first: only a judicial requisition's hold may keep video longer)."""
        return timeutil.iso(end + self.state.config.retention.days * 86400.0)

    def _journal(self, person: User, rid: str, step: str, cameras: list[str], start: float,
                 end: float) -> None:
        # JRN-1: who did which step on which cameras and period; the requester's identity
        # stays in the request store, not in the journal (data minimisation)
        self.state.journal.append("access_request", {
            "user": person.id, "request": rid, "step": step, "cameras": cameras,
            "from": timeutil.iso(start), "to": timeutil.iso(end)})


def _apply(requests: dict[str, AccessRequest], entry: dict[str, Any]) -> None:
    """Replay one event of the store."""
    kind, d = entry["kind"], entry["data"]
    if kind == RECEIVED:
        rid = str(d["request"])
        requests[rid] = AccessRequest(
            id=rid, requester=str(d["requester"]), contact=str(d.get("contact", "")),
            received=date.fromisoformat(d["received"]), cameras=list(d["cameras"]),
            start=timeutil.parse_iso(d["from"]), end=timeutil.parse_iso(d["to"]),
            identity_check=str(d["identity_check"]), recorded_by=str(d["user"]),
            history=[Step(RECEIVED, entry["ts"], str(d["user"]), str(d["identity_check"]))])
        return
    req = requests.get(str(d.get("request", "")))
    if req is not None and kind == "extended":
        req.extension_reason = str(d["note"])
        req.history.append(Step(req.state, entry["ts"], str(d["user"]),
                                f"délai prolongé de deux mois : {d['note']}"))
        return
    if req is None or kind not in STATES:
        return  # a torn-write marker or an unknown kind: nothing to replay
    req.state = kind
    note = ""
    if kind == SEARCHED:
        req.found = dict(d["found"])
        note = ", ".join(f"{c} : {f['segments']} segments" for c, f in req.found.items())
    elif kind == EXTRACT:
        req.export_dir, req.extract_dir = str(d["export_dir"]), str(d["extract_dir"])
        req.zones = list(d["zones"])
        note = req.extract_dir
    elif kind in (ANSWERED, REFUSED):
        note = str(d["note"])
        req.closed_on = date.fromisoformat(d["on"])
        if kind == ANSWERED:
            req.answer_note = note
        else:
            req.refusal_reason = note
    req.history.append(Step(kind, entry["ts"], str(d["user"]), note))


def parse_date(text: str, what: str) -> date:
    """A YYYY-MM-DD date from a form or the CLI."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RequestError(f"{what} : date attendue AAAA-MM-JJ, reçu {text[:40]!r}") from None


def local_midnight(day: date) -> float:
    """UTC timestamp of the commune's local midnight starting `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(LOCAL_TZ)).timestamp()


def next_midnight(day: date) -> float:
    """UTC timestamp of the local midnight ending `day`."""
    return local_midnight(day + timedelta(days=1))
