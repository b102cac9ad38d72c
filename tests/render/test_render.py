"""The renderer writes every device's intended configuration, and writes it the same way twice."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from beffroi.findings import BeffroiError
from beffroi.inventory import load_inventory
from beffroi.render import render_crisis_cell, render_site, render_site_to

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "moselle"
GOLDEN = Path(__file__).parent / "golden"
PILOTS = ["evrange", "roussy-le-village", "hettange-grande"]


def test_render_writes_every_device_kind(tmp_path: Path) -> None:
    written = render_site_to(INVENTORY, "evrange", tmp_path)
    names = {p.relative_to(tmp_path / "evrange").as_posix() for p in written}
    assert {"evrange-fw/nftables.conf", "evrange-fw/wg-beffroi.conf", "evrange-fw/chrony.conf",
            "evrange-nvr/recorder.toml", "evrange-nvr/chrony.conf", "evrange-nvr/nut/ups.conf",
            "evrange-nvr/nut/upsmon.conf", "evrange-sw/running-config.ios",
            "cameras/cam-mairie-narrow.yml", "cameras/cam-mairie-context.yml"} <= names


@pytest.mark.parametrize("slug", PILOTS)
def test_rendered_configs_match_golden_files(slug: str) -> None:
    """Golden files: any change to templates or intent shows up as a reviewable diff.

    Regenerate after an intended change with BEFFROI_UPDATE_GOLDEN=1.
    """
    rendered = render_site(load_inventory(INVENTORY), slug)
    for out, text in rendered.items():
        golden = GOLDEN / slug / out.relpath
        if os.environ.get("BEFFROI_UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert golden.read_text(encoding="utf-8") == text, f"{out.relpath} differs from golden"


@pytest.mark.skipif(shutil.which("nft") is None or os.geteuid() != 0, reason="nft -c needs root")
@pytest.mark.parametrize("slug", PILOTS)
def test_nftables_ruleset_passes_nft_check(slug: str, tmp_path: Path) -> None:
    rendered = render_site(load_inventory(INVENTORY), slug)
    ruleset = next(text for out, text in rendered.items() if out.relpath.endswith("nftables.conf"))
    path = tmp_path / "nftables.conf"
    path.write_text(ruleset)
    result = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_firewall_policy_is_drop_and_every_accept_cites_a_rule() -> None:
    rendered = render_site(load_inventory(INVENTORY), "evrange")
    ruleset = next(t for o, t in rendered.items() if o.relpath.endswith("nftables.conf"))
    assert ruleset.count("policy drop;") == 2  # input and forward
    accepts = [line for line in ruleset.splitlines() if " accept comment " in line
               and "dport" in line]
    assert accepts and all('comment "' in line and ":" in line.split('comment "')[1]
                           for line in accepts)
    assert 'ip saddr 10.58.0.1 ip daddr 10.57.0.99 tcp dport 8554 accept' in ruleset  # ACC-4
    hub_lines = [line for line in ruleset.splitlines() if "ip saddr 10.58.0.1" in line]
    assert len(hub_lines) == 1 and "dport 8554" in hub_lines[0]  # nothing else from the hub


def test_switch_config_shuts_unused_ports_and_secures_camera_ports() -> None:
    rendered = render_site(load_inventory(INVENTORY), "evrange")
    ios = next(t for o, t in rendered.items() if o.kind == "switch")
    blocks = ios.split("interface ")
    unused = [b for b in blocks if "description unused" in b]
    assert len(unused) == 2 and all(" shutdown" in b and "no shutdown" not in b for b in unused)
    cams = [b for b in blocks if "description camera" in b]
    assert len(cams) == 2 and all("switchport port-security" in b for b in cams)
    assert "no ip http server" in ios and "transport input ssh" in ios


def test_render_redacts_secrets_by_default() -> None:
    rendered = render_site(load_inventory(INVENTORY), "evrange")
    wg = next(t for o, t in rendered.items() if o.relpath.endswith("wg-beffroi.conf"))
    assert "PrivateKey = <vault>" in wg
    revealed = render_site(load_inventory(INVENTORY), "evrange", reveal_secrets=True)
    wg_real = next(t for o, t in revealed.items() if o.relpath.endswith("wg-beffroi.conf"))
    assert "<vault>" not in wg_real


def test_render_refuses_a_site_with_errors(tmp_path: Path) -> None:
    inv_dir = tmp_path / "inv"
    shutil.copytree(INVENTORY, inv_dir)
    site = inv_dir / "sites" / "evrange.yml"
    site.write_text(site.read_text().replace("retention_days: 15", "retention_days: 31"))
    with pytest.raises(BeffroiError) as err:
        render_site(load_inventory(inv_dir), "evrange")
    assert any(f.rule == "RET-1" for f in err.value.findings)


def test_hub_has_one_peer_per_commune() -> None:
    rendered = render_crisis_cell(load_inventory(INVENTORY))
    (text,) = [v for k, v in rendered.items() if k.relpath.endswith("/wg-beffroi.conf")]
    assert text.count("[Peer]") == 3
    assert "AllowedIPs = 10.58.0.2/32, 10.57.0.99/32" in text


def test_render_refuses_a_wireguard_private_key_pasted_as_the_public_key(tmp_path: Path) -> None:
    from beffroi import vault

    inv_dir = tmp_path / "inv"
    shutil.copytree(INVENTORY, inv_dir)
    private = vault.read_vault(inv_dir / "vault" / "evrange.yml")["wireguard_private_key"]
    site = inv_dir / "sites" / "evrange.yml"
    public = "fIEVlF+LML5S6hDrhhZUj2Ur7PqPucPuSmWCg0/+tgk="
    site.write_text(site.read_text().replace(public, private))
    assert render_site(load_inventory(inv_dir), "evrange")  # 44 base64 chars pass the model…
    with pytest.raises(BeffroiError, match="ENG-WG-KEY"):  # …the vault pair does not
        render_site(load_inventory(inv_dir), "evrange", reveal_secrets=True)


@pytest.mark.parametrize("slug", PILOTS)
def test_rendered_recorder_config_serves_tls_and_passes_check_config(slug: str,
                                                                     tmp_path: Path) -> None:
    """NET-2: the API listens on the NVR's address, so TLS is on by default (check-config
    refuses plain HTTP off loopback); the certificate the role deploys is the vault's."""
    from cryptography import x509

    from beffroi.intent import site_intent

    inv = load_inventory(INVENTORY)
    rendered = render_site(inv, slug, reveal_secrets=True)
    toml = next(t for o, t in rendered.items() if o.relpath.endswith("recorder.toml"))
    path = tmp_path / "recorder.toml"
    path.write_text(toml)
    res = subprocess.run([str(REPO / ".venv" / "bin" / "recorder"), "check-config", str(path)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    rec = site_intent(inv, slug, reveal_secrets=True).context()["recorder"]
    assert f'tls_cert = "{rec["tls"]["cert_path"]}"' in toml
    assert f'tls_key = "{rec["tls"]["key_path"]}"' in toml
    cert = x509.load_pem_x509_certificate(rec["tls"]["certificate"].encode())
    nvr = inv.site(slug).nvr
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert nvr.ip in san.get_values_for_type(x509.IPAddress)
    assert nvr.hostname in san.get_values_for_type(x509.DNSName)


def test_crisis_cell_relay_password_opens_its_live_account_on_every_nvr() -> None:
    """The hub's health probe logs in to each commune's relay as its own `probe` account (one
    password per commune): it asks, never watches (issue 12; people come through the wall)."""
    from beffroi.intent import REDACTED, crisis_cell_intent, site_intent
    from recorder.passwords import check_password

    inv = load_inventory(INVENTORY)
    hub = crisis_cell_intent(inv, reveal_secrets=True)
    passwords = set()
    for peer in hub["peers"]:
        users = site_intent(inv, peer["slug"], reveal_secrets=True).context()["recorder"]["users"]
        account = [u for u in users if u["id"] == peer["relay_user"]]
        assert len(account) == 1 and account[0]["role"] == "probe"
        assert check_password(account[0]["password_hash"], peer["relay_password"])
        passwords.add(peer["relay_password"])
    assert len(passwords) == len(hub["peers"]) == 3
    assert all(p["relay_password"] == REDACTED for p in crisis_cell_intent(inv)["peers"])
