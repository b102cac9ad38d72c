"""ACC-1..5: who may see what — named persons, commune side, outside recipients."""

from __future__ import annotations

from collections.abc import Iterator

from beffroi.findings import Finding, Severity
from beffroi.rules.registry import SiteCheck, site_rule
from recorder.legal import RECIPIENT_MAX_DAYS

# Ids that name a function, not a person (ACC-1: no shared/generic accounts).
GENERIC_IDS = frozenset({"admin", "administrateur", "root", "operator", "operateur", "user",
                         "guest", "invite", "mairie", "maire", "adjoint", "sdis", "police",
                         "gendarmerie", "pm", "video", "cdc", "viewer", "test", "demo"})
LAWFUL_RECIPIENTS = frozenset({"sdis", "police_nationale", "gendarmerie", "douanes",
                               "police_municipale"})
COMMUNE_RIGHTS = {"live", "playback", "export"}


@site_rule("ACC-1")
def individual_accounts(c: SiteCheck) -> Iterator[Finding]:
    """One account per named person; no generic ids; ids unique."""
    seen: dict[str, int] = {}
    for i, h in enumerate(c.site.habilitations):
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


@site_rule("ACC-3")
def lawful_recipients(c: SiteCheck) -> Iterator[Finding]:
    """Outside recipients: listed lawful services; live accounts belong to one of them."""
    auth = c.site.authorization
    services = {r.service for r in auth.recipients}
    for i, r in enumerate(auth.recipients):
        if r.kind not in LAWFUL_RECIPIENTS and not r.legal_basis.strip():
            yield c.finding("ACC-3", ("authorization", "recipients", i, "kind"),
                            f"{r.service} is not a service L252-3 allows to receive images",
                            "only police nationale, gendarmerie, douanes, SDIS, police "
                            "municipale; otherwise document a legal_basis")
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
