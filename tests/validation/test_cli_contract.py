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


# --- failures are loud: inventory layout, vault files, file-system edge cases (issue 9 §4) ---

def _rules(result: Any) -> set[tuple[str, str]]:
    return {(f["rule"], f["file"].split("/")[-1]) for f in result.json()}


def test_missing_sites_directory_is_an_error_not_zero_sites(moselle: InventoryCopy) -> None:
    import shutil
    shutil.rmtree(moselle.file("sites"))
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    assert result.exit_code == 1
    assert ("ENG-LAYOUT", "sites") in _rules(result)


def test_sites_as_a_plain_file_is_an_error(moselle: InventoryCopy) -> None:
    import shutil
    shutil.rmtree(moselle.file("sites"))
    moselle.file("sites").write_text("evrange\n", encoding="utf-8")
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    assert result.exit_code == 1
    assert ("ENG-LAYOUT", "sites") in _rules(result)


@pytest.mark.parametrize("name", ["kanfen.yaml", "kanfen.YML", "kanfen.Yaml"])
def test_a_site_file_with_another_extension_is_an_error_not_ignored(
        moselle: InventoryCopy, name: str) -> None:
    moselle.file(f"sites/{name}").write_text(moselle.file("sites/evrange.yml").read_text())
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    assert result.exit_code == 1
    assert ("ENG-LAYOUT", name) in _rules(result)


def test_a_plaintext_vault_file_is_a_validation_error(moselle: InventoryCopy) -> None:
    moselle.file("vault/evrange.yml").write_text("wireguard_private_key: x\n", encoding="utf-8")
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    assert result.exit_code == 1
    assert ("ENG-VAULT", "evrange.yml") in _rules(result)
    assert any("ansible-vault encrypt" in f["hint"] for f in result.json())


def test_a_missing_vault_file_is_a_validation_error(moselle: InventoryCopy) -> None:
    moselle.file("vault/roussy-le-village.yml").unlink()
    result = invoke_beffroi(["validate", str(moselle.root), "--format", "json"])
    assert result.exit_code == 1
    assert ("ENG-VAULT", "roussy-le-village.yml") in _rules(result)


def test_render_crisis_cell_refuses_while_a_commune_fails_validation(
        moselle: InventoryCopy, tmp_path: Any) -> None:
    moselle.set("sites/roussy-le-village.yml", ("authorization", "retention_days"), 31)
    out = tmp_path / "out"
    result = invoke_beffroi(["render", "--site", "crisis-cell", "--out", str(out),
                             "--inventory", str(moselle.root)])
    assert result.exit_code == 1
    assert "roussy-le-village.yml" in result.output and "hub is not rendered" in result.output
    assert not out.exists()


def test_render_crisis_cell_of_a_valid_department_lists_every_commune(
        moselle: InventoryCopy, tmp_path: Any) -> None:
    result = invoke_beffroi(["render", "--site", "crisis-cell", "--out", str(tmp_path),
                             "--inventory", str(moselle.root)])
    assert result.exit_code == 0, result.output
    (conf,) = (tmp_path / "crisis-cell").rglob("wg-beffroi.conf")
    text = conf.read_text(encoding="utf-8")
    assert all(slug in text for slug in ("evrange", "roussy-le-village", "hettange-grande"))


def _edge(kind: str, root: Any, tmp_path: Any) -> Any:
    """Make one file-system edge case; return the path to hand the CLI."""
    import os
    site = root / "sites" / "kanfen.yml"
    if kind == "symlink_loop":
        os.symlink(site.name, site)
        return site
    if kind == "dev_zero":
        os.symlink("/dev/zero", site)
        return site
    if kind == "fifo":
        os.mkfifo(site)
        return site
    if kind == "directory":
        site.mkdir()
        return site
    if kind == "huge":
        site.write_bytes(b"# " + b"x" * (8 * 1024 * 1024) + b"\n")
        return site
    raise AssertionError(kind)


EDGES = ["symlink_loop", "dev_zero", "fifo", "directory", "huge"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", EDGES)
def test_file_system_edge_case_in_sites_is_a_clear_error_not_a_hang(
        moselle: InventoryCopy, tmp_path: Any, kind: str) -> None:
    _edge(kind, moselle.root, tmp_path)
    result = run_beffroi(["validate", str(moselle.root), "--format", "json"], timeout=30)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert ("ENG-YAML", "kanfen.yml") in _rules(result) or \
        ("ENG-LAYOUT", "kanfen.yml") in _rules(result), result.output


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", EDGES)
def test_file_system_edge_case_named_directly_is_a_clear_error_not_a_hang(
        moselle: InventoryCopy, tmp_path: Any, kind: str) -> None:
    path = _edge(kind, moselle.root, tmp_path)
    result = run_beffroi(["validate", str(path)], timeout=30)
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "kanfen.yml" in result.output


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["symlink_loop", "fifo", "dev_zero"])
def test_render_with_a_broken_department_file_is_a_clear_error(
        moselle: InventoryCopy, tmp_path: Any, kind: str) -> None:
    import os
    dept = moselle.file("department.yml")
    dept.unlink()
    if kind == "symlink_loop":
        os.symlink(dept.name, dept)
    elif kind == "fifo":
        os.mkfifo(dept)
    else:
        os.symlink("/dev/zero", dept)
    result = run_beffroi(["render", "--site", "evrange", "--out", str(tmp_path / "o"),
                          "--inventory", str(moselle.root)], timeout=30)
    assert result.exit_code in (1, 2), result.output
    assert "department.yml" in result.output and "internal error" not in result.output


@pytest.mark.parametrize("args", [
    pytest.param(["validate", "x" * 300], id="validate_name_too_long"),
    pytest.param(["validate", "inventories/" + "x" * 300 + "/sites/a.yml"],
                 id="validate_site_name_too_long"),
    pytest.param(["render", "--site", "evrange", "--out", "out/" + "y" * 300],
                 id="render_out_too_long"),
    pytest.param(["render", "--site", "evrange", "--inventory", "z" * 300, "--out", "out/z"],
                 id="render_inventory_too_long"),
])
def test_over_long_names_are_a_clear_error(args: list[str]) -> None:
    result = run_beffroi(args, timeout=30)
    assert result.exit_code in (1, 2), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_render_out_that_is_a_file_is_a_usage_error(tmp_path: Any) -> None:
    out = tmp_path / "out"
    out.write_text("not a directory\n", encoding="utf-8")
    result = run_beffroi(["render", "--site", "evrange", "--out", str(out)], timeout=60)
    assert result.exit_code == 2, result.output
    assert str(out) in result.output and "internal error" not in result.output
    assert out.read_text(encoding="utf-8") == "not a directory\n"


@pytest.mark.timeout(60)
def test_render_symlink_loop_inventory_is_a_clear_error(tmp_path: Any) -> None:
    import os
    loop = tmp_path / "loop"
    os.symlink(loop.name, loop)
    result = run_beffroi(["render", "--site", "evrange", "--out", str(tmp_path / "o"),
                          "--inventory", str(loop)], timeout=30)
    assert result.exit_code in (1, 2), result.output
    assert "internal error" not in result.output and "symbolic link loop" in result.output


def test_render_refuses_a_commune_whose_vault_file_is_in_clear(moselle: InventoryCopy,
                                                               tmp_path: Any) -> None:
    moselle.file("vault/evrange.yml").write_text("nut_password: hunter2hunter2\n")
    result = invoke_beffroi(["render", "--site", "evrange", "--out", str(tmp_path),
                             "--inventory", str(moselle.root)])
    assert result.exit_code == 1
    assert "ENG-VAULT" in result.output and "vault/evrange.yml" in result.output
