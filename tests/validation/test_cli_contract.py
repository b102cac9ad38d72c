"""The fixed CLI surface of DESIGN.md: `beffroi validate` exit codes and `beffroi schema`.

These run the installed console script as a subprocess from the repository root, exactly as
the product owner's acceptance checks do.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import Any

import jsonschema
import pytest
import yaml

from validation.inventory_kit import MOSELLE, InventoryCopy, invoke_beffroi, run_beffroi

SITE_KEYS = {"commune", "slug", "site_id", "controller", "authorization", "habilitations",
             "cameras", "nvr", "switch", "firewall"}


def test_acceptance_moselle_inventory_validates_clean() -> None:
    result = run_beffroi(["validate", "inventories/moselle"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_validate_without_path_checks_the_moselle_inventory() -> None:
    result = run_beffroi(["validate", "--format", "json"])
    assert (result.exit_code, result.json()) == (0, [])


def test_acceptance_retention_31_days_exits_1_naming_ret1_and_csi_l252_5(
        moselle: InventoryCopy) -> None:
    moselle.set("sites/evrange.yml", ("authorization", "retention_days"), 31)
    result = run_beffroi(["validate", str(moselle.file("sites/evrange.yml"))])
    assert result.exit_code == 1
    assert "RET-1" in result.stdout and "CSI L252-5" in result.stdout
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    pytest.param(["validate", "inventories/nowhere"], id="missing_inventory_dir"),
    pytest.param(["validate", "inventories/moselle/sites/nowhere.yml"], id="missing_site_file"),
    pytest.param(["validate", "inventories/moselle", "--format", "yaml"], id="unknown_format"),
    pytest.param(["validate", "--no-such-option"], id="unknown_option"),
])
def test_validate_usage_error_exits_2_without_traceback(args: list[str]) -> None:
    result = run_beffroi(args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.strip(), "a usage error says what is wrong"


def test_validate_names_the_missing_path() -> None:
    result = run_beffroi(["validate", "inventories/nowhere"])
    assert "inventories/nowhere" in result.output and "does not exist" in result.output


def test_directory_without_department_file_is_a_finding_not_a_crash(tmp_path: Any) -> None:
    (tmp_path / "sites").mkdir()
    result = invoke_beffroi(["validate", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    assert [f["rule"] for f in result.json()] == ["ENG-SCHEMA"]
    assert "department.yml" in result.json()[0]["file"]


def test_validate_department_file_checks_the_department_not_a_site(
        moselle: InventoryCopy) -> None:
    assert invoke_beffroi(["validate", str(moselle.file("department.yml"))]).exit_code == 0
    moselle.set("sites/evrange.yml", ("authorization", "retention_days"), 31)
    moselle.set("department.yml", ("time", "ntp_servers"), ["100.64.0.123"])
    result = invoke_beffroi(["validate", str(moselle.file("department.yml")), "--format", "json"])
    assert result.exit_code == 1
    assert {(f["rule"], f["path"]) for f in result.json()} == {("TIME-1", "time.ntp_servers")}


@functools.cache
def _schema(kind: str = "site") -> dict[str, Any]:
    """`beffroi schema KIND` parsed (run once per kind per worker)."""
    result = run_beffroi(["schema", kind])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_schema_prints_a_valid_json_schema_of_the_site_file() -> None:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]).issuperset(SITE_KEYS)
    assert set(schema["required"]).issuperset(SITE_KEYS)
    assert schema["additionalProperties"] is False  # editors flag typos like the validator


def _as_json(node: Any) -> Any:
    """YAML data as JSON would carry it (dates become ISO strings)."""
    if isinstance(node, dict):
        return {k: _as_json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_json(v) for v in node]
    return node.isoformat() if isinstance(node, date) else node


@pytest.mark.parametrize("site", ["evrange", "roussy-le-village", "hettange-grande"])
def test_schema_accepts_every_pilot_site_file(site: str) -> None:
    data = _as_json(yaml.safe_load((MOSELLE / "sites" / f"{site}.yml").read_text()))
    jsonschema.validate(data, _schema())


def test_schema_rejects_a_typo_an_editor_should_flag() -> None:
    data = _as_json(yaml.safe_load((MOSELLE / "sites/evrange.yml").read_text()))
    data["authorization"]["retention_day"] = data["authorization"].pop("retention_days")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, _schema())


@pytest.mark.parametrize(("kind", "key"), [("department", "addressing"),
                                           ("crisis-cell", "wireguard_public_key")])
def test_schema_of_department_and_crisis_cell(kind: str, key: str) -> None:
    schema = _schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert key in schema["properties"]


def test_schema_of_unknown_kind_is_a_usage_error() -> None:
    result = run_beffroi(["schema", "camera"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
