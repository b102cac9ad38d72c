"""`beffroi drift` as a command: help, usage errors, skipped devices (no device contacted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import write_endpoints


def test_help_explains_output_and_every_exit_code(cli: Any) -> None:
    res = cli(["drift", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    for words in ("ok, drifted", "unreachable", "skipped", "--diff", "json",
                  "0 every audited device matches", "1 at least one device drifted",
                  "2 usage or inventory error", "3 no drift found"):
        assert words in text, words


def test_unknown_commune_is_a_usage_error_without_traceback(cli: Any) -> None:
    res = cli(["drift", "--site", "atlantis"])
    assert res.exit_code == 2
    assert "atlantis" in res.output and "Traceback" not in res.output


def test_malformed_endpoints_file_names_the_file_and_entry(cli: Any, tmp_path: Path) -> None:
    eps = tmp_path / "endpoints.yml"
    eps.write_text("evrange-sw: {port: 22}\n", encoding="utf-8")
    res = cli(["drift", "--site", "evrange", "--endpoints", str(eps)])
    assert res.exit_code == 2
    assert str(eps) in res.output and "evrange-sw" in res.output and "host" in res.output


def test_devices_missing_from_the_endpoints_file_are_skipped_and_clean(
        cli: Any, tmp_path: Path) -> None:
    eps = write_endpoints(tmp_path / "endpoints.yml", {"elsewhere": {"host": "127.0.0.1"}})
    res = cli(["drift", "--endpoints", str(eps), "--format", "json"])
    assert res.exit_code == 0
    devices = res.json()["devices"]
    assert {d["site"] for d in devices} == {"evrange", "hettange-grande", "roussy-le-village"}
    assert {d["status"] for d in devices} == {"skipped"}
    assert {d["kind"] for d in devices} == {"switch", "camera", "nvr", "firewall"}


def test_lab_inventory_override_directory_is_read_as_endpoints(tmp_path: Path) -> None:
    from network.endpoints import load_endpoints

    hv = tmp_path / "inventory" / "host_vars"
    hv.mkdir(parents=True)
    (hv / "evrange-fw.yml").write_text(
        "ansible_host: 10.57.0.97\nansible_user: root\n"
        "ansible_ssh_private_key_file: /k/id_ed25519\n"
        "ansible_ssh_common_args: -o StrictHostKeyChecking=no\n", encoding="utf-8")
    (hv / "notes.yml").write_text("beffroi_lab: x\n", encoding="utf-8")
    eps = load_endpoints(tmp_path / "inventory")
    assert list(eps) == ["evrange-fw"]
    fw = eps["evrange-fw"]
    assert (fw.host, fw.username, fw.ssh_key, fw.check_host_key) == \
        ("10.57.0.97", "root", "/k/id_ed25519", False)


def test_linux_host_that_refuses_ssh_is_unreachable_not_a_crash(cli: Any, tmp_path: Path
                                                                ) -> None:
    from network_peers import free_ports

    (closed,) = free_ports(1)
    eps = write_endpoints(tmp_path / "endpoints.yml", {"evrange-nvr": {
        "host": "127.0.0.1", "port": closed, "username": "root", "check_host_key": False}})
    res = cli(["drift", "--site", "evrange", "--kind", "nvr", "--endpoints", str(eps),
               "--format", "json"])
    assert res.exit_code == 3
    (dev,) = res.json()["devices"]
    assert dev["status"] == "unreachable"
    assert f"could not connect to 127.0.0.1:{closed}" in dev["detail"]
