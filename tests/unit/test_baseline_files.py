"""Issue 11: the baseline every Beffroi Linux host gets from role common — sshd, journald,
security updates, the administrators' sudo — is the intent's (beffroi/intent.py SSHD, JOURNALD,
UPGRADES; items of beffroi/files.py): the role renders those items where they say; only the
how (chrony's container switch, the local fact, accounts) stays the role's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from beffroi import intent
from beffroi.files import RenderedFile, hub_files, monitoring_files
from beffroi.intent import crisis_cell_intent, site_intent
from beffroi.inventory import load_inventory
from beffroi.monitoring import monitoring_intent
from beffroi.render import render_file

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"
ROLE = REPO / "roles" / "common"
BASELINE = {"common/journald.conf.j2": "JRN-1", "common/auto-upgrades.j2": "NET-3",
            "common/unattended-upgrades.j2": "NET-3", "common/sudoers.j2": "NET-3"}


def _hosts() -> dict[str, list[RenderedFile]]:
    """Every Linux host of the example department that role common configures, its files."""
    inv = load_inventory(MOSELLE)
    files = site_intent(inv, "evrange").files
    out: dict[str, list[RenderedFile]] = {}
    for f in [*files, *hub_files(crisis_cell_intent(inv)),
              *monitoring_files(monitoring_intent(inv))]:
        if f.dest:
            out.setdefault(f.host, []).append(f)
    return out


def test_every_linux_host_carries_the_baseline_items() -> None:
    hosts = _hosts()
    assert set(hosts) == {"evrange-fw", "evrange-nvr", "evrange-ws", "cdc57-hub",
                          "mf57-supervision"}
    for host, files in hosts.items():
        baseline = {f.template: f for f in files if f.template in BASELINE}
        assert {t: f.rule for t, f in baseline.items()} == BASELINE, host
        assert all(f.role == "common" for f in baseline.values()), host
        sudoers = baseline["common/sudoers.j2"]
        assert (sudoers.dest, sudoers.mode, sudoers.validate) == (
            intent.PATHS["sudoers_admins"], "0440", "/usr/sbin/visudo -cf %s"), host
        assert baseline["common/journald.conf.j2"].dest == intent.PATHS["journald_dropin"]
        assert {f.dest.rsplit("/", 1)[0] for t, f in baseline.items() if "upgrades" in t} == {
            intent.PATHS["apt_conf_dir"]}


def _role_templates(items: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for tasks in sorted((ROLE / "tasks").glob("*.yml")):
        for task in yaml.safe_load(tasks.read_text(encoding="utf-8")) or []:
            if "ansible.builtin.template" in task:
                loop = str(task["loop"]).strip().removeprefix("{{").removesuffix("}}")
                found |= {i["template"] for i in
                          jinja2.Environment().compile_expression(loop)(beffroi_files=items)}
    return found


def test_role_common_installs_every_common_item_and_copies_no_decision() -> None:
    for host, files in _hosts().items():
        items = [f.ansible() for f in files]
        assert _role_templates(items) == {f.template for f in files if f.role == "common"}, host
    copied = [str(task["ansible.builtin.copy"]["dest"])
              for tasks in sorted((ROLE / "tasks").glob("*.yml"))
              for task in yaml.safe_load(tasks.read_text(encoding="utf-8")) or []
              if "ansible.builtin.copy" in task]
    for dest in copied:  # what is left is how: the chrony switch, the local fact, keys
        assert not any(word in dest for word in ("journald", "apt", "sudoers")), dest


def _rendered(host: str, template: str) -> str:
    inv = load_inventory(MOSELLE)
    intended = site_intent(inv, "evrange")
    (out,) = [f for f in intended.files if f.host == host and f.template == template]
    return render_file(intended.context(), out)


def test_the_sudoers_item_grants_the_intents_admin_group_only() -> None:
    text = _rendered("evrange-nvr", "common/sudoers.j2")
    group = intent.SSHD["admin_group"]
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == [
        f"%{group} ALL=(ALL:ALL) NOPASSWD: ALL"]


def test_changing_the_journald_decision_changes_the_rendered_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """JRN-1: a decision (not only a path) is read from the intent."""
    monkeypatch.setitem(intent.JOURNALD, "max_retention", "2year")
    assert "MaxRetentionSec=2year\n" in _rendered("evrange-fw", "common/journald.conf.j2")


@pytest.mark.parametrize("group", ["admins ALL", "admins,root", "adm\nroot ALL=(ALL) ALL",
                                   "%admins", "admins:x", "(ALL)"])
def test_a_hostile_admin_group_never_reaches_sudoers(group: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from beffroi.findings import BeffroiError

    monkeypatch.setitem(intent.SSHD, "admin_group", group)
    with pytest.raises(BeffroiError, match="sudoers"):
        _rendered("evrange-nvr", "common/sudoers.j2")
