"""Findings, never a crash: random YAML documents, random text and random mutations of a valid
site fed to `beffroi validate --format json` (in-process CLI: the exit code is the real one).

Whatever the input, the command exits 0 or 1, prints a JSON list of findings, and raises
nothing (an escaped exception would be the traceback an engineer must never see).
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import os
import shutil
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validation.inventory_kit import MOSELLE, InventoryCopy, invoke_beffroi

TARGETS = ("sites/evrange.yml", "department.yml", "crisis-cell.yml")
# 150 examples each in `make test`; BEFFROI_FUZZ_EXAMPLES=5000 for a deeper hunt.
FUZZ = settings(max_examples=int(os.environ.get("BEFFROI_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Keys Beffroi knows, so random mappings sometimes reach deep into the model.
KNOWN_KEYS = sorted({"commune", "slug", "site_id", "cameras", "authorization", "network", "nvr",
                     "switch", "firewall", "retention_days", "issued", "expires", "purposes",
                     "code", "regime", "ip", "subnet", "recording", "fps", "width", "hostname",
                     "password", "wireguard_public_key", "addressing", "pool", "time",
                     "ntp_servers", "habilitations", "id", "role", "rights"})
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.dates(),
    st.sampled_from(["10.57.0.300", "10.57.0.0/33", "2024-02-30", "~", "yes", "0x1F",
                     "fIEVlF+LML5S6hDrhhZUj2Ur7PqPucPuSmWCg0/+tgk=", "", " ", "a[0]"]),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1, max_size=12), st.integers())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
yaml_soup = st.text(alphabet=st.sampled_from(list("ab1:-[]{}'\"&*!|>#%@`,?\n\t .")) |
                    st.characters(), max_size=300)

EVRANGE: dict[str, Any] = yaml.safe_load((MOSELLE / "sites/evrange.yml").read_text())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


SITE_PATHS = sorted(_paths(EVRANGE), key=repr)


@pytest.fixture(scope="module")
def fuzz_inventory(tmp_path_factory: pytest.TempPathFactory) -> InventoryCopy:
    """One copy for all examples; each example rewrites one file and restores it."""
    root = tmp_path_factory.mktemp("fuzz") / "moselle"
    shutil.copytree(MOSELLE, root)
    return InventoryCopy(root)


def _validate_with(inv: InventoryCopy, target: str, text: str) -> None:
    path = inv.file(target)
    original = path.read_bytes()
    try:
        # surrogatepass: a lone surrogate becomes bytes that are not UTF-8 (also worth feeding)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        result = invoke_beffroi(["validate", str(inv.root), "--format", "json"])
    finally:
        path.write_bytes(original)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    findings = result.json()
    assert isinstance(findings, list)
    if result.exit_code == 1:
        assert any(f["severity"] == "error" for f in findings)


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


@FUZZ
@given(target=st.sampled_from(TARGETS), doc=values)
def test_random_yaml_document_gives_findings_not_a_crash(
        fuzz_inventory: InventoryCopy, target: str, doc: Any) -> None:
    _validate_with(fuzz_inventory, target, _dump(doc))


@FUZZ
@given(target=st.sampled_from(TARGETS), text=yaml_soup)
def test_random_text_gives_findings_not_a_crash(
        fuzz_inventory: InventoryCopy, target: str, text: str) -> None:
    _validate_with(fuzz_inventory, target, text)


def _mutate(data: Any, path: tuple[Any, ...], op: str, value: Any, new_key: Any) -> Any:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = value
    elif isinstance(parent, dict):  # rename
        parent[new_key] = parent.pop(last)
    else:
        parent.insert(0, value)
    return data


@FUZZ
@given(path=st.sampled_from(SITE_PATHS), op=st.sampled_from(["delete", "replace", "rename"]),
       value=values, new_key=keys)
def test_random_mutation_of_a_valid_site_gives_findings_not_a_crash(
        fuzz_inventory: InventoryCopy, path: tuple[Any, ...], op: str, value: Any,
        new_key: Any) -> None:
    data = _mutate(copy.deepcopy(EVRANGE), path, op, value, new_key)
    _validate_with(fuzz_inventory, "sites/evrange.yml", _dump(data))


def test_fuzz_inventory_is_valid_before_mutation(fuzz_inventory: InventoryCopy) -> None:
    result = invoke_beffroi(["validate", str(fuzz_inventory.root), "--format", "json"])
    assert (result.exit_code, result.json()) == (0, [])


def test_site_paths_cover_the_whole_site_file() -> None:
    assert ("cameras", 0, "recording", "fps") in SITE_PATHS
    assert len(SITE_PATHS) > 150
    assert Path(MOSELLE / "sites/evrange.yml").is_file()


# --- issue 9: every class of the audit, as properties over generated spellings and values ------
# Each property says which rule must refuse the input (exit 1, an error with that id), not only
# that nothing crashed: a wrongly accepted inventory fails here as surely as a traceback.
CLASS_FUZZ = settings(max_examples=int(os.environ.get("BEFFROI_FUZZ_EXAMPLES", "40")),
                      deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                            HealthCheck.function_scoped_fixture])
DEPARTMENT: dict[str, Any] = yaml.safe_load((MOSELLE / "department.yml").read_text())
CRISIS_CELL: dict[str, Any] = yaml.safe_load((MOSELLE / "crisis-cell.yml").read_text())
ALLOWED_ANALYTICS = {"scene_change", "image_too_blurry", "image_too_dark", "image_too_bright",
                     "signal_loss"}
STEMS = ["face", "facial", "visage", "faciale", "plate", "plaque", "lapi", "anpr", "lpr",
         "license_plate", "behaviour", "behavior", "comportement", "loitering", "maraudage",
         "emotion", "crowd", "foule", "people", "personne", "gait", "gunshot", "audio", "sound",
         "motion", "line_crossing", "intrusion", "biometric", "scene_change", "signal_loss"]
SUFFIXES = ["", "_detection", "_recognition", "-recognition", " analysis", "_counting", "s",
            "_v2", "\u200b", " "]


def _respell(word: str, style: int) -> str:
    return [word, word.upper(), word.title(), word.replace("_", "-"), word.replace("_", " "),
            word.replace("e", "é"), f" {word}", word.replace("_", "")][style % 8]


forbidden_analytics = st.one_of(
    st.builds(lambda stem, suffix, style: _respell(stem + suffix, style),
              st.sampled_from(STEMS), st.sampled_from(SUFFIXES), st.integers(0, 7)),
    st.text(min_size=1, max_size=30)).filter(lambda name: name not in ALLOWED_ANALYTICS)
PEM_LABELS = ["", "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "]
pem_blocks = st.builds(
    lambda label, before, body, after: (f"{before}-----BEGIN {label}PRIVATE KEY-----\n{body}\n"
                                        f"-----END {label}PRIVATE KEY-----{after}"),
    st.sampled_from(PEM_LABELS), st.text(max_size=20), st.text(alphabet="ABCDEFab0129+/=\n",
                                                                 max_size=80),
    st.text(max_size=20))
STRING_PATHS = [p for p in SITE_PATHS
                if isinstance(functools.reduce(lambda node, k: node[k], p, EVRANGE), str)]
RFC1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                             "100.64.0.0/16", "10.58.0.0/22")]
public_networks = st.builds(
    lambda addr, prefix: ipaddress.ip_network((addr, prefix), strict=False),
    st.integers(0, 2**32 - 1), st.integers(0, 32)).filter(
    lambda net: not any(net.subnet_of(p) for p in RFC1918))
host_names = st.from_regex(r"\A[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}\Z")
weak_encryption = st.one_of(st.sampled_from(["", "none", "wep", "WEP-128", "wpa", "wpa-psk",
                                             "wpa2-tkip", "tkip", "open", "wpa2", "wpa 3"]),
                            # visible text: a control character is ENG-TEXT's refusal, not NET-4's
                            st.text(st.characters(categories=("L", "N", "P", "Zs")),
                                    max_size=12)).filter(
    lambda e: e.strip().lower() not in {"wpa3", "wpa2-aes", "wpa2-ccmp", "wireguard", "macsec"})
free_legal_basis = st.one_of(st.sampled_from(["Conseil départemental", "société privée",
                                              "CSI L252-3", "art. L252-3", "convention"]),
                             st.text(max_size=40))


def _refused_by(inv: InventoryCopy, rule: str, docs: dict[str, Any]) -> None:
    """Write the documents, validate, restore: the run must fail with an error of `rule`."""
    originals = {t: inv.file(t).read_bytes() for t in docs}
    try:
        for target, data in docs.items():
            inv.file(target).write_text(_dump(data), encoding="utf-8")
        result = invoke_beffroi(["validate", str(inv.root), "--format", "json"])
    finally:
        for target, raw in originals.items():
            inv.file(target).write_bytes(raw)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, f"wrongly accepted ({rule}): {result.output[:400]}"
    errors = [f for f in result.json() if f["severity"] == "error" and f["rule"] == rule]
    assert errors, f"no {rule} error: {result.output[:600]}"
    assert all(f["line"] >= 1 and f["citation"] and f["hint"] for f in errors)


def _site(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(EVRANGE) | changes


@CLASS_FUZZ
@given(name=forbidden_analytics, camera=st.integers(0, 1))
def test_any_spelling_outside_the_analytics_allowlist_is_refused_under_cam6(
        fuzz_inventory: InventoryCopy, name: str, camera: int) -> None:
    site = _site()
    site["cameras"][camera]["analytics"] = ["scene_change", name]
    _refused_by(fuzz_inventory, "CAM-6", {"sites/evrange.yml": site})


@CLASS_FUZZ
@given(basis=st.one_of(free_legal_basis, st.fixed_dictionaries(
    {"text": st.text(max_size=30), "article": st.text(max_size=10)}), st.fixed_dictionaries(
    {"text": st.just("code_securite_interieure"), "article": st.just("L252-3")})))
def test_other_recipient_without_an_acknowledged_cited_text_is_refused_under_acc3(
        fuzz_inventory: InventoryCopy, basis: Any) -> None:
    site = _site()
    site["authorization"]["recipients"][0] |= {"kind": "other", "legal_basis": basis}
    _refused_by(fuzz_inventory, "ACC-3", {"sites/evrange.yml": site})


@CLASS_FUZZ
@given(style=st.lists(st.integers(0, 3), min_size=1, max_size=20), twin=st.integers(1, 3))
def test_one_person_spelled_differently_cannot_hold_a_second_account(
        fuzz_inventory: InventoryCopy, style: list[int], twin: int) -> None:
    site = _site()
    name = site["habilitations"][0]["name"]  # "Claire Marchal"
    variant = "".join([c.upper(), c.lower(), c, f" {c}" if c == " " else c][s % 4]
                      for c, s in zip(name, style * len(name), strict=False))
    site["habilitations"][twin] |= {"name": variant.replace("a", "à", style[0] % 2),
                                    "email": ""}
    _refused_by(fuzz_inventory, "ACC-1", {"sites/evrange.yml": site})


@CLASS_FUZZ
@given(prefix=st.integers(26, 30), offset=st.integers(0, 63))
def test_management_subnet_overlapping_the_camera_subnet_is_refused(
        fuzz_inventory: InventoryCopy, prefix: int, offset: int) -> None:
    camera = ipaddress.ip_network("10.57.0.64/27")
    mgmt = ipaddress.ip_network((int(camera.network_address) + offset, prefix), strict=False)
    if not mgmt.overlaps(camera):
        mgmt = ipaddress.ip_network((int(camera.network_address), prefix), strict=False)
    site = _site()
    site["network"]["management_vlan"]["subnet"] = str(mgmt)
    _refused_by(fuzz_inventory, "ENG-OVERLAP", {"sites/evrange.yml": site})


@CLASS_FUZZ
@given(path=st.sampled_from(STRING_PATHS), pem=pem_blocks)
def test_a_private_key_in_any_string_field_is_refused(
        fuzz_inventory: InventoryCopy, path: tuple[Any, ...], pem: str) -> None:
    site = _mutate(copy.deepcopy(EVRANGE), path, "replace", pem, None)
    _refused_by(fuzz_inventory, "ENG-SECRET", {"sites/evrange.yml": site})


@CLASS_FUZZ
@given(net=public_networks)
def test_public_admin_networks_are_refused(fuzz_inventory: InventoryCopy,
                                           net: ipaddress.IPv4Network) -> None:
    dept = copy.deepcopy(DEPARTMENT)
    dept["defaults"]["admin_networks"] = ["10.99.0.0/16", str(net)]
    _refused_by(fuzz_inventory, "ENG-ADMIN-NET", {"department.yml": dept})


@CLASS_FUZZ
@given(port=st.integers(1, 65535))
def test_live_relay_sharing_the_recorder_api_port_is_refused(fuzz_inventory: InventoryCopy,
                                                             port: int) -> None:
    dept = copy.deepcopy(DEPARTMENT)
    dept["defaults"] |= {"live_relay_port": port, "recorder_api_port": port}
    _refused_by(fuzz_inventory, "ACC-4", {"department.yml": dept})


@CLASS_FUZZ
@given(days=st.integers(31, 10**6))
def test_department_default_retention_over_a_month_is_refused(fuzz_inventory: InventoryCopy,
                                                              days: int) -> None:
    dept = copy.deepcopy(DEPARTMENT)
    dept["defaults"]["retention_days"] = days
    _refused_by(fuzz_inventory, "RET-1", {"department.yml": dept})


@CLASS_FUZZ
@given(zone=st.one_of(st.text(max_size=40), st.sampled_from(
    ["Europe/Metz", "../../etc/passwd", "/etc/localtime", "europe/paris", "CET "])).filter(
    lambda z: z not in zoneinfo.available_timezones()))
def test_unknown_time_zone_is_refused(fuzz_inventory: InventoryCopy, zone: str) -> None:
    dept = copy.deepcopy(DEPARTMENT)
    dept["department"]["timezone"] = zone
    _refused_by(fuzz_inventory, "ENG-TIMEZONE", {"department.yml": dept})


@CLASS_FUZZ
@given(name=host_names.filter(lambda h: not _is_address(h)), in_site=st.booleans())
def test_ntp_server_given_as_a_host_name_is_refused(fuzz_inventory: InventoryCopy, name: str,
                                                    in_site: bool) -> None:
    if in_site:
        docs: dict[str, Any] = {"sites/evrange.yml": _site(ntp_servers=["100.64.0.123", name])}
    else:
        dept = copy.deepcopy(DEPARTMENT)
        dept["time"]["ntp_servers"] = [name, "100.64.0.124"]
        docs = {"department.yml": dept}
    _refused_by(fuzz_inventory, "TIME-1", docs)


@CLASS_FUZZ
@given(encryption=weak_encryption)
def test_wireless_mast_link_without_strong_encryption_is_refused(
        fuzz_inventory: InventoryCopy, encryption: str) -> None:
    site = _site()
    site["network"]["link"] = {"kind": "wireless", "capacity_mbps": 300,
                               "encryption": encryption}
    _refused_by(fuzz_inventory, "NET-4", {"sites/evrange.yml": site})


@CLASS_FUZZ
@given(key=st.one_of(st.text(max_size=60), st.builds(
    lambda kind, blob: f"{kind} {blob}", st.sampled_from(["ssh-ed25519", "ssh-rsa", "ssh-dss"]),
    st.text(alphabet="ABCDEFGHabcdef0123456789+/=", max_size=60)), pem_blocks))
def test_ssh_public_keys_hold_only_public_keys(fuzz_inventory: InventoryCopy, key: str) -> None:
    dept = copy.deepcopy(DEPARTMENT)
    dept["defaults"]["admins"][0]["ssh_public_keys"] = [key]
    result_rules = ("ENG-SSH-KEY", "ENG-SECRET")
    originals = fuzz_inventory.file("department.yml").read_bytes()
    try:
        fuzz_inventory.file("department.yml").write_text(_dump(dept), encoding="utf-8")
        result = invoke_beffroi(["validate", str(fuzz_inventory.root), "--format", "json"])
    finally:
        fuzz_inventory.file("department.yml").write_bytes(originals)
    assert result.exit_code == 1, result.output[:400]
    assert {f["rule"] for f in result.json()} & set(result_rules), result.output[:400]


def _is_address(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True
# --- issue 9: control characters anywhere in a string field are refused at that field ---------
# Every character a line-based parser or a reader trips on: controls (\n \r \t NUL DEL NEL…),
# format characters (bidi overrides and isolates, zero-width, BOM), line/paragraph separators.
control_characters = st.characters(categories=["Cc", "Cf", "Zl", "Zp"])


def _value_at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


STRING_PATHS = sorted((p for p in SITE_PATHS if isinstance(_value_at(EVRANGE, p), str)), key=repr)


@FUZZ
@given(path=st.sampled_from(STRING_PATHS), before=st.text(max_size=12).filter(str.isprintable),
       char=control_characters, after=st.text(max_size=12).filter(str.isprintable))
def test_control_character_in_any_string_field_is_refused_at_that_field(
        fuzz_inventory: InventoryCopy, path: tuple[Any, ...], before: str, char: str,
        after: str) -> None:
    data = _mutate(copy.deepcopy(EVRANGE), path, "replace", before + char + after, None)
    # Escaped (ASCII) YAML: a raw NEL or U+2028 would already be folded by the YAML reader.
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=False, sort_keys=False)
    target = fuzz_inventory.file("sites/evrange.yml")
    original = target.read_bytes()
    try:
        target.write_text(text, encoding="utf-8")
        result = invoke_beffroi(["validate", str(fuzz_inventory.root), "--format", "json"])
    finally:
        target.write_bytes(original)
    assert result.exit_code == 1, (path, repr(char), result.output)
    where = ".".join(str(p) for p in path)
    at_field = [f for f in result.json() if f["severity"] == "error"
                and f["path"].replace("[", ".").replace("]", "") == where]
    assert at_field, (path, repr(char), result.json())
