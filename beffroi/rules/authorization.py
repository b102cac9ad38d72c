"""AUTH-1..5 and REG-2: the prefectoral authorization and the purposes it allows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from beffroi.findings import Finding, Severity
from beffroi.rules.registry import SiteCheck, site_rule

AUTH_MAX_YEARS = 5
RENEWAL_NOTICE_DAYS = 120
# L251-2 items whose processing is crime prevention (police-justice directive) vs safety (GDPR).
CRIME_PREVENTION_PURPOSES = frozenset({1, 2, 4, 5, 6, 9, 10, 11})
SAFETY_PURPOSES = frozenset({3, 7, 8})  # traffic flows, risks, rescue
EXPECTED_REGIME = {**{c: "directive_2016_680" for c in CRIME_PREVENTION_PURPOSES},
                   **{c: "rgpd" for c in SAFETY_PURPOSES}}


def _years_after(day: date, years: int) -> date:
    """`day` plus whole years (29 February → 28 February; capped at date.max, not a crash)."""
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@site_rule("AUTH-1")
def authorization_exists(c: SiteCheck) -> Iterator[Finding]:
    """A prefectoral arrêté (reference and date) must exist before recording.

    A site still waiting for its arrêté is valid to prepare (its préfecture dossier is built from
    it): that is a warning here, and converge refuses to enable recording until it is set.
    """
    auth = c.site.authorization
    if not auth.arrete_ref.strip():
        if auth.issued is None:
            yield c.finding("AUTH-1", ("authorization", "arrete_ref"),
                            "authorization pending: recording and streaming stay off until the "
                            "arrêté is signed", "file the préfecture request (`beffroi dossier "
                            "prefecture`), then set arrete_ref, issued and expires",
                            Severity.WARNING)
        else:
            yield c.finding("AUTH-1", ("authorization", "arrete_ref"),
                            "issue date set but no arrêté reference",
                            "copy the arrêté's reference into arrete_ref")
    elif auth.issued is None:
        yield c.finding("AUTH-1", ("authorization", "issued"),
                        "authorization issue date missing", "set authorization.issued")
    elif auth.issued > c.today:
        yield c.finding("AUTH-1", ("authorization", "issued"),
                        f"authorization not in force before {auth.issued}: converge will not "
                        "enable recording until then", "wait, or correct the date",
                        Severity.WARNING)


@site_rule("AUTH-2")
def authorization_valid(c: SiteCheck) -> Iterator[Finding]:
    """Five years at most; expired is an error; renewal due in < 120 days is a warning."""
    auth = c.site.authorization
    if auth.expires is None and not auth.arrete_ref.strip():
        return  # pending authorization: AUTH-1 already says so
    if auth.expires is None:
        yield c.finding("AUTH-2", ("authorization", "expires"), "expiry date missing",
                        "set authorization.expires (issue date + 5 years at most)")
        return
    if auth.issued is not None:
        limit = _years_after(auth.issued, AUTH_MAX_YEARS)
        if auth.expires > limit:
            yield c.finding("AUTH-2", ("authorization", "expires"),
                            f"authorization runs past 5 years ({auth.issued} → {auth.expires})",
                            f"an authorization lasts 5 years at most: expires ≤ {limit}")
        if auth.expires < auth.issued:
            yield c.finding("AUTH-2", ("authorization", "expires"),
                            "expiry date before issue date", "swap or correct the dates")
    if auth.expires < c.today:
        yield c.finding("AUTH-2", ("authorization", "expires"),
                        f"authorization expired on {auth.expires}",
                        "file a renewal (request_type: renewal) with the préfecture")
    elif (auth.expires - c.today).days < RENEWAL_NOTICE_DAYS:
        yield c.finding("AUTH-2", ("authorization", "expires"),
                        f"authorization expires in {(auth.expires - c.today).days} days "
                        "(policy: renew ≥ 120 days ahead)",
                        "préfectures ask for the renewal ≥ 4 months ahead", Severity.WARNING)


@site_rule("AUTH-3")
def purposes_from_closed_list(c: SiteCheck) -> Iterator[Finding]:
    """Purposes come from L251-2 (1°..11°, enforced by the model); each camera has ≥ 1."""
    auth = c.site.authorization
    if not auth.purposes:
        yield c.finding("AUTH-3", ("authorization", "purposes"), "no purpose declared",
                        "list the L251-2 items the arrêté authorises")
    declared = {p.code for p in auth.purposes}
    seen: set[int] = set()
    for i, p in enumerate(auth.purposes):
        if p.code in seen:
            yield c.finding("AUTH-3", ("authorization", "purposes", i, "code"),
                            f"purpose {p.code}° declared twice", "keep one entry")
        seen.add(p.code)
    for i, cam in enumerate(c.site.cameras):
        if not cam.purposes:
            yield c.finding("AUTH-3", ("cameras", i, "purposes"),
                            f"camera {cam.name} has no purpose",
                            "give it ≥ 1 purpose code of authorization.purposes")
        for j, code in enumerate(cam.purposes):
            if code not in declared:
                yield c.finding("AUTH-3", ("cameras", i, "purposes", j),
                                f"camera {cam.name} uses purpose {code}° that the authorization "
                                "does not list", f"use one of {sorted(declared)}")


@site_rule("AUTH-4")
def public_highway_by_public_authority(c: SiteCheck) -> Iterator[Finding]:
    """Only a public authority may film the public highway."""
    if c.site.controller.kind == "private":
        for i, cam in enumerate(c.site.cameras):
            if cam.public_highway:
                yield c.finding("AUTH-4", ("cameras", i, "public_highway"),
                                f"camera {cam.name} films the public highway but the controller "
                                "is private", "the controller must be the commune (or its EPCI)")


@site_rule("AUTH-5")
def purpose_regime(c: SiteCheck) -> Iterator[Finding]:
    """Each purpose states its regime, consistent with what the purpose is."""
    for i, p in enumerate(c.site.authorization.purposes):
        expected = EXPECTED_REGIME.get(p.code)
        if p.regime is None:
            yield c.finding("AUTH-5", ("authorization", "purposes", i, "regime"),
                            f"purpose {p.code}° has no data-protection regime",
                            f"set regime: {expected}")
        elif expected and p.regime != expected:
            yield c.finding("AUTH-5", ("authorization", "purposes", i, "regime"),
                            f"purpose {p.code}° falls under {expected}, not {p.regime}",
                            f"set regime: {expected}")


@site_rule("REG-2")
def commissioning_notice(c: SiteCheck) -> Iterator[Finding]:
    """The préfet is told the go-live date before the first recording."""
    auth = c.site.authorization
    if auth.commissioning_notice_sent is None:
        yield c.finding("REG-2", ("authorization", "commissioning_notice_sent"),
                        "go-live notice to the préfet not recorded: recording stays off until "
                        "it is sent", "send the notice and set commissioning_notice_sent",
                        Severity.WARNING)
    elif auth.issued and auth.commissioning_notice_sent < auth.issued:
        yield c.finding("REG-2", ("authorization", "commissioning_notice_sent"),
                        "go-live notice dated before the authorization was issued",
                        "correct the date")
