"""ACC-1..5: who may see what — named persons, commune side, outside recipients."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from beffroi.findings import Finding, Severity
from beffroi.model import Habilitation, Recipient
from beffroi.rules.registry import SiteCheck, site_rule
from recorder.legal import RECIPIENT_MAX_DAYS

# Ids that name a function, not a person (ACC-1: no shared/generic accounts).
GENERIC_IDS = frozenset({"admin", "administrateur", "root", "operator", "operateur", "user",
                         "guest", "invite", "mairie", "maire", "adjoint", "sdis", "police",
                         "gendarmerie", "pm", "video", "cdc", "viewer", "test", "demo"})
LAWFUL_RECIPIENTS = frozenset({"sdis", "police_nationale", "gendarmerie", "douanes",
                               "police_municipale"})
COMMUNE_RIGHTS = {"live", "playback", "export"}


def person_key(text: str) -> str:
    """A person's name as a comparison key: accents, case, hyphens and spacing do not count."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                    if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[-‐‑‒–—'’.]", " ", plain).casefold().split())


def _same_person(a: Habilitation, b: Habilitation) -> bool:
    """Same name, and no contact tells them apart (equal e-mails, or one has none)."""
    if person_key(a.name) != person_key(b.name):
        return False
    mail_a, mail_b = a.email.strip().casefold(), b.email.strip().casefold()
    return not mail_a or not mail_b or mail_a == mail_b


@site_rule("ACC-1")
def individual_accounts(c: SiteCheck) -> Iterator[Finding]:
    """One account per named person; no generic ids; ids unique."""
    seen: dict[str, int] = {}
    habs = c.site.habilitations
    for i, h in enumerate(habs):
        twin = next((j for j in range(i) if _same_person(habs[j], h)), None)
        if twin is not None and habs[twin].id != h.id:
            yield c.finding("ACC-1", ("habilitations", i, "name"),
                            f"{h.name} already holds account '{habs[twin].id}' "
                            f"(habilitations[{twin}]): one account per person",
                            "give the person one account with all their rights; two people "
                            "of the same name each need their own e-mail")
        if h.id in seen:
            yield c.finding("ACC-1", ("habilitations", i, "id"),
                            f"account '{h.id}' declared twice (also habilitations[{seen[h.id]}])",
                            "one account per person: give each person their own id")
        seen.setdefault(h.id, i)
        if h.id.split(".")[0] in GENERIC_IDS or h.id in GENERIC_IDS:
            yield c.finding("ACC-1", ("habilitations", i, "id"),
                            f"'{h.id}' is a generic account, not a person",
                            "use the person's own id, e.g. initial + surname (jdupont)")
        if len(h.name.split()) < 2:
            yield c.finding("ACC-1", ("habilitations", i, "name"),
                            f"'{h.name}' does not name a person (first name and surname)",
                            "write the habilitated person's full name")
    if not any(h.role == "maire" for h in c.site.habilitations):
        yield c.finding("ACC-1", ("habilitations",), "no habilitation for the maire",
                        "the maire is responsible for the recordings: declare them")


@site_rule("ACC-2")
def commune_side(c: SiteCheck) -> Iterator[Finding]:
    """Playback/export only for the maire and adjoints with delegated police powers."""
    for i, h in enumerate(c.site.habilitations):
        if h.role == "adjoint" and not h.delegation.strip():
            yield c.finding("ACC-2", ("habilitations", i, "delegation"),
                            f"adjoint {h.name} has no delegation of police powers",
                            "reference the arrêté de délégation, or remove the habilitation")
        if h.role in ("live", "admin"):
            extra = set(h.rights) - ({"live"} if h.role == "live" else set())
            if extra:
                yield c.finding("ACC-2" if h.role == "admin" else "ACC-4",
                                ("habilitations", i, "rights"),
                                f"{h.role} account {h.id} cannot hold {sorted(extra)}",
                                "only the maire and delegated adjoints play back or export"
                                if h.role == "live" else "admins configure; they see no video")
        if h.role in ("maire", "adjoint") and not set(h.rights) <= COMMUNE_RIGHTS:
            yield c.finding("ACC-2", ("habilitations", i, "rights"), "unknown right",
                            f"rights are among {sorted(COMMUNE_RIGHTS)}")


def _legal_basis(c: SiteCheck, i: int, r: Recipient) -> Iterator[Finding]:
    """A recipient outside L252-3: a cited text, acknowledged by a person, and still a warning."""
    where = ("authorization", "recipients", i)
    basis = r.legal_basis
    if basis is None:
        yield c.finding("ACC-3", (*where, "kind"),
                        f"{r.service} is not a service L252-3 allows to receive images",
                        "only police nationale, gendarmerie, douanes, SDIS, police "
                        "municipale; otherwise cite the text in legal_basis {text, article}")
    elif basis.acknowledged_by is None or basis.acknowledged_on is None:
        yield c.finding("ACC-3", (*where, "legal_basis"),
                        f"{r.service} relies on {basis.cite()}, which nobody has "
                        "acknowledged", "have the DPO or legal officer check the text and "
                        "set legal_basis.acknowledged_by and acknowledged_on")
    elif basis.acknowledged_on > c.today:
        yield c.finding("ACC-3", (*where, "legal_basis", "acknowledged_on"),
                        f"legal basis of {r.service} acknowledged in the future "
                        f"({basis.acknowledged_on})", "correct the date")
    else:  # never a silent pass: the arrêté must name this service too
        yield c.finding("ACC-3", (*where, "legal_basis"),
                        f"{r.service} is outside the L252-3 list; it relies on "
                        f"{basis.cite()} (acknowledged by {basis.acknowledged_by} on "
                        f"{basis.acknowledged_on})",
                        "check that the prefectoral arrêté names this recipient",
                        Severity.WARNING)


@site_rule("ACC-3")
def lawful_recipients(c: SiteCheck) -> Iterator[Finding]:
    """Outside recipients: listed lawful services; live accounts belong to one of them."""
    auth = c.site.authorization
    services = {r.service for r in auth.recipients}
    for i, r in enumerate(auth.recipients):
        if r.kind not in LAWFUL_RECIPIENTS:
            yield from _legal_basis(c, i, r)
        if r.retention_days > RECIPIENT_MAX_DAYS:
            yield c.finding("ACC-3", ("authorization", "recipients", i, "retention_days"),
                            f"{r.service} would keep images {r.retention_days} days",
                            f"recipients keep images ≤ {RECIPIENT_MAX_DAYS} days")
    for i, h in enumerate(c.site.habilitations):
        if h.role == "live" and h.service not in services:
            yield c.finding("ACC-3", ("habilitations", i, "service"),
                            f"live account {h.id} belongs to '{h.service}', which the "
                            "authorization does not list as a recipient",
                            f"use one of {sorted(services) or 'the recipients (none declared)'}")


@site_rule("ACC-4")
def crisis_cell_live_only(c: SiteCheck) -> Iterator[Finding]:
    """Recipients outside the commune see live streams only."""
    for i, r in enumerate(c.site.authorization.recipients):
        if not r.live_only:
            yield c.finding("ACC-4", ("authorization", "recipients", i, "live_only"),
                            f"{r.service} would reach recordings; the crisis cell is live only",
                            "set live_only: true — recordings stay under the maire's "
                            "responsibility (requisitions go through an export)")


@site_rule("ACC-5")
def named_contacts(c: SiteCheck) -> Iterator[Finding]:
    """Accounts reachable for password resets and audits (policy)."""
    for i, h in enumerate(c.site.habilitations):
        if h.role in ("maire", "adjoint") and not h.email:
            yield c.finding("ACC-5", ("habilitations", i, "email"),
                            f"{h.name} has no contact e-mail for account notices (policy)",
                            "add an e-mail", Severity.WARNING)
