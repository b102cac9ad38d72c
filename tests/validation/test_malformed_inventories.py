"""Malformed inventories: each one mutation of the valid Moselle copy → findings, never a crash.

Every case runs `beffroi validate DIR --format json` (in-process through typer's CliRunner, so
the exit code and the printed JSON are the real CLI's); a representative subset also runs the
console script as a subprocess. Each must exit 1, name the expected rule, in the right file, at
the line where the mutation is (read back with ruamel or located in the raw text), and print
no traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from validation.inventory_kit import (
    DELETE,
    CliResult,
    Edit,
    FieldPath,
    InventoryCopy,
    invoke_beffroi,
    run_beffroi,
)

EV, RO, HG = "sites/evrange.yml", "sites/roussy-le-village.yml", "sites/hettange-grande.yml"
DEPT, CELL = "department.yml", "crisis-cell.yml"
JSON_KEYS = {"severity", "rule", "file", "line", "path", "message", "citation"}


@dataclass(frozen=True)
class Malformed:
    """One broken inventory and the finding it must produce."""

    rule: str
    file: str
    edits: tuple[Edit, ...] = ()
    at: FieldPath | None = None           # the finding's line is where this field is written
    text: tuple[str, str] | None = None   # or: raw text replacement; line = where `old` was
    hint: str = ""                        # a fragment of the hint (did-you-mean…)
    message: str = ""
    top_line: bool = False                # the file cannot be parsed: line 1 of it


def case(id_: str, rule: str, file: str, *edits: Edit, **kw: Any) -> Any:
    return pytest.param(Malformed(rule, file, edits, **kw), id=id_)


def text(id_: str, file: str, old: str, new: str, rule: str = "ENG-YAML", **kw: Any) -> Any:
    return pytest.param(Malformed(rule, file, text=(old, new), **kw), id=id_)


def field_(file: str, *path: str | int, value: Any = DELETE) -> Edit:
    return Edit(file, path, value)


def rename(file: str, *path: str | int, to: str) -> Edit:
    return Edit(file, path, rename_to=to)


def whole(file: str, content: str) -> Edit:
    return Edit(file, (), content)


EVRANGE = (Path(__file__).resolve().parents[2] / "inventories/moselle/sites/evrange.yml")
EVRANGE_TEXT = EVRANGE.read_text(encoding="utf-8")
WG_PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="

CASES = [
    # --- YAML that does not parse (ENG-YAML) ------------------------------------------------
    text("yaml_tab_indentation", EV, "  hostname: evrange-nvr", "\thostname: evrange-nvr"),
    text("yaml_unclosed_flow_mapping", EV, "{id: 110, subnet: 10.57.0.64/27}",
         "{id: 110, subnet: 10.57.0.64/27"),
    text("yaml_unclosed_flow_sequence", EV, "purposes: [1, 5]", "purposes: [1, 5"),
    text("yaml_over_indented_key", EV, "  ip: 10.57.0.99", "   ip: 10.57.0.99"),
    text("yaml_under_indented_key", EV, "  ip: 10.57.0.99", " ip: 10.57.0.99"),
    text("yaml_missing_colon", EV, "slug: evrange", "slug evrange"),
    text("yaml_stray_quotes", EV, 'model: "Cisco Catalyst 1000-8P (example data)"',
         'model: "Cisco "Catalyst" 1000-8P"'),
    text("yaml_list_dash_inside_mapping", EV, "  hostname: evrange-fw",
         "  - hostname: evrange-fw"),
    text("yaml_reserved_indicator", EV, "slug: evrange", "slug: @evrange"),
    text("yaml_duplicate_key", EV, "insee:", "site_id: 5\ninsee:",
         message="duplicate key"),
    text("yaml_python_object_tag", EV, "population: 230",
         "population: !!python/object/apply:os.system [true]", message="unsupported YAML tag"),
    text("yaml_unknown_local_tag", EV, "population: 230", "population: !env POPULATION",
         message="unsupported YAML tag"),
    text("yaml_recursive_alias", EV, "analytics: []\n", "analytics: &loop [*loop]\n",
         message="recursive"),
    text("yaml_impossible_date", EV, "issued: 2024-10-01", "issued: 2024-02-30"),
    text("yaml_merge_key", EV, "  ip: 10.57.0.99", "  <<: {ip: 10.57.0.99}"),
    text("yaml_second_document", EV, "workstation:\n", "---\nworkstation:\n"),
    text("yaml_broken_department_file", DEPT, "  site_prefix: 26", "  site_prefix: [26"),
    text("yaml_broken_crisis_cell_file", CELL, "wireguard_port: 51820",
         "wireguard_port: [51820"),
    case("yaml_not_utf8", "ENG-YAML", EV, top_line=True, message="cannot read"),
    case("schema_empty_site_file", "ENG-SCHEMA", EV, whole(EV, ""), top_line=True,
         message="required field"),
    case("schema_site_file_is_a_list", "ENG-SCHEMA", EV, whole(EV, "- evrange\n- 1\n"),
         top_line=True, message="mapping"),
    # --- wrong types and values (ENG-SCHEMA) ------------------------------------------------
    case("type_site_id_as_text", "ENG-SCHEMA", EV, field_(EV, "site_id", value="one"),
         at=("site_id",)),
    case("type_site_id_zero", "ENG-SCHEMA", EV, field_(EV, "site_id", value=0), at=("site_id",)),
    case("type_slug_with_accent", "ENG-SCHEMA", EV, field_(EV, "slug", value="Évrange"),
         at=("slug",)),
    case("type_negative_population", "ENG-SCHEMA", EV, field_(EV, "population", value=-3),
         at=("population",)),
    case("type_insee_as_number", "ENG-SCHEMA", EV, field_(EV, "insee", value=57202),
         at=("insee",)),
    case("type_cameras_as_mapping", "ENG-SCHEMA", EV, field_(EV, "cameras", value={"a": 1}),
         at=("cameras",)),
    case("type_camera_role_unknown", "CAM-1", EV,
         field_(EV, "cameras", 0, "role", value="wide"), at=("cameras", 0, "role")),
    case("type_camera_ip_invalid", "ENG-SCHEMA", EV,
         field_(EV, "cameras", 0, "ip", value="10.57.0.300"), at=("cameras", 0, "ip")),
    case("type_fps_zero", "CAM-3", EV,
         field_(EV, "cameras", 0, "recording", "fps", value=0),
         at=("cameras", 0, "recording", "fps")),
    case("type_codec_unknown", "ENG-SCHEMA", EV,
         field_(EV, "cameras", 1, "recording", "codec", value="mjpeg"),
         at=("cameras", 1, "recording", "codec")),
    case("type_audio_not_boolean", "CAM-6", EV,
         field_(EV, "cameras", 0, "audio", value="maybe"), at=("cameras", 0, "audio")),
    case("type_issued_not_a_date", "AUTH-1", EV,
         field_(EV, "authorization", "issued", value="yesterday"), at=("authorization", "issued")),
    case("type_retention_with_unit", "RET-1", EV,
         field_(EV, "authorization", "retention_days", value="15 jours"),
         at=("authorization", "retention_days")),
    # Values the law itself enumerates are reported under the legal rule, not as a type error.
    case("legal_value_purpose_outside_l251_2", "AUTH-3", EV,
         field_(EV, "authorization", "purposes", 0, "code", value=12),
         at=("authorization", "purposes", 0, "code"), hint="L251-2"),
    case("legal_value_regime_unknown", "AUTH-5", EV,
         field_(EV, "authorization", "purposes", 1, "regime", value="gdpr"),
         at=("authorization", "purposes", 1, "regime"), hint="rgpd"),
    case("type_right_unknown", "ACC-2", EV,
         field_(EV, "habilitations", 0, "rights", value=["live", "delete"]),
         at=("habilitations", 0, "rights", 1)),
    case("type_account_id_with_spaces", "ACC-1", EV,
         field_(EV, "habilitations", 0, "id", value="Claire Marchal"),
         at=("habilitations", 0, "id")),
    case("type_subnet_with_host_bits", "ENG-SCHEMA", EV,
         field_(EV, "network", "camera_vlan", "subnet", value="10.57.0.65/27"),
         at=("network", "camera_vlan", "subnet")),
    case("type_vlan_id_out_of_range", "ENG-SCHEMA", EV,
         field_(EV, "network", "camera_vlan", "id", value=5000),
         at=("network", "camera_vlan", "id")),
    case("type_wan_address_not_an_address", "ENG-SCHEMA", EV,
         field_(EV, "network", "wan_address", value="not-an-ip"), at=("network", "wan_address")),
    case("type_wireguard_key_malformed", "ENG-SCHEMA", EV,
         field_(EV, "firewall", "wireguard_public_key", value="not-a-key"),
         at=("firewall", "wireguard_public_key")),
    case("type_raid_level_unknown", "ENG-SCHEMA", EV,
         field_(EV, "nvr", "storage", "raid", value="raid10"), at=("nvr", "storage", "raid")),
    case("type_switch_with_100_ports", "ENG-SCHEMA", EV,
         field_(EV, "switch", "ports", "count", value=100), at=("switch", "ports", "count")),
    case("type_mask_wider_than_image", "CAM-5", EV,
         field_(EV, "cameras", 0, "privacy_masks", 0, "area", "w", value=1.5),
         at=("cameras", 0, "privacy_masks", 0, "area", "w")),
    case("legal_value_recipient_kind_unknown", "ACC-3", EV,
         field_(EV, "authorization", "recipients", 0, "kind", value="prefecture"),
         at=("authorization", "recipients", 0, "kind")),
    case("type_ups_too_small", "ENG-SCHEMA", EV, field_(EV, "nvr", "ups", "va", value=100),
         at=("nvr", "ups", "va")),
    case("type_department_pool_invalid", "ENG-SCHEMA", DEPT,
         field_(DEPT, "addressing", "pool", value="10.57.0.0/33"), at=("addressing", "pool")),
    case("type_crisis_cell_port_out_of_range", "ENG-SCHEMA", CELL,
         field_(CELL, "wireguard_port", value=70000), at=("wireguard_port",)),
    # --- missing keys (ENG-SCHEMA at the enclosing mapping) ---------------------------------
    case("missing_commune", "ENG-SCHEMA", EV, field_(EV, "commune"), at=(),
         message="'commune'"),
    case("missing_network", "ENG-SCHEMA", EV, field_(EV, "network"), at=(),
         message="'network'"),
    case("missing_camera_recording", "ENG-SCHEMA", EV, field_(EV, "cameras", 0, "recording"),
         at=("cameras", 0), message="'recording'"),
    case("missing_retention_justification", "ENG-SCHEMA", EV,
         field_(EV, "authorization", "retention_justification"), at=("authorization",)),
    case("missing_dpo_contact", "ENG-SCHEMA", EV, field_(EV, "controller", "dpo_contact"),
         at=("controller",)),
    case("missing_storage_capacity", "CAM-9", EV,
         field_(EV, "nvr", "storage", "capacity_gb"), at=("nvr", "storage")),
    case("missing_wireguard_key", "ENG-SCHEMA", EV,
         field_(EV, "firewall", "wireguard_public_key"), at=("firewall",)),
    case("missing_night_mode", "CAM-7", EV, field_(EV, "cameras", 1, "night_mode"),
         at=("cameras", 1)),
    case("missing_department_pool", "ENG-SCHEMA", DEPT, field_(DEPT, "addressing", "pool"),
         at=("addressing",)),
    case("missing_crisis_cell_hostname", "ENG-SCHEMA", CELL, field_(CELL, "hostname"), at=()),
    # --- unknown keys, with a "did you mean" hint (ENG-UNKNOWN-KEY) --------------------------
    case("unknown_retention_day_typo", "ENG-UNKNOWN-KEY", EV,
         rename(EV, "authorization", "retention_days", to="retention_day"),
         at=("authorization", "retention_day"), hint="did you mean 'retention_days'?"),
    case("unknown_nightmode_typo", "ENG-UNKNOWN-KEY", EV,
         rename(EV, "cameras", 0, "night_mode", to="nightmode"),
         at=("cameras", 0, "nightmode"), hint="did you mean 'night_mode'?"),
    case("unknown_habilitation_singular", "ENG-UNKNOWN-KEY", EV,
         rename(EV, "habilitations", to="habilitation"), at=("habilitation",),
         hint="did you mean 'habilitations'?"),
    case("unknown_camera_vlans_plural", "ENG-UNKNOWN-KEY", EV,
         rename(EV, "network", "camera_vlan", to="camera_vlans"),
         at=("network", "camera_vlans"), hint="did you mean 'camera_vlan'?"),
    case("unknown_hostnme_typo", "ENG-UNKNOWN-KEY", EV,
         rename(EV, "nvr", "hostname", to="hostnme"), at=("nvr", "hostnme"),
         hint="did you mean 'hostname'?"),
    case("unknown_key_without_close_match_lists_allowed_keys", "ENG-UNKNOWN-KEY", EV,
         field_(EV, "cameras", 0, "resolution", value="1080p"),
         at=("cameras", 0, "resolution"), hint="allowed keys here:"),
    case("unknown_department_default", "ENG-UNKNOWN-KEY", DEPT,
         rename(DEPT, "defaults", "retention_days", to="retention_day"),
         at=("defaults", "retention_day"), hint="did you mean 'retention_days'?"),
    case("unknown_crisis_cell_key", "ENG-UNKNOWN-KEY", CELL,
         rename(CELL, "services", to="service"), at=("service",),
         hint="did you mean 'services'?"),
    case("unknown_key_with_brackets", "ENG-UNKNOWN-KEY", EV,
         field_(EV, "nvr", "disks[0]", value=1), at=("nvr", "disks[0]"),
         message="'disks[0]'"),
    # --- secrets in clear (ENG-SECRET) --------------------------------------------------------
    case("secret_nvr_password_hunter2", "ENG-SECRET", EV,
         field_(EV, "nvr", "password", value="hunter2"), at=("nvr", "password")),
    case("secret_switch_enable_secret", "ENG-SECRET", EV,
         field_(EV, "switch", "enable_secret", value="cisco123"), at=("switch", "enable_secret")),
    case("secret_wireguard_private_key_in_site", "ENG-SECRET", EV,
         field_(EV, "firewall", "wireguard_private_key", value=WG_PRIVATE),
         at=("firewall", "wireguard_private_key")),
    case("secret_camera_credentials_nested", "ENG-SECRET", EV,
         field_(EV, "cameras", 1, "credentials", value={"username": "admin", "password": "admin"}),
         at=("cameras", 1, "credentials", "password")),
    case("secret_api_token_at_top_level", "ENG-SECRET", EV,
         field_(EV, "api_token", value="ghp_0123456789abcdef"), at=("api_token",)),
    case("secret_hub_private_key_in_crisis_cell", "ENG-SECRET", CELL,
         field_(CELL, "wireguard_private_key", value=WG_PRIVATE), at=("wireguard_private_key",)),
    case("secret_snmp_community_in_department", "ENG-SECRET", DEPT,
         field_(DEPT, "defaults", "snmp_community", value="public"),
         at=("defaults", "snmp_community")),
    case("secret_numeric_pin", "ENG-SECRET", EV,
         field_(EV, "workstation", "password", value=1234), at=("workstation", "password")),
    # --- conflicts across the department ------------------------------------------------------
    case("cross_duplicate_site_id", "ENG-SITE-ID", RO, field_(RO, "site_id", value=1),
         at=("site_id",)),
    case("cross_duplicate_slug", "ENG-SLUG", RO, field_(RO, "slug", value="hettange-grande"),
         at=("slug",), message="already used"),
    # The file later in the department (sorted by name) is flagged; the message names the first.
    case("cross_duplicate_hostname", "ENG-HOSTNAME", RO,
         field_(RO, "switch", "hostname", value="hettange-grande-sw"),
         at=("switch", "hostname"), message="hettange-grande.yml:"),
    case("cross_duplicate_camera_ip", "ENG-IP", HG,
         field_(HG, "cameras", 0, "ip", value="10.57.0.74"), at=("cameras", 0, "ip")),
    case("cross_duplicate_wireguard_key", "ENG-WG-KEY", RO,
         field_(RO, "firewall", "wireguard_public_key",
                value="6FZH0vI7lRPEpKwd1z1QtYzLRnc8KltszKVwQGnX7Dc="),
         at=("firewall", "wireguard_public_key"), message="hettange-grande.yml:"),
    case("cross_overlapping_subnets", "ENG-OVERLAP", RO,
         field_(RO, "network", "management_vlan", "subnet", value="10.57.0.224/27"),
         at=("network", "management_vlan", "subnet"), message="hettange-grande"),
    case("cross_subnet_outside_pool", "ENG-POOL", RO,
         field_(RO, "network", "camera_vlan", "subnet", value="192.168.1.0/27"),
         at=("network", "camera_vlan", "subnet")),
    case("cross_camera_ip_outside_camera_vlan", "ENG-CAMERA-IP", RO,
         field_(RO, "cameras", 1, "ip", value="10.57.0.163"), at=("cameras", 1, "ip")),
    case("cross_site_file_copied_under_another_name", "ENG-SITE-ID", "sites/zinsel.yml",
         whole("sites/zinsel.yml", EVRANGE_TEXT), at=("site_id",)),
    # --- legal rules through the CLI ------------------------------------------------------------
    case("legal_retention_31_days", "RET-1", EV,
         field_(EV, "authorization", "retention_days", value=31),
         at=("authorization", "retention_days"), message="one month"),
    case("legal_expired_authorization", "AUTH-2", HG,
         field_(HG, "authorization", "expires", value=date(2026, 1, 31)),
         at=("authorization", "expires")),
    case("legal_narrow_camera_in_cif", "CAM-1", RO,
         field_(RO, "cameras", 0, "recording", "width", value=352),
         at=("cameras", 0, "recording", "width")),
    case("legal_sound_recording", "CAM-6", RO, field_(RO, "cameras", 1, "audio", value=True),
         at=("cameras", 1, "audio")),
    case("legal_prefecture_staff_as_recipient", "ACC-3", HG,
         field_(HG, "authorization", "recipients", 0, "kind", value="other"),
         at=("authorization", "recipients", 0, "kind")),
    case("legal_rtsp_open_on_wan", "NET-2", HG,
         field_(HG, "firewall", "wan_open_ports", value=[554]),
         at=("firewall", "wan_open_ports", 0)),
    # --- issue 9 §2: the law cannot be bypassed by spelling ------------------------------------
    case("legal_analytics_french_spelling", "CAM-6", EV,
         field_(EV, "cameras", 0, "analytics", value=["reconnaissance_faciale"]),
         at=("cameras", 0, "analytics", 0), hint="image-health"),
    case("legal_analytics_plate_reading_acronym", "CAM-6", RO,
         field_(RO, "cameras", 1, "analytics", value=["scene_change", "LAPI"]),
         at=("cameras", 1, "analytics", 1)),
    case("legal_analytics_as_one_text", "CAM-6", HG,
         field_(HG, "cameras", 0, "analytics", value="crowd_counting"),
         at=("cameras", 0, "analytics")),
    case("legal_recipient_missing_kind", "ACC-3", HG,
         field_(HG, "authorization", "recipients", 2, "kind"),
         at=("authorization", "recipients", 2)),
    case("legal_recipient_basis_as_free_text", "ACC-3", HG,
         field_(HG, "authorization", "recipients", 0, "kind", value="other"),
         field_(HG, "authorization", "recipients", 0, "legal_basis", value="société privée"),
         at=("authorization", "recipients", 0, "legal_basis")),
    case("legal_recipient_basis_unacknowledged", "ACC-3", EV,
         field_(EV, "authorization", "recipients", 1, "kind", value="other"),
         field_(EV, "authorization", "recipients", 1, "legal_basis",
                value={"text": "code_general_collectivites_territoriales", "article": "L2212-2"}),
         at=("authorization", "recipients", 1, "legal_basis"), message="acknowledged"),
    case("legal_purpose_as_text", "AUTH-3", RO,
         field_(RO, "authorization", "purposes", 0, value="Protection des bâtiments"),
         at=("authorization", "purposes", 0)),
    case("legal_one_person_two_accounts", "ACC-1", EV,
         field_(EV, "habilitations", 2, "name", value="JÉRÔME   THIEL"),
         at=("habilitations", 2, "name")),
    # --- issue 9 §3: engineering rules that guard isolation --------------------------------------
    case("iso_vlans_overlap_inside_one_site", "ENG-OVERLAP", HG,
         field_(HG, "network", "camera_vlan", "subnet", value="10.57.0.192/26"),
         at=("network", "management_vlan", "subnet")),
    case("iso_admin_networks_whole_internet", "ENG-ADMIN-NET", DEPT,
         field_(DEPT, "defaults", "admin_networks", value=["0.0.0.0/0"]),
         at=("defaults", "admin_networks", 0)),
    case("iso_live_relay_on_api_port", "ACC-4", DEPT,
         field_(DEPT, "defaults", "live_relay_port", value=8443),
         at=("defaults", "live_relay_port")),
    case("iso_hub_tunnel_outside_vpn_pool", "ENG-POOL", CELL,
         field_(CELL, "vpn_address", value="192.168.0.1"), at=("vpn_address",)),
    case("iso_department_retention_45_days", "RET-1", DEPT,
         field_(DEPT, "defaults", "retention_days", value=45), at=("defaults", "retention_days")),
    case("iso_unknown_time_zone", "ENG-TIMEZONE", DEPT,
         field_(DEPT, "department", "timezone", value="Europe/Thionville"),
         at=("department", "timezone")),
    case("iso_pem_private_key_in_an_address", "ENG-SECRET", EV,
         field_(EV, "controller", "address",
                value="-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
         at=("controller", "address")),
    case("iso_ssh_public_key_not_a_key", "ENG-SSH-KEY", DEPT,
         field_(DEPT, "defaults", "admins", 0, "ssh_public_keys", 0, value="my laptop key"),
         at=("defaults", "admins", 0, "ssh_public_keys", 0)),
    case("iso_wep_mast_link", "NET-4", RO,
         field_(RO, "network", "link",
                value={"kind": "wireless", "capacity_mbps": 300, "encryption": "WEP"}),
         at=("network", "link", "encryption")),
    case("iso_ntp_server_as_host_name", "TIME-1", DEPT,
         field_(DEPT, "time", "ntp_servers", value=["ntp.mosellefibre.example", "100.64.0.124"]),
         at=("time", "ntp_servers", 0)),
    # --- loud failures: layout and vault files (issue 9 §4) -------------------------------------
    case("vault_secrets_in_clear", "ENG-VAULT", "vault/evrange.yml",
         whole("vault/evrange.yml", "wireguard_private_key: " + WG_PRIVATE + "\n"),
         top_line=True, message="not ansible-vault ciphertext"),
    case("vault_file_empty", "ENG-VAULT", "vault/roussy-le-village.yml",
         whole("vault/roussy-le-village.yml", ""), top_line=True,
         message="not ansible-vault ciphertext"),
    case("vault_file_missing", "ENG-VAULT", "vault/hettange-grande.yml",
         Edit("vault/hettange-grande.yml", ()), top_line=True, message="no such file"),
    case("vault_of_the_hub_in_clear", "ENG-VAULT", "vault/crisis-cell.yml",
         whole("vault/crisis-cell.yml", "wireguard_private_key: x\n"), top_line=True),
    case("layout_site_file_named_yaml", "ENG-LAYOUT", "sites/kanfen.yaml",
         whole("sites/kanfen.yaml", EVRANGE_TEXT.replace("evrange", "kanfen")),
         top_line=True, hint="rename it kanfen.yml"),
    case("layout_site_file_upper_case_extension", "ENG-LAYOUT", "sites/kanfen.YML",
         whole("sites/kanfen.YML", EVRANGE_TEXT), top_line=True),
]

# --- free text is data, never directives (issue 9, ENG-TEXT) -------------------------------------
# A line break in any spelling, a control or bidi character, or an oversized value is refused at
# its field; structured fields (NTP source, path, interface, driver, INSEE) refuse them by pattern.
CASES += [
    case("injection_commune_newline_becomes_chrony_directives", "ENG-TEXT", EV,
         field_(EV, "commune", value="Évrange\nallow all\nserver 203.0.113.66 iburst"),
         at=("commune",), message="LINE FEED"),
    case("injection_commune_newline_becomes_ios_account", "ENG-TEXT", EV,
         field_(EV, "commune",
                value="Évrange\nusername backdoor privilege 15 secret 0 hunter2"),
         at=("commune",), hint="one line"),
    case("injection_camera_location_breaks_camera_yaml", "ENG-TEXT", EV,
         field_(EV, "cameras", 0, "location", value='Mât"\nanalytics: [face_recognition]'),
         at=("cameras", 0, "location")),
    case("injection_mayor_carriage_return_alone", "ENG-TEXT", EV,
         field_(EV, "controller", "mayor", value="Claire\rusername backdoor"),
         at=("controller", "mayor"), message="CARRIAGE RETURN"),
    text("injection_ups_model_line_separator", EV, 'model: "Onduleur en ligne 2000 VA',
         'model: "Onduleur\\u2028[evil]\\u2028driver = dummy 2000 VA', rule="ENG-TEXT",
         message="LINE SEPARATOR"),
    text("injection_purpose_label_next_line", EV, 'label: "Protection des bâtiments',
         'label: "Protection\\Nallow all des bâtiments', rule="ENG-TEXT", message="NEL"),
    text("injection_habilitation_name_rtl_override", EV, 'name: "Thierry Michel"',
         'name: "Thierry \\u202Eleh"', rule="ENG-TEXT", message="RIGHT-TO-LEFT OVERRIDE"),
    text("injection_crisis_cell_service_bidi_isolate", CELL, '"SDIS 57 — CTA-CODIS (24/7)"',
         '"\\u2066SDIS 57\\u2069"', rule="ENG-TEXT"),
    text("injection_department_operator_nul", DEPT, "operator: Moselle Fibre",
         'operator: "Moselle\\0Fibre"', rule="ENG-TEXT", message="NUL"),
    case("injection_switch_model_tab", "ENG-TEXT", EV,
         field_(EV, "switch", "model", value="Catalyst\tenable secret 0 x"),
         at=("switch", "model"), message="TAB"),
    case("injection_ten_kilobytes_of_justification", "ENG-TEXT", EV,
         field_(EV, "authorization", "retention_justification", value="A" * 10_000),
         at=("authorization", "retention_justification"), hint="at most 2000"),
    case("injection_ntp_server_with_a_second_directive", "TIME-1", DEPT,
         field_(DEPT, "time", "ntp_servers", 0, value="100.64.0.123 iburst\nallow all"),
         at=("time", "ntp_servers", 0)),
    case("injection_site_ntp_server_with_spaces", "TIME-1", EV,
         field_(EV, "ntp_servers", value=["100.64.0.123", "100.64.0.124 prefer"]),
         at=("ntp_servers", 1)),
    case("injection_storage_mount_adds_a_unit_path", "ENG-SCHEMA", EV,
         field_(EV, "nvr", "storage", "mount", value="/srv/video /etc"),
         at=("nvr", "storage", "mount")),
    case("injection_switch_port_prefix_with_a_command", "ENG-SCHEMA", EV,
         field_(EV, "switch", "ports", "prefix", value="Gi1/0/ ; shutdown"),
         at=("switch", "ports", "prefix")),
    case("injection_rtsp_path_with_userinfo_space", "ENG-SCHEMA", EV,
         field_(EV, "cameras", 1, "rtsp_path", value='/stream1" x'),
         at=("cameras", 1, "rtsp_path")),
    case("injection_ups_driver_two_words", "ENG-SCHEMA", EV,
         field_(EV, "nvr", "ups", "driver", value="usbhid-ups port=/dev/sda"),
         at=("nvr", "ups", "driver")),
    case("injection_insee_in_other_digits", "ENG-SCHEMA", EV,
         field_(EV, "insee", value="\u0665\u0667\u0662\u0660\u0662"), at=("insee",)),
]


def _break(moselle: InventoryCopy, m: Malformed) -> Callable[[int, str], bool]:
    """Apply the mutation; return a predicate on (line, message) for "the right line"."""
    if m.text is not None:
        old, new = m.text
        broken = moselle.replace_text(m.file, old, new)
        # A parser notices some errors on the next token; then it names the opening line.
        return lambda line, msg: line == broken or f"line {broken}" in msg
    if m.top_line:
        if not m.edits:
            moselle.file(m.file).write_bytes("commune: \xc9vrange\n".encode("latin-1"))
        moselle.apply(*m.edits)
        return lambda line, _msg: line == 1
    moselle.apply(*m.edits)
    assert m.at is not None
    expected = moselle.line_of(m.file, m.at)
    return lambda line, _msg: line == expected


def _check(moselle: InventoryCopy, m: Malformed, result: CliResult,
           right_line: Callable[[int, str], bool]) -> None:
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    findings = result.json()
    target = moselle.file(m.file).resolve()
    ours = [f for f in findings if f["rule"] == m.rule and Path(f["file"]).resolve() == target]
    assert ours, f"no {m.rule} in {m.file}: {findings}"
    located = [f for f in ours if right_line(f["line"], f["message"])]
    assert located, f"{m.rule} at the wrong line: {ours}"
    assert any(m.message in f["message"] and m.hint in f["hint"] for f in located), located
    assert all(f["citation"] for f in located)


@pytest.mark.parametrize("m", CASES)
def test_malformed_inventory_yields_located_finding_not_traceback(moselle: InventoryCopy,
                                                                  m: Malformed) -> None:
    right_line = _break(moselle, m)
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    _check(moselle, m, result, right_line)


def test_catalogue_holds_at_least_60_distinct_mutations() -> None:
    distinct = {repr((m.values[0].file, m.values[0].edits, m.values[0].text)) for m in CASES}
    assert len(distinct) == len(CASES) >= 60


SUBPROCESS_SUBSET = ["yaml_unclosed_flow_mapping", "yaml_recursive_alias", "type_fps_zero",
                     "missing_camera_recording", "unknown_retention_day_typo",
                     "secret_nvr_password_hunter2", "cross_overlapping_subnets",
                     "legal_retention_31_days"]


@pytest.mark.parametrize("m", [c for c in CASES if c.id in SUBPROCESS_SUBSET])
def test_console_script_reports_malformed_inventory(moselle: InventoryCopy,
                                                    m: Malformed) -> None:
    right_line = _break(moselle, m)
    result = run_beffroi(["validate", str(moselle.root), "--format", "json"])
    _check(moselle, m, result, right_line)
    assert result.stderr == ""


def test_vaulted_secret_is_not_reported_as_clear(moselle: InventoryCopy) -> None:
    moselle.replace_text(EV, "  hostname: evrange-nvr\n",
                         "  hostname: evrange-nvr\n  password: !vault |\n"
                         "    $ANSIBLE_VAULT;1.1;AES256\n    6231\n")
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    rules = {f["rule"] for f in result.json()}
    assert "ENG-SECRET" not in rules
    assert "ENG-UNKNOWN-KEY" in rules  # the model has no such field: still reported, not leaked


def test_json_findings_have_the_fixed_shape(moselle: InventoryCopy) -> None:
    moselle.set(EV, ("authorization", "retention_days"), 31)
    moselle.set(EV, ("authorization", "commissioning_notice_sent"), DELETE)
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    findings = result.json()
    assert isinstance(findings, list) and len(findings) >= 2
    for f in findings:
        assert set(f) >= JSON_KEYS
        assert f["severity"] in ("error", "warning")
        assert isinstance(f["line"], int) and f["line"] >= 1
        assert all(isinstance(f[k], str) for k in JSON_KEYS - {"line"})
    assert {f["severity"] for f in findings} == {"error", "warning"}


def test_warnings_alone_exit_0(moselle: InventoryCopy) -> None:
    moselle.set(EV, ("authorization", "commissioning_notice_sent"), DELETE)  # REG-2 warning
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    assert [f["rule"] for f in result.json()] == ["REG-2"]
    assert result.exit_code == 0


def test_single_site_file_reports_only_that_file(moselle: InventoryCopy) -> None:
    moselle.set(EV, ("authorization", "retention_days"), 31)
    moselle.set(RO, ("cameras", 0, "audio"), True)
    result = invoke_beffroi(["validate", str(moselle.file(RO)), "--format", "json"])
    assert result.exit_code == 1
    assert {(Path(f["file"]).name, f["rule"]) for f in result.json()} == {
        ("roussy-le-village.yml", "CAM-6")}


def test_text_output_names_file_line_rule_and_citation(moselle: InventoryCopy) -> None:
    moselle.set(EV, ("authorization", "retention_days"), 31)
    line = moselle.line_of(EV, ("authorization", "retention_days"))
    result = run_beffroi(["validate", str(moselle.root)])
    assert result.exit_code == 1
    assert f"evrange.yml:{line}:" in result.stdout
    assert "RET-1" in result.stdout and "CSI L252-5" in result.stdout
    assert "Traceback" not in result.output
