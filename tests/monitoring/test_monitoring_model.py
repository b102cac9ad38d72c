"""The monitoring host declared in department.yml: every mistake is a finding with its file,
field, rule id and what to do — never a traceback, never a silent default."""

from __future__ import annotations

from typing import Any

import pytest
from validation.inventory_kit import DELETE, Edit, InventoryCopy

from beffroi.findings import Finding, Severity
from beffroi.inventory import load_inventory
from beffroi.validate import check_inventory

DEPT = "department.yml"
MON = ("monitoring",)


def _errors(moselle: InventoryCopy, *edits: Edit) -> list[Finding]:
    moselle.apply(*edits)
    return [f for f in check_inventory(load_inventory(moselle.root))
            if f.severity is Severity.ERROR]


def test_example_monitoring_host_validates(moselle: InventoryCopy) -> None:
    assert _errors(moselle) == []


@pytest.mark.parametrize(("path", "value", "rule", "words"), [
    (("vpn_address",), "10.99.0.5", "ENG-POOL", "VPN pool"),
    (("wan_address",), "100.65.0.3/16", "ENG-POOL", "WAN pool"),
    (("vpn_address",), "10.58.0.0", "ENG-POOL", "not a host"),
    (("vpn_address",), "10.58.0.1", "ENG-IP", "crisis-cell hub"),
    (("vpn_address",), "10.58.0.2", "ENG-IP", "evrange's firewall"),
    (("wan_address",), "100.64.0.2/16", "ENG-IP", "crisis-cell hub"),
    (("metrics_port",), 8554, "ACC-4", "live_relay_port"),
    (("metrics_port",), 8443, "ACC-4", "recorder_api_port"),
    (("metrics_port",), 22, "ACC-4", "SSH"),
    (("hostname",), "cdc57-hub", "ENG-HOSTNAME", "already"),
    (("hostname",), "evrange-nvr", "ENG-HOSTNAME", "already"),
    (("wireguard_public_key",), "5puJKb6n5+4Q5MeRbm/RkESlKlhfxsz5nCgflkzkOSM=", "ENG-WG-KEY",
     "crisis-cell hub"),
    (("thresholds", "no_segment_seconds"), 100, "ENG-MONITORING", "two segments"),
    (("thresholds", "disk_free_percent"), 10, "ENG-MONITORING", "purge threshold"),
])
def test_a_wrong_monitoring_field_names_its_rule(moselle: InventoryCopy, path: tuple[str, ...],
                                                 value: Any, rule: str, words: str) -> None:
    errors = _errors(moselle, Edit(DEPT, (*MON, *path), value))
    mine = [f for f in errors if f.rule == rule]
    assert mine, errors
    assert mine[0].file.endswith(DEPT) and mine[0].line > 1
    assert words in mine[0].message and mine[0].hint


@pytest.mark.parametrize(("path", "value", "words"), [
    (("on_call", 0, "webhook_url"), "http://astreinte.example/hook", "https"),
    (("on_call", 0, "webhook_url"), "https://user:secret@astreinte.example/hook", "user"),
    (("on_call", 0, "webhook_url"), "https://astreinte.example/hook?token=abc", "query"),
    (("on_call", 0, "email"), "not-an-address", "pattern"),
    (("smtp",), DELETE, "smtp"),
    (("on_call",), [], "at least 1"),
    (("on_call", 0, "email"), DELETE, ""),   # still has its webhook: valid, checked below
    (("thresholds", "recorder_down_seconds"), 1, "greater than or equal"),
    (("wireguard_public_key",), "not a key", ""),
    (("name",), "Supervision\nMoselle", "LINE FEED"),
])
def test_a_malformed_monitoring_field_is_a_schema_finding(
        moselle: InventoryCopy, path: tuple[str | int, ...], value: Any, words: str) -> None:
    errors = _errors(moselle, Edit(DEPT, (*MON, *path), value))
    if path == ("on_call", 0, "email") and value is DELETE:
        assert errors == []
        return
    assert errors, "accepted"
    assert all(f.file.endswith(DEPT) for f in errors)
    assert any(words.lower() in (f.message + f.hint).lower() for f in errors), errors


def test_a_receiver_with_neither_mail_nor_webhook_is_refused(moselle: InventoryCopy) -> None:
    errors = _errors(moselle, Edit(DEPT, (*MON, "on_call", 0, "email"), DELETE),
                     Edit(DEPT, (*MON, "on_call", 0, "webhook_url"), DELETE))
    assert any("email" in f.message and "webhook_url" in f.message for f in errors), errors


def test_plain_http_webhook_only_to_loopback(moselle: InventoryCopy) -> None:
    assert _errors(moselle, Edit(DEPT, (*MON, "on_call", 0, "webhook_url"),
                                 "http://127.0.0.1:9095/relay")) == []


def test_monitoring_vault_must_be_encrypted(moselle: InventoryCopy) -> None:
    errors = _errors(moselle, Edit("vault/monitoring.yml", (), "wireguard_private_key: x\n"))
    assert [f.rule for f in errors] == ["ENG-VAULT"] and "monitoring.yml" in errors[0].file


def test_without_monitoring_nothing_is_required(moselle: InventoryCopy) -> None:
    moselle.apply(Edit(DEPT, MON, DELETE), Edit("vault/monitoring.yml", (), DELETE))
    assert [f for f in check_inventory(load_inventory(moselle.root))
            if f.severity is Severity.ERROR] == []


def test_no_monitoring_host_is_rendered_from_a_broken_department(moselle: InventoryCopy
                                                                 ) -> None:
    from beffroi.findings import BeffroiError
    from beffroi.render import render_monitoring

    moselle.apply(Edit("sites/evrange.yml", ("site_id",), 2))  # collides with another commune
    with pytest.raises(BeffroiError, match="monitoring host is not rendered"):
        render_monitoring(load_inventory(moselle.root))


def test_rendering_without_a_monitoring_host_says_what_to_add(moselle: InventoryCopy) -> None:
    from beffroi.findings import BeffroiError
    from beffroi.render import render_monitoring

    moselle.apply(Edit(DEPT, MON, DELETE))
    with pytest.raises(BeffroiError, match="declares no `monitoring` host: add"):
        render_monitoring(load_inventory(moselle.root))
