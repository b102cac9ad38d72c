"""`beffroi site new NAME`: next free site_id and block, fresh secrets in a vault, valid result.

Expected addresses are computed here from department.yml with `ipaddress` (block N of the pool
is site N's: first half cameras, second half management), not with beffroi.addressing.
"""

from __future__ import annotations

import base64
import shutil
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from beffroi import vault
from beffroi.findings import BeffroiError
from beffroi.sitenew import new_site
from validation.inventory_kit import MOSELLE, InventoryCopy, invoke_beffroi, run_beffroi


def _block(moselle: InventoryCopy, site_id: int) -> tuple[IPv4Network, IPv4Network]:
    addressing = yaml.safe_load(moselle.file("department.yml").read_text())["addressing"]
    pool = IPv4Network(addressing["pool"])
    blocks = list(pool.subnets(new_prefix=addressing["site_prefix"]))
    camera, management = blocks[site_id].subnets(prefixlen_diff=1)
    return camera, management


def _public_of(private_b64: str) -> str:
    key = X25519PrivateKey.from_private_bytes(base64.b64decode(private_b64))
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw,
                                                          PublicFormat.Raw)).decode()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def kanfen(tmp_path_factory: pytest.TempPathFactory) -> tuple[InventoryCopy, Any]:
    """A Moselle copy after `beffroi site new Kanfen` (real console script), shared read-only
    by the tests below (the refusal tests check that nothing changes)."""
    root = tmp_path_factory.mktemp("site-new") / "moselle"
    shutil.copytree(MOSELLE, root)
    result = run_beffroi(["site", "new", "Kanfen", "--inventory", str(root)])
    return InventoryCopy(root), result


def test_site_new_allocates_site_id_4_and_the_next_block(
        kanfen: tuple[InventoryCopy, Any]) -> None:
    moselle, result = kanfen
    assert result.exit_code == 0, result.output
    assert "site_id 4" in result.stdout
    site = yaml.safe_load(moselle.file("sites/kanfen.yml").read_text())
    camera, management = _block(moselle, 4)
    assert (site["slug"], site["site_id"], site["commune"]) == ("kanfen", 4, "Kanfen")
    assert IPv4Network(site["network"]["camera_vlan"]["subnet"]) == camera
    assert IPv4Network(site["network"]["management_vlan"]["subnet"]) == management
    assert [IPv4Address(c["ip"]) in camera for c in site["cameras"]] == [True, True]
    assert len(site["cameras"]) == 2
    assert {c["role"] for c in site["cameras"]} == {"narrow", "context"}


def test_site_new_result_validates_clean(kanfen: tuple[InventoryCopy, Any]) -> None:
    moselle, _result = kanfen
    checked = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    assert checked.exit_code == 0, checked.stdout
    assert all(f["severity"] == "warning" for f in checked.json())
    assert run_beffroi(["validate", str(moselle.file("sites/kanfen.yml"))]).exit_code == 0


def test_site_new_secrets_are_vaulted_and_match_the_site_file(
        kanfen: tuple[InventoryCopy, Any]) -> None:
    moselle, _result = kanfen
    vault_file = moselle.file("vault/kanfen.yml")
    assert vault_file.read_bytes().startswith(b"$ANSIBLE_VAULT")
    assert b"wireguard_private_key" not in vault_file.read_bytes()
    secrets = vault.read_vault(vault_file)
    assert {"wireguard_private_key", "nvr_signing_key", "switch", "cameras",
            "recorder_users"} <= set(secrets)
    site = yaml.safe_load(moselle.file("sites/kanfen.yml").read_text())
    assert _public_of(secrets["wireguard_private_key"]) == site["firewall"][
        "wireguard_public_key"]
    site_text = moselle.file("sites/kanfen.yml").read_text()
    assert secrets["wireguard_private_key"] not in site_text
    assert secrets["switch"]["password"] not in site_text


def test_site_new_gives_the_nvr_a_tls_certificate_for_its_address_and_name(
        kanfen: tuple[InventoryCopy, Any]) -> None:
    """NET-2: the recorder API speaks TLS by default; its key lives in the vault only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    moselle, _result = kanfen
    secrets = vault.read_vault(moselle.file("vault/kanfen.yml"))
    site = yaml.safe_load(moselle.file("sites/kanfen.yml").read_text())
    cert = x509.load_pem_x509_certificate(secrets["recorder_tls"]["certificate"].encode())
    key = serialization.load_pem_private_key(secrets["recorder_tls"]["private_key"].encode(),
                                             None)
    assert cert.public_key() == key.public_key()
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert IPv4Address(site["nvr"]["ip"]) in san.get_values_for_type(x509.IPAddress)
    assert site["nvr"]["hostname"] in san.get_values_for_type(x509.DNSName)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert "PRIVATE KEY" not in moselle.file("sites/kanfen.yml").read_text()


def test_site_new_device_passwords_are_unique_and_strong(
        kanfen: tuple[InventoryCopy, Any]) -> None:
    moselle, _result = kanfen
    secrets = vault.read_vault(moselle.file("vault/kanfen.yml"))
    passwords = [secrets["switch"]["password"], secrets["switch"]["enable_secret"],
                 *(c["password"] for c in secrets["cameras"].values()),
                 *(u["initial_password"] for u in secrets["recorder_users"].values())]
    assert len(passwords) == len(set(passwords)) >= 4  # NET-3: unique per device
    assert min(len(p) for p in passwords) >= 12         # ACC-5 policy


def test_site_new_twice_is_refused_and_changes_nothing(
        kanfen: tuple[InventoryCopy, Any]) -> None:
    moselle, _result = kanfen
    before = _snapshot(moselle.root)
    again = run_beffroi(["site", "new", "Kanfen", "--inventory", str(moselle.root)])
    assert again.exit_code == 1
    assert "already exists" in again.output and "kanfen.yml" in again.output
    assert "Traceback" not in again.output
    assert _snapshot(moselle.root) == before


def test_site_new_refuses_another_spelling_of_the_same_commune(
        kanfen: tuple[InventoryCopy, Any]) -> None:
    moselle, _result = kanfen
    before = _snapshot(moselle.root)
    again = invoke_beffroi(["site", "new", "KANFEN", "--inventory", str(moselle.root)])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert _snapshot(moselle.root) == before


def test_site_new_keys_differ_between_communes(moselle: InventoryCopy) -> None:
    first = new_site(moselle.root, "Kanfen")
    second = new_site(moselle.root, "Zoufftgen")
    assert (first.site_id, second.site_id) == (4, 5)
    keys = {yaml.safe_load(moselle.file(f"sites/{slug}.yml").read_text())["firewall"][
        "wireguard_public_key"] for slug in ("evrange", "roussy-le-village", "hettange-grande",
                                             "kanfen", "zoufftgen")}
    assert len(keys) == 5
    assert invoke_beffroi(["validate", str(moselle.root)]).exit_code == 0


def test_site_new_reuses_the_smallest_free_site_id(moselle: InventoryCopy) -> None:
    moselle.file("sites/roussy-le-village.yml").unlink()
    moselle.file("vault/roussy-le-village.yml").unlink()
    made = new_site(moselle.root, "Kanfen")
    assert made.site_id == 2
    site = yaml.safe_load(made.site_file.read_text())
    assert IPv4Network(site["network"]["camera_vlan"]["subnet"]) == _block(moselle, 2)[0]


def test_site_new_refuses_a_name_without_letters(moselle: InventoryCopy) -> None:
    before = _snapshot(moselle.root)
    with pytest.raises(BeffroiError, match="empty slug"):
        new_site(moselle.root, "!!!")
    result = invoke_beffroi(["site", "new", "!!!", "--inventory", str(moselle.root)])
    assert result.exit_code == 1 and "empty slug" in result.output
    assert _snapshot(moselle.root) == before


def test_site_new_handles_accents_and_hyphens(moselle: InventoryCopy) -> None:
    made = new_site(moselle.root, "Évrange-lès-Thionville")
    assert made.slug == "evrange-les-thionville"
    assert invoke_beffroi(["validate", str(moselle.root)]).exit_code == 0


# --- issue 9 §4: parallel runs, lossy slugs, path-like names --------------------------------

def test_parallel_site_new_runs_never_allocate_the_same_site_id(moselle: InventoryCopy) -> None:
    import os
    import subprocess

    from validation.inventory_kit import BEFFROI, TODAY

    names = ["Kanfen", "Zoufftgen", "Volmerange-les-Mines"]
    env = {**os.environ, "BEFFROI_TODAY": TODAY}
    procs = [subprocess.Popen([str(BEFFROI), "site", "new", name, "--inventory",
                               str(moselle.root)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for name in names]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    ids = [yaml.safe_load(p.read_text())["site_id"]
           for p in sorted(moselle.file("sites").glob("*.yml"))]
    assert len(ids) == len(set(ids)) == 6
    assert invoke_beffroi(["validate", str(moselle.root)]).exit_code == 0


def test_site_new_waits_for_the_inventory_lock(moselle: InventoryCopy) -> None:
    import fcntl
    import os
    import subprocess

    from beffroi.sitenew import LOCK_FILE
    from validation.inventory_kit import BEFFROI, TODAY

    with open(moselle.root / LOCK_FILE, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen([str(BEFFROI), "site", "new", "Kanfen", "--inventory",
                                 str(moselle.root)], env={**os.environ, "BEFFROI_TODAY": TODAY},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=3)
        assert not moselle.file("sites/kanfen.yml").exists()
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, out
    assert moselle.file("sites/kanfen.yml").exists()


@pytest.mark.parametrize(("name", "slug"), [
    ("Œting", "oeting"), ("Bœrsch", "boersch"), ("Straßburg", "strassburg"),
    ("Ærø", "aero"), ("Łódź", "lodz"), ("Ðorđe", "dorde"), ("L’Hôpital", "l-hopital"),
    ("Saint-Avold", "saint-avold"),
])
def test_site_new_transliterates_letters_nfkd_does_not_decompose(
        moselle: InventoryCopy, name: str, slug: str) -> None:
    from beffroi.sitenew import commune_slug

    assert commune_slug(name) == slug


@pytest.mark.parametrize("name", ["Москва", "Αθήνα", "東京", "Kan\u0627fen"])
def test_site_new_refuses_a_name_it_cannot_transliterate(moselle: InventoryCopy,
                                                         name: str) -> None:
    before = _snapshot(moselle.root)
    result = invoke_beffroi(["site", "new", name, "--inventory", str(moselle.root)])
    assert result.exit_code in (1, 2) and "transliterate" in result.output, result.output
    assert _snapshot(moselle.root) == before


@pytest.mark.parametrize("name", ["../x", "a/b", ".", "..", "..\\evil", "/etc/passwd", "-",
                                  "Kan\nfen", "Kan\x00fen"])
def test_site_new_refuses_a_path_like_or_control_character_name(moselle: InventoryCopy,
                                                                name: str) -> None:
    before = _snapshot(moselle.root)
    with pytest.raises(BeffroiError):
        new_site(moselle.root, name)
    assert _snapshot(moselle.root) == before
# --- issue 9: arguments are data, the site file is written by a YAML serializer -------------

@pytest.mark.parametrize("args", [
    ["Kanfen", "--mayor", "Jean Dupont\nallow all"],
    ["Kanfen", "--mayor", "Jean Dupont\rallow all"],
    ["Kanfen", "--mayor", "Jean\u2028Dupont"],
    ["Kanfen", "--mayor", "Jean \u202eDupont"],
    ["Kanfen", "--mayor", "x" * 10_000],
    ["Kanfen\nusername backdoor privilege 15 secret 0 hunter2"],
    ["Kanfen\x00"],
    ["Kanfen", "--insee", "57356\nallow all"],
    ["Kanfen", "--insee", "5735"],
    ["Kanfen", "--insee", "2C004"],
    ["Kanfen", "--insee", "\u0665\u0667\u0663\u0665\u0666"],  # Arabic-Indic digits
    ["Kanfen", "--insee", '57356"'],
    ["Kanfen", "--population", "0"],
    ["Kanfen", "--population", "-12"],
], ids=lambda a: repr(a)[:40])
def test_site_new_refuses_arguments_that_cannot_be_data(moselle: InventoryCopy,
                                                        args: list[str]) -> None:
    before = _snapshot(moselle.root)
    result = invoke_beffroi(["site", "new", *args, "--inventory", str(moselle.root)])
    assert result.exit_code == 2, result.output
    assert "Nothing was written" in result.output and "Traceback" not in result.output
    assert _snapshot(moselle.root) == before


def test_site_new_writes_hostile_but_valid_text_as_data(moselle: InventoryCopy) -> None:
    mayor = 'Jean "Jo" d\'Ar # ; { } \\ $x %y'
    result = invoke_beffroi(["site", "new", "Kanfen", "--mayor", mayor, "--insee", "2A004",
                             "--population", "1200", "--inventory", str(moselle.root)])
    assert result.exit_code == 0, result.output
    site = yaml.safe_load(moselle.file("sites/kanfen.yml").read_text())
    assert site["controller"]["mayor"] == mayor
    assert site["habilitations"][0]["name"] == mayor
    assert (site["insee"], site["population"]) == ("2A004", 1200)
    assert invoke_beffroi(["validate", str(moselle.root)]).exit_code == 0


def test_site_new_file_lists_the_template_todo_fields(
        kanfen: tuple[InventoryCopy, Any]) -> None:
    moselle, _result = kanfen
    text = moselle.file("sites/kanfen.yml").read_text()
    header = text.split("\ncommune:")[0]
    assert "TODO" in header and "controller.address" in header and "insee" in header
    assert "{{" not in text


def test_site_template_cannot_splice_yaml_syntax(moselle: InventoryCopy) -> None:
    """Even a department template that forgets the quoting rule gets one scalar per value."""
    template = moselle.file("site-template.yml.j2")
    template.write_text(template.read_text().replace(
        "mayor: {{ mayor }}", "mayor: {{ mayor }}  # from --mayor"), encoding="utf-8")
    made = new_site(moselle.root, "Kanfen", mayor='Jo "le" Dupont: {a: b}, [c]')
    site = yaml.safe_load(made.site_file.read_text())
    assert site["controller"]["mayor"] == 'Jo "le" Dupont: {a: b}, [c]'
