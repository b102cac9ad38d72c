"""One secrets vocabulary (beffroi/secrets.py): what `site new` generates, what the intent shows
without the vault, and what drift masks in diffs are the same keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beffroi import secrets, vault
from beffroi.intent import crisis_cell_intent, site_intent
from beffroi.inventory import load_inventory
from beffroi.nvrtls import nvr_certificate

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"


def _shape(node: Any) -> Any:
    return {k: _shape(v) for k, v in node.items()} if isinstance(node, dict) else "leaf"


def _leaves(node: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, k)]
    return [(key, node)]


def test_redacted_shape_is_the_generated_shape_with_every_value_hidden() -> None:
    made, public = secrets.generate("evrange", ["cam-a", "cam-b"], "mlefevre")
    assert public and public not in str(made)
    # `site new` adds the NVR's certificate once the NVR's address is allocated
    made[secrets.RECORDER_TLS] = nvr_certificate("evrange-nvr", "10.57.0.99", "Évrange")
    del made[secrets.RECORDER_USERS]["mlefevre"][secrets.INITIAL_PASSWORD]
    shown = secrets.redacted(["cam-a", "cam-b"], ["mlefevre"])
    assert _shape(shown) == _shape(made)
    assert {value for _key, value in _leaves(shown)} == {secrets.REDACTED}
    assert made[secrets.SWITCH]["username"] == "bf-evrange"
    assert all(len(v) >= 12 for k, v in _leaves(made) if k in ("password", "enable_secret"))


def test_every_vaulted_value_of_a_commune_is_masked_in_drift_diffs() -> None:
    inv = load_inventory(MOSELLE)
    hub = crisis_cell_intent(inv, reveal_secrets=True)
    for slug in inv.sites:
        stored = vault.read_vault(inv.vault_file(slug))
        ctx = site_intent(inv, slug, reveal_secrets=True).context()
        masked = set(secrets.vaulted_values(ctx))
        # the certificate is public; the hub's relay password lives in the hub's context
        viewer_password = stored[secrets.CRISIS_CELL_VIEWER]["password"]
        hidden = [v for k, v in _leaves(stored)
                  if k not in ("username", secrets.INITIAL_PASSWORD, "certificate")
                  and v != viewer_password]
        assert hidden and all(v in masked for v in hidden), slug
        assert viewer_password in secrets.vaulted_values(hub)
        text = "\n".join(str(v) for v in hidden)
        assert all(v not in secrets.mask(text, masked) for v in hidden)


def test_intent_without_vault_shows_the_redacted_shape() -> None:
    inv = load_inventory(MOSELLE)
    ctx = site_intent(inv, "evrange").context()
    assert ctx["wireguard"]["private_key"] == secrets.REDACTED
    assert ctx["nvr"]["signing_key"] == secrets.REDACTED
    assert {u["password_hash"] for u in ctx["recorder"]["users"]} == {secrets.REDACTED}
    assert secrets.vaulted_values(ctx) == []


def _vault_key_names() -> dict[str, str]:
    """The vault's key names as secrets.py spells them (constant value → constant name)."""
    names = ("WIREGUARD_PRIVATE_KEY", "NVR_SIGNING_KEY", "NUT_PASSWORD", "SWITCH", "CAMERAS",
             "RECORDER_USERS", "RECORDER_TLS", "CRISIS_CELL_VIEWER", "WALL_TOKEN_KEY",
             "WALL_TLS", "WALL_RECIPIENTS", "USER_HASH")
    return {getattr(secrets, n): n for n in names}


def test_the_intent_reads_the_vault_by_the_key_names_of_secrets_py_only() -> None:
    """Issue 11: a vault key name is written once (beffroi/secrets.py); the intent looks keys
    up (`.get(...)`, `... in vault`) through those constants, never through a literal."""
    import ast

    vocabulary = _vault_key_names()
    tree = ast.parse((REPO / "beffroi" / "intent.py").read_text(encoding="utf-8"))
    literals = []
    for node in ast.walk(tree):
        looked_up: list[ast.expr] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get" and node.args:
            looked_up.append(node.args[0])
        elif isinstance(node, ast.Compare) and any(isinstance(o, ast.In | ast.NotIn)
                                                   for o in node.ops):
            looked_up.append(node.left)
        literals += [f"line {n.lineno}: {n.value!r} (use secrets.{vocabulary[n.value]})"
                     for n in looked_up
                     if isinstance(n, ast.Constant) and n.value in vocabulary]
    assert literals == []
