"""RET-1: retention of recordings, bounded by the law and by the arrêté."""

from __future__ import annotations

from collections.abc import Iterator

from beffroi.findings import Finding
from beffroi.rules.registry import SiteCheck, site_rule
from recorder.legal import RETENTION_MAX_DAYS as LEGAL_MAX_DAYS


@site_rule("RET-1")
def retention_within_bounds(c: SiteCheck) -> Iterator[Finding]:
    """0 < retention_days ≤ min(legal maximum, authorization max), ≥ authorization min."""
    auth = c.site.authorization
    days = auth.retention_days
    ceiling = min(LEGAL_MAX_DAYS, auth.max_retention_days or LEGAL_MAX_DAYS)
    path = ("authorization", "retention_days")
    if days <= 0:
        yield c.finding("RET-1", path, f"retention_days is {days}: recordings must be kept "
                        "for a positive number of days", f"choose 1..{ceiling}")
    elif days > ceiling:
        why = ("the law caps retention at one month" if ceiling == LEGAL_MAX_DAYS
               else f"the arrêté allows at most {ceiling} days")
        yield c.finding("RET-1", path, f"retention_days is {days}: {why}",
                        f"set retention_days ≤ {ceiling}; only a legal hold tied to a judicial "
                        "requisition may keep a recording longer")
    if auth.min_retention_days is not None and 0 < days < auth.min_retention_days:
        yield c.finding("RET-1", path, f"retention_days {days} below the arrêté's minimum "
                        f"{auth.min_retention_days}", f"set ≥ {auth.min_retention_days}")
