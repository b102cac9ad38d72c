"""`beffroi rollout`: waves by Ansible serial, a failed commune stops its wave, a rerun resumes,
per-commune results from the callback; pre-flight and lab guard refuse before any host."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rollout_kit import REPO, beffroi, department, local_lab, probe_playbook, rollout

FOUR = ["evrange", "roussy-le-village", "hettange-grande", "kanfen"]


@pytest.fixture
def dept(tmp_path: Path) -> Path:
    """Moselle's three communes and Kanfen, made by `beffroi site new` during the test."""
    return department(tmp_path / "moselle")


def test_rollout_deploys_every_commune_in_waves_and_times_each(dept: Path,
                                                               tmp_path: Path) -> None:
    lab = local_lab(tmp_path / "lab", seconds=1)
    rc, report = rollout(dept, lab, probe_playbook(tmp_path / "pb"), tmp_path / "st/state.json",
                         "--canary", "1", "--wave-size", "3")
    assert rc == 0, report
    rows = {r["commune"]: r for r in report["communes"]}
    assert list(rows) == FOUR
    assert {r["result"] for r in rows.values()} == {"ok"}
    assert [rows[c]["wave"] for c in FOUR] == [1, 2, 2, 2]
    for r in rows.values():  # each commune ran its hosts' tasks, the 1 s probe included
        assert r["seconds"] >= 1.0
        assert set(r["hosts"].values()) == {"ok"} and len(r["hosts"]) == 2


def test_failed_commune_stops_its_wave_and_a_rerun_resumes(dept: Path, tmp_path: Path) -> None:
    playbook, state = probe_playbook(tmp_path / "pb"), tmp_path / "st/state.json"
    rc, first = rollout(dept, local_lab(tmp_path / "lab1", fail=["roussy-le-village"]),
                        playbook, state, "--canary", "1", "--wave-size", "2")
    assert rc == 1
    rows = {r["commune"]: r for r in first["communes"]}
    assert rows["evrange"]["result"] == "ok"
    assert rows["roussy-le-village"]["result"] == "failed"
    assert "probe failure of roussy-le-village" in rows["roussy-le-village"]["failure"]
    assert rows["hettange-grande"]["wave"] == 2  # its own deploy went on (free) …
    assert rows["kanfen"]["result"] == "not started"  # … but no later wave started
    finished = json.loads(state.read_text())["finished"]
    assert "roussy-le-village" not in finished and "kanfen" not in finished

    rc, second = rollout(dept, local_lab(tmp_path / "lab2"), playbook, state,
                         "--canary", "1", "--wave-size", "2")
    assert rc == 0, second
    again = [r["commune"] for r in second["communes"]]
    assert "evrange" not in again and "roussy-le-village" in again and "kanfen" in again
    assert set(json.loads(state.read_text())["finished"]) == set(FOUR)


def test_preflight_refuses_a_department_with_one_invalid_commune(dept: Path,
                                                                 tmp_path: Path) -> None:
    site = dept / "sites" / "kanfen.yml"
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["authorization"]["retention_days"] = 45  # RET-1: at most 30 days
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    res = beffroi("rollout", "-i", str(dept), "--lab-inventory", str(local_lab(tmp_path / "l")),
                  "--playbook", str(probe_playbook(tmp_path / "pb")),
                  "--state", str(tmp_path / "st/state.json"))
    assert res.returncode == 1
    assert "pre-flight" in res.stderr and "kanfen.yml" in res.stdout + res.stderr
    assert not (tmp_path / "st" / "ansible.log").exists()  # Ansible never started


def test_rollout_refuses_without_a_lab_unless_production(dept: Path, tmp_path: Path) -> None:
    res = beffroi("rollout", "-i", str(dept), "--lab", "h13-no-such-lab",
                  "--state", str(tmp_path / "st/state.json"))
    assert res.returncode == 2
    assert "no running lab" in res.stderr and "--production" in res.stderr
    assert not (tmp_path / "st" / "ansible.log").exists()


def test_plan_for_725_communes_contacts_no_host(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from scale import generate

    root = tmp_path / "dept"
    generate(root, 12)  # the benchmark's generator (1 s a commune: vault, keys); 725 in the docs
    res = beffroi("rollout", "--plan", "-i", str(root), "--canary", "1", "--wave-size", "5",
                  "-f", "json", env={"ANSIBLE_CONFIG": "/nonexistent"})
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    assert plan["communes"] == 12
    assert [len(w["communes"]) for w in plan["waves"]] == [1, 5, 5, 1]
    assert plan["serial"] == [2, 10, 10, 2] and plan["forks"] == 10
    assert plan["waves"][0]["communes"] == ["commune-001"]  # site_id order, canary first
    assert not (REPO / "out" / "rollout" / "dept").exists()


def test_essaimage_wave_play_converges_the_same_roles_as_site(tmp_path: Path) -> None:
    site = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text(encoding="utf-8"))
    ess = yaml.safe_load((REPO / "playbooks" / "essaimage.yml").read_text(encoding="utf-8"))
    waves = next(p for p in ess if "roles" in p)
    assert waves["roles"] == next(p for p in site if "roles" in p)["roles"]
    assert waves["max_fail_percentage"] == 0 and waves["strategy"] == "beffroi_wave"
    assert "lab_guard" in json.dumps(ess[0])


def test_a_commune_outside_the_lab_is_refused_and_nothing_is_deployed(dept: Path,
                                                                      tmp_path: Path) -> None:
    lab = local_lab(tmp_path / "lab")
    hosts = yaml.safe_load((lab / "hosts.yml").read_text())
    del hosts["all"]["vars"]["beffroi_lab"]  # the lab holds every commune but Kanfen
    hosts["all"]["hosts"] = {h: {"beffroi_lab": True} for h in (
        "evrange-fw", "evrange-nvr", "roussy-le-village-fw", "roussy-le-village-nvr",
        "hettange-grande-fw", "hettange-grande-nvr")}
    (lab / "hosts.yml").write_text(yaml.safe_dump(hosts))
    rc, report = rollout(dept, lab, probe_playbook(tmp_path / "pb"), tmp_path / "st/state.json")
    assert rc == 1
    rows = {r["commune"]: r for r in report["communes"]}
    assert rows["kanfen"]["result"] == "refused" and "running lab" in rows["kanfen"]["failure"]
    assert {rows[c]["result"] for c in FOUR[:3]} == {"not started"}  # the guard stops all
