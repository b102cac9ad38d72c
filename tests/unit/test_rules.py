"""Every registered rule, one failing and one passing case at least, on the Moselle inventory.

Each case is one or two field edits of a fresh copy of `inventories/moselle` (valid as shipped).
A violation must produce a finding of the rule, with its severity, citing its source, in the
right file, naming the field, at the line where that field is written (read back with ruamel,
not with Beffroi's own line table). A compliant variant must leave the rule silent — boundary
values are chosen on purpose (30 days, 704×576, 12 fps, 70 % of the link…).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from validation.inventory_kit import DELETE, Edit, FieldPath, InventoryCopy

from beffroi.findings import Finding, Severity
from beffroi.inventory import load_inventory
from beffroi.rules import INVENTORY_RULES, SITE_RULES
from beffroi.validate import check_inventory

EV, RO, HG = "sites/evrange.yml", "sites/roussy-le-village.yml", "sites/hettange-grande.yml"
DEPT, CELL = "department.yml", "crisis-cell.yml"
ERROR, WARNING = Severity.ERROR, Severity.WARNING

# What compliance.md says each rule cites (a fragment of the citation the finding must carry).
CITES = {
    "AUTH-1": "CSI L252-1", "AUTH-2": "CSI L252-4", "AUTH-3": "CSI L251-2",
    "AUTH-4": "CSI R251-1", "AUTH-5": "CNIL", "RET-1": "CSI L252-5", "REG-2": "R252-11",
    "ACC-1": "L252-2", "ACC-2": "R253-3", "ACC-3": "CSI L252-3", "ACC-4": "L252-3",
    "ACC-5": "CNIL", "CAM-1": "3 août 2007", "CAM-2": "3 août 2007", "CAM-3": "3 août 2007",
    "CAM-5": "CSI L251-3", "CAM-6": "CNIL", "CAM-7": "3 août 2007", "CAM-8": "3 août 2007",
    "CAM-9": "3 août 2007", "NET-2": "ANSSI", "NET-4": "ANSSI", "TIME-1": "IEC 62676",
}


@dataclass(frozen=True)
class Violation:
    """Edits that break `rule`; the finding must name `path` in `file`."""

    rule: str
    edits: tuple[Edit, ...]
    path: FieldPath
    severity: Severity = ERROR
    file: str = EV
    line_at: FieldPath | None = None  # where the line points when `path` is not in the file
    message: str = ""


@dataclass(frozen=True)
class Compliant:
    """Edits that keep `file` within `rule` (often exactly at the limit)."""

    rule: str
    edits: tuple[Edit, ...] = ()
    file: str = EV


def v(id_: str, rule: str, edits: Edit | tuple[Edit, ...], path: FieldPath,
      **kw: object) -> object:
    return pytest.param(Violation(rule, edits if isinstance(edits, tuple) else (edits,),
                                  path, **kw), id=id_)  # type: ignore[arg-type]


def ok(id_: str, rule: str, *edits: Edit, file: str = EV) -> object:
    return pytest.param(Compliant(rule, edits, file), id=id_)


def auth(key: str, value: object = DELETE) -> Edit:
    return Edit(EV, ("authorization", key), value)


def cam(i: int, *rest: str | int, value: object = DELETE) -> Edit:
    return Edit(EV, ("cameras", i, *rest), value)


def hab(i: int, key: str, value: object = DELETE) -> Edit:
    return Edit(EV, ("habilitations", i, key), value)


# CAM-9 by compliance.md's formula: Σ bitrate × 86400 × retention × 1.2 (Évrange: 4096 + 2048
# kbit/s, 15 days) — computed here, not taken from Beffroi.
EVRANGE_NEED_GB = (4096 + 2048) * 1000 / 8 * 86400 * 15 * 1.2 / 1e9
WIRELESS = {"kind": "wireless", "capacity_mbps": 1000}

# --- issue 9: the law cannot be bypassed by spelling; engineering rules that guard isolation ---
def rcp(i: int, key: str, value: object = DELETE) -> Edit:
    return Edit(EV, ("authorization", "recipients", i, key), value)


def dflt(key: str, value: object) -> Edit:
    return Edit(DEPT, ("defaults", key), value)


OTHER = rcp(0, "kind", "other")
CSI_BASIS = {"text": "code_securite_interieure", "article": "L252-3"}
ACKED = {**CSI_BASIS, "acknowledged_by": "Anne Dupré (DPO)", "acknowledged_on": date(2026, 6, 1)}
PEM = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"
       "\n-----END OPENSSH PRIVATE KEY-----\n")
ADMIN_KEY = ("defaults", "admins", 0, "ssh_public_keys", 0)
# Spellings an audit used to slip biometric / behavioural analytics past an exact denylist.
FORBIDDEN_SPELLINGS = ["facial_recognition", "reconnaissance_faciale", "FACE-RECOGNITION", "LAPI",
                       "license_plate_recognition", "behaviour_analysis", "loitering_detection",
                       "emotion_detection", "crowd_counting", "gunshot_audio_detection",
                       "Scene_Change", "scene_change "]
ISSUE9_VIOLATIONS = [
    *(v(f"cam6_rejects_analytics_spelled_{i}", "CAM-6", cam(1, "analytics", value=[name]),
        ("cameras", 1, "analytics", 0), message="biometric")
      for i, name in enumerate(FORBIDDEN_SPELLINGS)),
    v("cam6_rejects_analytics_given_as_one_text", "CAM-6",
      cam(0, "analytics", value="face_recognition"), ("cameras", 0, "analytics")),
    v("cam6_rejects_audio_given_as_text", "CAM-6", cam(0, "audio", value="oui"),
      ("cameras", 0, "audio")),
    v("acc3_rejects_free_text_legal_basis", "ACC-3",
      (OTHER, rcp(0, "legal_basis", "Conseil départemental")),
      ("authorization", "recipients", 0, "legal_basis")),
    v("acc3_rejects_legal_basis_of_a_private_company", "ACC-3",
      (OTHER, rcp(0, "legal_basis", {"text": "société privée", "article": "1"})),
      ("authorization", "recipients", 0, "legal_basis", "text")),
    v("acc3_rejects_legal_basis_without_article", "ACC-3",
      (OTHER, rcp(0, "legal_basis", {"text": "code_securite_interieure"})),
      ("authorization", "recipients", 0, "legal_basis", "article"),
      line_at=("authorization", "recipients", 0, "legal_basis")),
    v("acc3_rejects_decret_cited_without_its_number", "ACC-3",
      (OTHER, rcp(0, "legal_basis", {"text": "decret", "article": "3"})),
      ("authorization", "recipients", 0, "legal_basis")),
    v("acc3_rejects_legal_basis_nobody_acknowledged", "ACC-3",
      (OTHER, rcp(0, "legal_basis", CSI_BASIS)),
      ("authorization", "recipients", 0, "legal_basis"), message="acknowledged"),
    v("acc3_rejects_legal_basis_acknowledged_in_the_future", "ACC-3",
      (OTHER, rcp(0, "legal_basis", {**ACKED, "acknowledged_on": date(2026, 12, 1)})),
      ("authorization", "recipients", 0, "legal_basis", "acknowledged_on")),
    v("acc3_warns_acknowledged_legal_basis_outside_the_list", "ACC-3",
      (OTHER, rcp(0, "legal_basis", ACKED)), ("authorization", "recipients", 0, "legal_basis"),
      severity=WARNING, message="Anne Dupré"),
    v("acc3_rejects_recipient_missing_kind", "ACC-3", rcp(0, "kind"),
      ("authorization", "recipients", 0, "kind"), line_at=("authorization", "recipients", 0)),
    v("auth3_rejects_purpose_given_as_text", "AUTH-3",
      Edit(EV, ("authorization", "purposes", 0), "prévention des atteintes"),
      ("authorization", "purposes", 0)),
    v("auth3_rejects_purposes_given_as_one_text", "AUTH-3", auth("purposes", "1, 5"),
      ("authorization", "purposes")),
    v("acc1_rejects_one_person_with_two_accounts_whatever_the_case", "ACC-1",
      (hab(1, "name", "thierry  MICHEL"), hab(1, "email", " Maire@Evrange.example.fr")),
      ("habilitations", 1, "name"), message="tmichel"),
    v("acc1_rejects_one_person_with_two_accounts_without_accents", "ACC-1",
      hab(3, "name", "Jerome Thiel"), ("habilitations", 3, "name"), message="jthiel"),
    v("eng_overlap_rejects_camera_and_management_subnets_of_one_site", "ENG-OVERLAP",
      Edit(EV, ("network", "management_vlan", "subnet"), "10.57.0.64/26"),
      ("network", "management_vlan", "subnet")),
    v("eng_admin_net_rejects_the_whole_internet", "ENG-ADMIN-NET",
      dflt("admin_networks", ["0.0.0.0/0"]), ("defaults", "admin_networks", 0), file=DEPT),
    v("eng_admin_net_rejects_a_public_range", "ENG-ADMIN-NET",
      dflt("admin_networks", ["10.1.0.0/16", "203.0.113.0/24"]),
      ("defaults", "admin_networks", 1), file=DEPT),
    v("acc4_rejects_live_relay_on_the_recorder_api_port", "ACC-4",
      dflt("live_relay_port", 8443), ("defaults", "live_relay_port"), file=DEPT),
    v("acc4_rejects_live_relay_on_the_ssh_port", "ACC-4", dflt("live_relay_port", 22),
      ("defaults", "live_relay_port"), file=DEPT),
    v("eng_monitoring_rejects_a_no_segment_alarm_shorter_than_two_segments", "ENG-MONITORING",
      Edit(DEPT, ("monitoring", "thresholds", "no_segment_seconds"), 119),
      ("monitoring", "thresholds", "no_segment_seconds"), file=DEPT, message="two segments"),
    v("eng_monitoring_rejects_a_disk_warning_at_the_purge_threshold", "ENG-MONITORING",
      Edit(DEPT, ("monitoring", "thresholds", "disk_free_percent"), 10),
      ("monitoring", "thresholds", "disk_free_percent"), file=DEPT, message="purge threshold"),
    v("acc4_rejects_the_metrics_port_on_the_live_relay_port", "ACC-4",
      Edit(DEPT, ("monitoring", "metrics_port"), 8554), ("monitoring", "metrics_port"),
      file=DEPT),
    v("eng_pool_rejects_hub_tunnel_address_outside_vpn_pool", "ENG-POOL",
      Edit(CELL, ("vpn_address",), "10.59.0.1"), ("vpn_address",), file=CELL),
    v("eng_pool_rejects_hub_wan_address_outside_wan_pool", "ENG-POOL",
      Edit(CELL, ("wan_address",), "192.0.2.2/24"), ("wan_address",), file=CELL),
    v("ret1_rejects_department_default_over_30_days", "RET-1", dflt("retention_days", 31),
      ("defaults", "retention_days"), file=DEPT, message="(got 31)"),
    v("eng_timezone_rejects_unknown_zone", "ENG-TIMEZONE",
      Edit(DEPT, ("department", "timezone"), "Europe/Metz"), ("department", "timezone"),
      file=DEPT),
    v("eng_timezone_rejects_a_path", "ENG-TIMEZONE",
      Edit(DEPT, ("department", "timezone"), "../../../etc/passwd"), ("department", "timezone"),
      file=DEPT),
    v("eng_secret_rejects_pem_private_key_in_a_free_text_field", "ENG-SECRET",
      Edit(EV, ("notes",), PEM), ("notes",), message="private key"),
    v("eng_secret_rejects_private_key_pasted_as_ssh_public_key", "ENG-SECRET",
      Edit(DEPT, ADMIN_KEY, PEM), ADMIN_KEY, file=DEPT),
    v("eng_ssh_key_rejects_text_that_is_not_a_public_key", "ENG-SSH-KEY",
      Edit(DEPT, ADMIN_KEY, "ssh-ed25519 not-a-key mf@example"), ADMIN_KEY, file=DEPT),
    v("eng_ssh_key_rejects_a_second_line_hidden_in_the_comment", "ENG-SSH-KEY",
      Edit(DEPT, ADMIN_KEY, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV/szPmyGcxkOS8iZFaQjUjTbFEbr"
                            "cVsfQ1KGeoo8xC a\nssh-ed25519 AAAA evil"), ADMIN_KEY, file=DEPT),
    v("eng_schema_rejects_small_order_wireguard_key", "ENG-SCHEMA",
      Edit(EV, ("firewall", "wireguard_public_key"), "A" * 43 + "="),
      ("firewall", "wireguard_public_key")),
    v("net4_rejects_wireless_link_with_tkip", "NET-4",
      Edit(EV, ("network", "link"), {**WIRELESS, "encryption": "WPA2-TKIP"}),
      ("network", "link", "encryption")),
    v("time1_rejects_site_ntp_server_given_as_host_name", "TIME-1",
      Edit(EV, ("ntp_servers",), ["ntp1.example.fr", "100.64.0.124"]), ("ntp_servers", 0),
      message="not an IPv4 address"),
    v("time1_rejects_department_ntp_server_given_as_host_name", "TIME-1",
      Edit(DEPT, ("time", "ntp_servers"), ["100.64.0.123", "pool.ntp.org"]),
      ("time", "ntp_servers", 1), file=DEPT),
]


def _ed25519_line() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    pub = Ed25519PrivateKey.generate().public_key()
    return pub.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode() + " a@b (test)"


ISSUE9_COMPLIANT = [
    ok("cam6_accepts_image_health_analytics", "CAM-6",
       cam(0, "analytics", value=["scene_change", "image_too_dark", "signal_loss"])),
    ok("acc1_accepts_homonyms_with_their_own_emails", "ACC-1",
       hab(3, "name", "Jérôme Thiel"), hab(3, "email", "j.thiel@gendarmerie.example.fr")),
    ok("acc3_accepts_lawful_recipient_without_legal_basis", "ACC-3",
       rcp(0, "kind", "police_nationale")),
    ok("eng_admin_net_accepts_private_and_collect_networks", "ENG-ADMIN-NET",
       dflt("admin_networks", ["192.168.10.0/24", "100.64.200.0/24"]), file=DEPT),
    ok("acc4_accepts_distinct_relay_and_api_ports", "ACC-4", dflt("live_relay_port", 8555),
       file=DEPT),
    ok("eng_pool_accepts_hub_inside_its_pools", "ENG-POOL", file=CELL),
    ok("eng_monitoring_accepts_exactly_two_segments_and_just_above_the_purge_threshold",
       "ENG-MONITORING", Edit(DEPT, ("monitoring", "thresholds", "no_segment_seconds"), 120),
       Edit(DEPT, ("monitoring", "thresholds", "disk_free_percent"), 10.5), file=DEPT),
    ok("ret1_accepts_department_default_of_30_days", "RET-1", dflt("retention_days", 30),
       file=DEPT),
    ok("eng_timezone_accepts_a_known_zone", "ENG-TIMEZONE",
       Edit(DEPT, ("department", "timezone"), "Europe/Luxembourg"), file=DEPT),
    ok("eng_secret_accepts_public_key_lines", "ENG-SECRET", file=DEPT),
    ok("eng_ssh_key_accepts_an_ed25519_public_key", "ENG-SSH-KEY",
       Edit(DEPT, ADMIN_KEY, _ed25519_line()), file=DEPT),
    ok("time1_accepts_ntp_addresses", "TIME-1", file=DEPT),
]

VIOLATIONS = [
    # --- A. authorization -------------------------------------------------------------------
    v("auth1_rejects_issue_date_without_arrete_reference", "AUTH-1", auth("arrete_ref", ""),
      ("authorization", "arrete_ref"), message="no arrêté reference"),
    v("auth1_rejects_arrete_without_issue_date", "AUTH-1", auth("issued"),
      ("authorization", "issued"), line_at=("authorization",)),
    v("auth1_warns_pending_authorization_keeps_recording_off", "AUTH-1",
      (auth("arrete_ref", ""), auth("issued")), ("authorization", "arrete_ref"),
      severity=WARNING, message="pending"),
    v("auth1_warns_arrete_not_yet_in_force", "AUTH-1", auth("issued", date(2026, 11, 29)),
      ("authorization", "issued"), severity=WARNING),
    v("auth2_rejects_expired_authorization", "AUTH-2", auth("expires", date(2026, 11, 27)),
      ("authorization", "expires"), message="expired"),
    v("auth2_rejects_authorization_longer_than_5_years", "AUTH-2",
      auth("expires", date(2029, 10, 2)), ("authorization", "expires"), message="5 years"),
    v("auth2_warns_renewal_due_within_120_days", "AUTH-2", auth("expires", date(2027, 3, 27)),
      ("authorization", "expires"), severity=WARNING, message="119 days"),
    v("auth2_rejects_expiry_before_issue", "AUTH-2", auth("expires", date(2024, 9, 30)),
      ("authorization", "expires"), message="before issue"),
    v("auth2_rejects_arrete_without_expiry", "AUTH-2", auth("expires"),
      ("authorization", "expires"), line_at=("authorization",)),
    v("auth3_rejects_camera_purpose_not_authorised", "AUTH-3", cam(0, "purposes", value=[1, 2]),
      ("cameras", 0, "purposes", 1), message="2°"),
    v("auth3_rejects_camera_without_purpose", "AUTH-3", cam(1, "purposes", value=[]),
      ("cameras", 1, "purposes")),
    v("auth3_rejects_purpose_declared_twice", "AUTH-3",
      Edit(EV, ("authorization", "purposes", 1, "code"), 1),
      ("authorization", "purposes", 1, "code")),
    v("auth3_rejects_authorization_without_purpose", "AUTH-3", auth("purposes", []),
      ("authorization", "purposes")),
    v("auth4_rejects_private_controller_filming_public_highway", "AUTH-4",
      Edit(EV, ("controller", "kind"), "private"), ("cameras", 0, "public_highway")),
    v("auth5_rejects_purpose_without_regime", "AUTH-5",
      Edit(EV, ("authorization", "purposes", 0, "regime")),
      ("authorization", "purposes", 0, "regime"), line_at=("authorization", "purposes", 0)),
    v("auth5_rejects_rescue_purpose_under_police_directive", "AUTH-5",
      Edit(EV, ("authorization", "purposes", 2, "regime"), "directive_2016_680"),
      ("authorization", "purposes", 2, "regime"), message="rgpd"),
    v("auth5_rejects_crime_prevention_under_gdpr", "AUTH-5",
      Edit(EV, ("authorization", "purposes", 0, "regime"), "rgpd"),
      ("authorization", "purposes", 0, "regime"), message="directive_2016_680"),
    # --- B. retention and register ----------------------------------------------------------
    v("ret1_rejects_31_days_citing_csi_l252_5", "RET-1", auth("retention_days", 31),
      ("authorization", "retention_days"), message="one month"),
    v("ret1_rejects_zero_days", "RET-1", auth("retention_days", 0),
      ("authorization", "retention_days")),
    v("ret1_rejects_negative_days", "RET-1", auth("retention_days", -1),
      ("authorization", "retention_days")),
    v("ret1_rejects_more_than_the_arrete_maximum", "RET-1", auth("max_retention_days", 10),
      ("authorization", "retention_days"), message="at most 10"),
    v("ret1_rejects_less_than_the_arrete_minimum", "RET-1", auth("min_retention_days", 20),
      ("authorization", "retention_days"), message="minimum 20"),
    v("reg2_warns_go_live_notice_not_sent", "REG-2", auth("commissioning_notice_sent"),
      ("authorization", "commissioning_notice_sent"), severity=WARNING,
      line_at=("authorization",)),
    v("reg2_rejects_go_live_notice_before_authorization", "REG-2",
      auth("commissioning_notice_sent", date(2024, 9, 30)),
      ("authorization", "commissioning_notice_sent")),
    # --- C. who may see what ----------------------------------------------------------------
    v("acc1_rejects_account_declared_twice", "ACC-1", hab(1, "id", "tmichel"),
      ("habilitations", 1, "id"), message="twice"),
    v("acc1_rejects_generic_admin_account", "ACC-1", hab(3, "id", "admin"),
      ("habilitations", 3, "id"), message="generic"),
    v("acc1_rejects_generic_service_account_with_suffix", "ACC-1", hab(2, "id", "sdis.cta"),
      ("habilitations", 2, "id"), message="generic"),
    v("acc1_rejects_habilitation_not_naming_a_person", "ACC-1", hab(2, "name", "Laure"),
      ("habilitations", 2, "name")),
    v("acc1_rejects_site_without_maire_habilitation", "ACC-1", hab(0, "role", "adjoint"),
      ("habilitations",), message="maire"),
    v("acc2_rejects_adjoint_without_delegation", "ACC-2", hab(1, "delegation"),
      ("habilitations", 1, "delegation"), line_at=("habilitations", 1)),
    v("acc2_rejects_blank_delegation", "ACC-2", hab(1, "delegation", "   "),
      ("habilitations", 1, "delegation")),
    v("acc2_rejects_admin_account_seeing_video", "ACC-2",
      (hab(3, "role", "admin"), hab(3, "service", "")), ("habilitations", 3, "rights")),
    v("acc3_rejects_recipient_outside_l252_3_list", "ACC-3",
      Edit(EV, ("authorization", "recipients", 0, "kind"), "other"),
      ("authorization", "recipients", 0, "kind")),
    v("acc3_rejects_recipient_keeping_images_31_days", "ACC-3",
      Edit(EV, ("authorization", "recipients", 1, "retention_days"), 31),
      ("authorization", "recipients", 1, "retention_days")),
    v("acc3_rejects_live_account_of_unlisted_service", "ACC-3",
      hab(2, "service", "Police municipale de Thionville"), ("habilitations", 2, "service")),
    v("acc4_rejects_recipient_reaching_recordings", "ACC-4",
      Edit(EV, ("authorization", "recipients", 0, "live_only"), False),
      ("authorization", "recipients", 0, "live_only")),
    v("acc4_rejects_live_account_with_playback", "ACC-4", hab(2, "rights", ["live", "playback"]),
      ("habilitations", 2, "rights")),
    v("acc5_warns_maire_without_contact_email", "ACC-5", hab(0, "email"),
      ("habilitations", 0, "email"), severity=WARNING, line_at=("habilitations", 0)),
    # --- D. cameras ---------------------------------------------------------------------------
    v("cam1_rejects_narrow_camera_below_704x576", "CAM-1",
      cam(0, "recording", "width", value=640), ("cameras", 0, "recording", "width"),
      message="640×1080"),
    v("cam1_rejects_narrow_camera_height_below_576", "CAM-1",
      cam(0, "recording", "height", value=480), ("cameras", 0, "recording", "height"),
      message="1920×480"),
    v("cam2_rejects_context_camera_below_352x288", "CAM-2",
      (cam(1, "recording", "width", value=320), cam(1, "recording", "height", value=240)),
      ("cameras", 1, "recording", "width")),
    v("cam3_rejects_narrow_camera_below_12_fps", "CAM-3", cam(0, "recording", "fps", value=11),
      ("cameras", 0, "recording", "fps")),
    v("cam3_rejects_context_camera_below_6_fps", "CAM-3", cam(1, "recording", "fps", value=5),
      ("cameras", 1, "recording", "fps")),
    v("cam3_rejects_recording_faster_than_the_sensor", "CAM-3", cam(0, "capture_fps", value=12),
      ("cameras", 0, "capture_fps"), message="duplicated"),
    v("cam5_rejects_mask_not_covering_private_zone", "CAM-5",
      cam(0, "privacy_masks", 0, "area", "w", value=0.10), ("cameras", 0, "private_zones", 0),
      message="maison-4"),
    v("cam5_rejects_private_zone_without_any_mask", "CAM-5", cam(0, "privacy_masks", value=[]),
      ("cameras", 0, "private_zones", 0)),
    v("cam6_rejects_sound_recording", "CAM-6", cam(0, "audio", value=True),
      ("cameras", 0, "audio")),
    v("cam6_rejects_face_recognition", "CAM-6", cam(1, "analytics", value=["face_recognition"]),
      ("cameras", 1, "analytics", 0), message="biometric"),
    v("cam6_rejects_plate_reading_whatever_the_case", "CAM-6",
      cam(1, "analytics", value=["ANPR"]), ("cameras", 1, "analytics", 0)),
    v("cam6_rejects_motion_detection_outside_the_allowlist", "CAM-6",
      cam(1, "analytics", value=["motion"]), ("cameras", 1, "analytics", 0),
      message="biometric"),
    v("cam7_rejects_outdoor_camera_without_night_mode", "CAM-7",
      cam(0, "night_mode", value="none"), ("cameras", 0, "night_mode")),
    v("cam8_rejects_streams_exceeding_the_link", "CAM-8",
      Edit(EV, ("network", "link", "capacity_mbps"), 6), ("network", "link", "capacity_mbps")),
    v("cam8_warns_streams_above_70_percent_of_the_link", "CAM-8",
      Edit(EV, ("network", "link", "capacity_mbps"), 8), ("network", "link", "capacity_mbps"),
      severity=WARNING),
    v("cam9_rejects_storage_short_of_declared_retention", "CAM-9",
      Edit(EV, ("nvr", "storage", "capacity_gb"), math.floor(EVRANGE_NEED_GB)),
      ("nvr", "storage", "capacity_gb")),
    # --- F. network and time ------------------------------------------------------------------
    v("net2_rejects_wan_port_open_in_clear", "NET-2",
      Edit(EV, ("firewall", "wan_open_ports"), [554]), ("firewall", "wan_open_ports", 0),
      message="554"),
    v("net2_rejects_recipients_without_crisis_cell_tunnel", "NET-2", Edit(CELL, ()),
      ("authorization", "recipients")),
    v("net4_rejects_wireless_link_without_encryption", "NET-4",
      Edit(EV, ("network", "link"), WIRELESS), ("network", "link", "encryption"),
      line_at=("network", "link")),
    v("net4_rejects_wireless_link_with_wep", "NET-4",
      Edit(EV, ("network", "link"), {**WIRELESS, "encryption": "wep"}),
      ("network", "link", "encryption")),
    v("time1_rejects_site_with_a_single_ntp_source", "TIME-1",
      Edit(EV, ("ntp_servers",), ["100.64.0.123"]), ("ntp_servers",)),
    v("time1_rejects_the_same_source_twice", "TIME-1",
      Edit(EV, ("ntp_servers",), ["100.64.0.123", "100.64.0.123"]), ("ntp_servers",)),
    v("time1_rejects_department_with_a_single_source_in_department_yml", "TIME-1",
      Edit(DEPT, ("time", "ntp_servers"), ["100.64.0.123"]), ("time", "ntp_servers"),
      file=DEPT),
    # --- engineering: one site ------------------------------------------------------------------
    v("eng_slug_rejects_slug_not_matching_file_name", "ENG-SLUG",
      Edit(EV, ("slug",), "evrange-bis"), ("slug",), message="evrange.yml"),
    v("eng_pool_rejects_subnet_outside_department_pool", "ENG-POOL",
      Edit(EV, ("network", "camera_vlan", "subnet"), "192.168.10.0/27"),
      ("network", "camera_vlan", "subnet"), message="department pool"),
    v("eng_pool_rejects_subnet_of_another_site_block", "ENG-POOL",
      Edit(EV, ("network", "management_vlan", "subnet"), "10.57.9.0/27"),
      ("network", "management_vlan", "subnet"), message="block"),
    v("eng_pool_rejects_wan_address_outside_wan_pool", "ENG-POOL",
      Edit(EV, ("network", "wan_address"), "192.168.0.1/16"), ("network", "wan_address")),
    v("eng_pool_rejects_vpn_address_outside_vpn_pool", "ENG-POOL",
      Edit(EV, ("firewall", "vpn_address"), "10.59.0.2"), ("firewall", "vpn_address")),
    v("eng_pool_rejects_site_id_beyond_the_pool", "ENG-POOL", Edit(EV, ("site_id",), 4000),
      ("site_id",)),
    v("eng_camera_ip_rejects_camera_outside_camera_vlan", "ENG-CAMERA-IP",
      cam(0, "ip", value="10.57.0.30"), ("cameras", 0, "ip")),
    v("eng_camera_ip_rejects_camera_on_the_network_address", "ENG-CAMERA-IP",
      cam(1, "ip", value="10.57.0.64"), ("cameras", 1, "ip")),
    v("eng_camera_ip_rejects_camera_on_the_gateway", "ENG-CAMERA-IP",
      cam(1, "ip", value="10.57.0.65"), ("cameras", 1, "ip"), message="gateway"),
    v("eng_address_rejects_nvr_outside_management_vlan", "ENG-ADDRESS",
      Edit(EV, ("nvr", "ip"), "10.57.0.80"), ("nvr", "ip")),
    v("eng_address_rejects_firewall_camera_leg_outside_camera_vlan", "ENG-ADDRESS",
      Edit(EV, ("firewall", "camera_ip"), "10.57.0.126"), ("firewall", "camera_ip")),
    v("eng_address_rejects_shared_vlan_ids", "ENG-ADDRESS",
      Edit(EV, ("network", "management_vlan", "id"), 110), ("network",)),
    v("eng_address_rejects_wan_gateway_off_subnet", "ENG-ADDRESS",
      Edit(EV, ("network", "wan_gateway"), "100.65.0.1"), ("network", "wan_gateway")),
    v("eng_ref_rejects_camera_on_missing_switch_port", "ENG-REF",
      cam(0, "switch_port", value="GigabitEthernet1/0/9"), ("cameras", 0, "switch_port")),
    v("eng_ref_rejects_camera_on_the_nvr_port", "ENG-REF",
      cam(1, "switch_port", value="GigabitEthernet1/0/5"), ("cameras", 1, "switch_port"),
      message="nvr"),
    v("eng_ref_rejects_two_devices_on_one_port", "ENG-REF",
      Edit(EV, ("switch", "ports", "uplink"), "GigabitEthernet1/0/7"),
      ("switch", "ports", "firewall"), message="uplink"),
    v("eng_ref_rejects_reserved_port_missing_on_switch", "ENG-REF",
      Edit(EV, ("switch", "ports", "nvr"), "GigabitEthernet1/0/12"), ("switch", "ports", "nvr")),
    v("eng_ref_rejects_two_cameras_with_one_name", "ENG-REF",
      cam(1, "name", value="cam-mairie-narrow"), ("cameras", 1, "name")),
    v("eng_ref_rejects_privacy_mask_id_twice", "ENG-REF",
      cam(0, "privacy_masks", 1,
          value={"id": "mask-maison-4", "area": {"x": 0.0, "y": 0.0, "w": 0.1, "h": 0.1}}),
      ("cameras", 0, "privacy_masks", 1, "id")),
    # --- engineering: across the department -----------------------------------------------------
    v("eng_site_id_rejects_site_id_used_by_another_commune", "ENG-SITE-ID",
      Edit(RO, ("site_id",), 1), ("site_id",), file=RO, message="evrange.yml"),
    v("eng_slug_rejects_slug_used_by_another_commune", "ENG-SLUG",
      Edit(RO, ("slug",), "evrange"), ("slug",), file=RO, message="already used"),
    v("eng_hostname_rejects_hostname_of_another_commune", "ENG-HOSTNAME",
      Edit(RO, ("nvr", "hostname"), "evrange-nvr"), ("nvr", "hostname"), file=RO),
    v("eng_hostname_rejects_crisis_cell_hostname", "ENG-HOSTNAME",
      Edit(EV, ("firewall", "hostname"), "cdc57-hub"), ("firewall", "hostname")),
    v("eng_ip_rejects_address_used_twice_in_a_site", "ENG-IP",
      Edit(HG, ("workstation", "ip"), "10.57.0.227"), ("workstation", "ip"), file=HG),
    v("eng_ip_rejects_site_tunnel_address_of_the_hub", "ENG-IP",
      Edit(EV, ("firewall", "vpn_address"), "10.58.0.1"), ("firewall", "vpn_address")),
    v("eng_wg_key_rejects_key_copied_from_another_commune", "ENG-WG-KEY",
      Edit(RO, ("firewall", "wireguard_public_key"),
           "fIEVlF+LML5S6hDrhhZUj2Ur7PqPucPuSmWCg0/+tgk="),
      ("firewall", "wireguard_public_key"), file=RO),
    v("eng_wg_key_rejects_hub_key_on_a_spoke", "ENG-WG-KEY",
      Edit(EV, ("firewall", "wireguard_public_key"),
           "5puJKb6n5+4Q5MeRbm/RkESlKlhfxsz5nCgflkzkOSM="),
      ("firewall", "wireguard_public_key")),
    v("eng_overlap_rejects_camera_subnet_of_another_commune", "ENG-OVERLAP",
      Edit(RO, ("network", "camera_vlan", "subnet"), "10.57.0.64/27"),
      ("network", "camera_vlan", "subnet"), file=RO, message="evrange"),
    v("eng_overlap_rejects_management_subnet_of_another_commune", "ENG-OVERLAP",
      Edit(RO, ("network", "management_vlan", "subnet"), "10.57.0.96/27"),
      ("network", "management_vlan", "subnet"), file=RO),
    *ISSUE9_VIOLATIONS,
    v("eng_vault_rejects_secrets_in_clear", "ENG-VAULT",
      Edit("vault/evrange.yml", (), "wireguard_private_key: x\n"), (),
      file="vault/evrange.yml", message="not ansible-vault ciphertext"),
]

COMPLIANT = [
    ok("auth1_accepts_arrete_in_force_from_today", "AUTH-1",
       auth("issued", date(2026, 11, 28))),
    ok("auth2_accepts_exactly_5_years", "AUTH-2", auth("expires", date(2029, 10, 1))),
    ok("auth2_accepts_renewal_exactly_120_days_ahead", "AUTH-2",
       auth("expires", date(2027, 3, 28))),
    ok("auth2_is_silent_on_pending_authorization", "AUTH-2", auth("arrete_ref", ""),
       auth("issued"), auth("expires")),
    ok("auth3_accepts_camera_with_one_authorised_purpose", "AUTH-3",
       cam(1, "purposes", value=[8])),
    ok("auth4_accepts_epci_as_controller", "AUTH-4", Edit(EV, ("controller", "kind"), "epci")),
    ok("auth4_accepts_private_controller_off_the_public_highway", "AUTH-4",
       Edit(EV, ("controller", "kind"), "private"), cam(0, "public_highway", value=False),
       cam(1, "public_highway", value=False)),
    ok("auth5_accepts_risk_purpose_under_gdpr", "AUTH-5",
       Edit(EV, ("authorization", "purposes", 2, "code"), 7)),
    ok("ret1_accepts_30_days", "RET-1", auth("retention_days", 30)),
    ok("ret1_accepts_1_day", "RET-1", auth("retention_days", 1)),
    ok("ret1_accepts_retention_equal_to_arrete_bounds", "RET-1", auth("max_retention_days", 15),
       auth("min_retention_days", 15)),
    ok("reg2_accepts_notice_on_the_issue_date", "REG-2",
       auth("commissioning_notice_sent", date(2024, 10, 1))),
    ok("acc1_accepts_named_people_with_long_names", "ACC-1",
       hab(2, "name", "Laure de la Garnière")),
    ok("acc2_accepts_admin_without_video_rights", "ACC-2", hab(3, "role", "admin"),
       hab(3, "rights", [])),
    ok("acc3_accepts_recipient_keeping_images_30_days", "ACC-3",
       Edit(EV, ("authorization", "recipients", 1, "retention_days"), 30)),
    ok("acc4_accepts_live_only_recipients", "ACC-4"),
    ok("acc5_accepts_live_account_without_email", "ACC-5"),
    ok("cam1_accepts_narrow_camera_at_704x576", "CAM-1", cam(0, "recording", "width", value=704),
       cam(0, "recording", "height", value=576)),
    ok("cam2_accepts_context_camera_at_352x288", "CAM-2",
       cam(1, "recording", "width", value=352), cam(1, "recording", "height", value=288)),
    ok("cam3_accepts_12_fps_narrow_and_6_fps_context", "CAM-3",
       cam(0, "recording", "fps", value=12), cam(1, "recording", "fps", value=6)),
    ok("cam3_accepts_recording_at_the_sensor_rate", "CAM-3", cam(0, "capture_fps", value=15)),
    ok("cam5_accepts_mask_exactly_on_the_zone", "CAM-5",
       cam(0, "privacy_masks", 0, "area", value={"x": 0.72, "y": 0.18, "w": 0.16, "h": 0.30})),
    ok("cam6_accepts_no_audio_no_analytics", "CAM-6"),
    ok("cam7_accepts_indoor_camera_without_night_mode", "CAM-7",
       cam(0, "night_mode", value="none"), cam(0, "placement", value="indoor")),
    ok("cam7_accepts_declared_site_lighting", "CAM-7",
       cam(0, "night_mode", value="site_lighting")),
    ok("cam8_accepts_streams_under_70_percent", "CAM-8",
       Edit(EV, ("network", "link", "capacity_mbps"), 9)),
    ok("cam9_accepts_storage_just_enough_for_retention", "CAM-9",
       Edit(EV, ("nvr", "storage", "capacity_gb"), math.ceil(EVRANGE_NEED_GB))),
    ok("net2_accepts_the_wireguard_port_on_the_wan", "NET-2",
       Edit(EV, ("firewall", "wan_open_ports"), [51820])),
    ok("net4_accepts_wireless_link_with_wpa3", "NET-4",
       Edit(EV, ("network", "link"), {**WIRELESS, "encryption": "wpa3"})),
    ok("time1_accepts_site_override_with_two_sources", "TIME-1",
       Edit(EV, ("ntp_servers",), ["100.64.0.123", "100.64.0.125"])),
    ok("eng_slug_accepts_slug_matching_file_name", "ENG-SLUG"),
    ok("eng_pool_accepts_subnets_of_own_block", "ENG-POOL"),
    ok("eng_camera_ip_accepts_last_host_of_camera_vlan", "ENG-CAMERA-IP",
       cam(1, "ip", value="10.57.0.94")),
    ok("eng_address_accepts_devices_in_their_vlans", "ENG-ADDRESS"),
    ok("eng_ref_accepts_camera_on_a_free_port", "ENG-REF",
       cam(1, "switch_port", value="GigabitEthernet1/0/3")),
    ok("eng_site_id_accepts_a_free_site_id", "ENG-SITE-ID", Edit(RO, ("site_id",), 2), file=RO),
    ok("eng_hostname_accepts_distinct_hostnames", "ENG-HOSTNAME"),
    ok("eng_ip_accepts_distinct_addresses", "ENG-IP"),
    ok("eng_wg_key_accepts_distinct_keys", "ENG-WG-KEY"),
    ok("eng_overlap_accepts_disjoint_blocks", "ENG-OVERLAP"),
    *ISSUE9_COMPLIANT,
    ok("eng_vault_accepts_encrypted_secrets", "ENG-VAULT", file="vault/evrange.yml"),
]


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _findings(moselle: InventoryCopy, edits: tuple[Edit, ...]) -> list[Finding]:
    moselle.apply(*edits)
    return check_inventory(load_inventory(moselle.root))


def _in(finding: Finding, moselle: InventoryCopy, name: str) -> bool:
    return Path(finding.file).resolve() == moselle.file(name).resolve()


@pytest.mark.parametrize("case", VIOLATIONS)
def test_rule_flags_violation_at_the_offending_line(moselle: InventoryCopy,
                                                    case: Violation) -> None:
    found = _findings(moselle, case.edits)
    line = moselle.line_of(case.file, case.line_at or case.path)
    ours = [f for f in found if f.rule == case.rule]
    assert ours, f"{case.rule} is silent after {[str(e) for e in case.edits]}: {found}"
    here = [f for f in ours if _in(f, moselle, case.file) and f.path == _dotted(case.path)]
    assert here, f"no {case.rule} finding at {case.file} {_dotted(case.path)}: {ours}"
    at_line = [f for f in here if f.line == line]
    assert at_line, f"expected line {line}: {here}"
    said = [f for f in at_line if case.message in f.message]
    assert said, f"no message with {case.message!r}: {at_line}"
    hit = said[0]
    assert hit.severity is case.severity
    assert CITES.get(case.rule, "Beffroi") in hit.citation
    assert hit.hint, "every finding tells what to do"


@pytest.mark.parametrize("case", COMPLIANT)
def test_rule_accepts_compliant_variant(moselle: InventoryCopy, case: Compliant) -> None:
    found = _findings(moselle, case.edits)
    ours = [f for f in found if f.rule == case.rule and _in(f, moselle, case.file)]
    assert ours == []


def _rule_ids(cases: list[object]) -> set[str]:
    return {p.values[0].rule for p in cases}  # type: ignore[attr-defined]


def test_every_registered_rule_has_a_failing_and_a_passing_case() -> None:
    registered = {rule_id for rule_id, _fn in SITE_RULES + INVENTORY_RULES}
    assert registered - _rule_ids(VIOLATIONS) == set()
    assert registered - _rule_ids(COMPLIANT) == set()


def test_issue_2_rule_families_are_all_registered() -> None:
    registered = {rule_id for rule_id, _fn in SITE_RULES + INVENTORY_RULES}
    asked = {"AUTH-1", "AUTH-2", "AUTH-3", "AUTH-4", "AUTH-5", "RET-1", "ACC-1", "ACC-2",
             "ACC-3", "CAM-1", "CAM-2", "CAM-3", "CAM-5", "CAM-6", "CAM-7", "CAM-8", "CAM-9",
             "NET-2", "TIME-1", "ENG-SITE-ID", "ENG-SLUG", "ENG-HOSTNAME", "ENG-IP",
             "ENG-WG-KEY", "ENG-POOL", "ENG-OVERLAP", "ENG-CAMERA-IP"}
    assert asked - registered == set()


def test_pristine_moselle_has_no_finding_at_all(moselle: InventoryCopy) -> None:
    assert _findings(moselle, ()) == []
