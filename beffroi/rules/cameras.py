"""CAM-1..3 and CAM-5..9: recorded image quality, privacy, sound, lighting, bandwidth, storage."""

from __future__ import annotations

from collections.abc import Iterator

from beffroi.findings import Finding, Severity
from beffroi.rules.registry import SiteCheck, site_rule
from recorder.legal import NARROW_MIN, NARROW_MIN_FPS, OTHER_MIN, OTHER_MIN_FPS, storage_needed_gb

LINK_MARGIN = 0.70     # CAM-8 policy margin


@site_rule("CAM-1")
def narrow_resolution(c: SiteCheck) -> Iterator[Finding]:
    """Narrow-field recorded stream ≥ NARROW_MIN (recorder/legal.py)."""
    for i, cam in enumerate(c.site.cameras):
        r = cam.recording
        if cam.role == "narrow" and (r.width < NARROW_MIN[0] or r.height < NARROW_MIN[1]):
            short = "width" if r.width < NARROW_MIN[0] else "height"
            yield c.finding("CAM-1", ("cameras", i, "recording", short),
                            f"narrow camera {cam.name} records {r.width}×{r.height}",
                            f"record at least {NARROW_MIN[0]}×{NARROW_MIN[1]} (4CIF) on the "
                            "narrow-field camera")


@site_rule("CAM-2")
def other_resolution(c: SiteCheck) -> Iterator[Finding]:
    """Every other recorded stream ≥ OTHER_MIN (recorder/legal.py)."""
    for i, cam in enumerate(c.site.cameras):
        r = cam.recording
        if cam.role != "narrow" and (r.width < OTHER_MIN[0] or r.height < OTHER_MIN[1]):
            short = "width" if r.width < OTHER_MIN[0] else "height"
            yield c.finding("CAM-2", ("cameras", i, "recording", short),
                            f"camera {cam.name} records {r.width}×{r.height}",
                            f"record at least {OTHER_MIN[0]}×{OTHER_MIN[1]} (CIF)")


@site_rule("CAM-3")
def frame_rate(c: SiteCheck) -> Iterator[Finding]:
    """Narrow ≥ 12 fps, others ≥ 6 fps, never above the real capture rate."""
    for i, cam in enumerate(c.site.cameras):
        fps = cam.recording.fps
        minimum = NARROW_MIN_FPS if cam.role == "narrow" else OTHER_MIN_FPS
        if fps < minimum:
            yield c.finding("CAM-3", ("cameras", i, "recording", "fps"),
                            f"{cam.role} camera {cam.name} records {fps} fps",
                            f"record ≥ {minimum} fps")
        if cam.capture_fps < fps:
            yield c.finding("CAM-3", ("cameras", i, "capture_fps"),
                            f"camera {cam.name} records {fps} fps from a {cam.capture_fps} fps "
                            "sensor: frames would be duplicated",
                            "recorded fps must not exceed the real capture rate")


@site_rule("CAM-5")
def privacy_masks_cover_private_zones(c: SiteCheck) -> Iterator[Finding]:
    """Every declared private zone lies inside one privacy mask of the same camera."""
    for i, cam in enumerate(c.site.cameras):
        for j, zone in enumerate(cam.private_zones):
            if not any(m.area.contains(zone.area) for m in cam.privacy_masks):
                yield c.finding("CAM-5", ("cameras", i, "private_zones", j),
                                f"private zone '{zone.id}' ({zone.description}) of {cam.name} "
                                "is not covered by any privacy mask",
                                "add a privacy mask whose area contains the zone")


@site_rule("CAM-6")
def no_sound(c: SiteCheck) -> Iterator[Finding]:
    """No audio. Analytics are an allowlist of the model (`site.Analytic`): any other spelling
    is refused under CAM-6 when the file is read (see `schema_errors.LEGAL_FIELDS`)."""
    for i, cam in enumerate(c.site.cameras):
        if cam.audio:
            yield c.finding("CAM-6", ("cameras", i, "audio"), f"camera {cam.name} records sound",
                            "set audio: false (the recorder drops audio anyway)")


@site_rule("CAM-7")
def lighting(c: SiteCheck) -> Iterator[Finding]:
    """Night mode or declared site lighting."""
    for i, cam in enumerate(c.site.cameras):
        if cam.night_mode == "none" and cam.placement == "outdoor":
            yield c.finding("CAM-7", ("cameras", i, "night_mode"),
                            f"outdoor camera {cam.name} has no night mode nor site lighting",
                            "set night_mode: ir, low_light or site_lighting")


@site_rule("CAM-8")
def bandwidth(c: SiteCheck) -> Iterator[Finding]:
    """Σ recorded bitrates ≤ 70 % of the mast link (policy); over 100 % is an error."""
    total = sum(cam.recording.bitrate_kbps for cam in c.site.cameras)
    capacity = c.site.network.link.capacity_mbps * 1000
    path = ("network", "link", "capacity_mbps")
    if total > capacity:
        yield c.finding("CAM-8", path, f"streams need {total} kbit/s on a {capacity} kbit/s link",
                        "lower the bitrates or upgrade the link")
    elif total > LINK_MARGIN * min(capacity, 10**300):  # no float overflow on absurd links
        yield c.finding("CAM-8", path, f"streams use {total / capacity:.0%} of the link "
                        "(policy margin 70 %)", "lower the bitrates or upgrade the link",
                        Severity.WARNING)


@site_rule("CAM-9")
def storage_for_retention(c: SiteCheck) -> Iterator[Finding]:
    """Storage ≥ the declared retention's need (`storage_needed_gb`, recorder/legal.py)."""
    days = c.site.authorization.retention_days
    if days <= 0:
        return
    need = storage_needed_gb([cam.recording.bitrate_kbps for cam in c.site.cameras], days)
    have = c.site.nvr.storage.capacity_gb
    if need > have:
        yield c.finding("CAM-9", ("nvr", "storage", "capacity_gb"),
                        f"{days} days of recording need {need:.0f} GB, storage holds {have} GB",
                        f"provide ≥ {need:.0f} GB or lower bitrates; otherwise real retention "
                        "falls below the declared one")
