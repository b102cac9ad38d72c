"""The legal floors and ceilings of compliance.md, written once.

The recorder is the base install, so it owns these numbers and `beffroi` (the control plane),
`network` (device drivers) and `recorder` all import them from here. Standard library only:
plain constants and small pure functions, each tagged with the rule id it serves.
"""

from __future__ import annotations

from collections.abc import Iterable

# CAM-1 (arrêté du 3 août 2007 art. 2): a narrow-field camera records ≥ 704×576 (4CIF).
NARROW_MIN: tuple[int, int] = (704, 576)
# CAM-2 (same article): every other recorded stream ≥ 352×288 (CIF).
OTHER_MIN: tuple[int, int] = (352, 288)
# CAM-3 (art. 2, annexe 1 §3): narrow-field ≥ 12 fps, every other stream ≥ 6 fps.
NARROW_MIN_FPS = 12
OTHER_MIN_FPS = 6
NARROW_ROLE = "narrow"  # the only role with the higher floors; every other role is "other"

# RET-1 (CSI L252-5, "ne peut excéder un mois"): recordings kept 1..30 days.
RETENTION_MIN_DAYS = 1
RETENTION_MAX_DAYS = 30
# ACC-3 (CSI L252-3): outside recipients keep images no longer than one month either.
RECIPIENT_MAX_DAYS = 30

# JRN-2 (CNIL délib. 2021-122): the access journal is kept 6–12 months, 365 days by default;
# 366 is accepted so twelve months spanning a 29 February still fit.
JOURNAL_MIN_DAYS = 180
JOURNAL_MAX_DAYS = 366
JOURNAL_DEFAULT_DAYS = 365

# TIME-1 (arrêté annexe 1 §3; policy): alarm when |offset| > 1 s, against ≥ 2 NTP sources.
TIME_MAX_OFFSET_SECONDS = 1.0
TIME_MAX_OFFSET_MS = 1000
TIME_MIN_SOURCES = 2

# ACC-5 (CNIL formal notice 2021; policy): personal passwords of ≥ 12 characters.
PASSWORD_MIN_LENGTH = 12

# CAM-9 (arrêté annexe 1 §3): storage ≥ Σ bitrate × 86400 × retention_days × 1.2.
SECONDS_PER_DAY = 86400
STORAGE_MARGIN = 1.2


def stream_floor(role: str) -> tuple[int, int, int]:
    """CAM-1..3: the (width, height, fps) a camera of `role` must record at least."""
    if role == NARROW_ROLE:
        return (*NARROW_MIN, NARROW_MIN_FPS)
    return (*OTHER_MIN, OTHER_MIN_FPS)


def size_rule(role: str) -> str:
    """The rule id of a role's resolution floor: CAM-1 for narrow-field, CAM-2 otherwise."""
    return "CAM-1" if role == NARROW_ROLE else "CAM-2"


def storage_needed_gb(bitrates_kbps: Iterable[int], retention_days: int) -> float:
    """CAM-9: Σ bitrate × 86400 × retention × 1.2, in GB (10^9 bytes)."""
    # Integer arithmetic first: an absurd value (10**400 kbps) must not overflow a float.
    bits_per_day = sum(bitrates_kbps) * 1000 * SECONDS_PER_DAY
    total_bytes = bits_per_day * retention_days // 8
    return total_bytes / 1e9 * STORAGE_MARGIN if total_bytes < 10**300 else float("inf")
