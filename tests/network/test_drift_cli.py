"""`beffroi drift` as a command: help, usage errors, skipped devices (no device contacted)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from network_kit import write_endpoints


def test_help_explains_output_and_every_exit_code(cli: Any) -> None:
    res = cli(["drift", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    for words in ("ok, drifted", "unreachable", "skipped", "--diff", "json",
                  "0 every audited device matches", "1 at least one device drifted",
                  "2 usage or inventory error", "3 no drift found"):
        assert words in text, words


def test_unknown_commune_is_a_usage_error_without_traceback(cli: Any) -> None:
    res = cli(["drift", "--site", "atlantis", "--production"])
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
    # a department-wide audit: every commune and the department's own hosts
    assert {d["site"] for d in devices} == {"evrange", "hettange-grande", "roussy-le-village",
                                            "crisis-cell", "monitoring"}
    assert {d["status"] for d in devices} == {"skipped"}
    assert {d["kind"] for d in devices} == {"switch", "camera", "nvr", "firewall", "workstation",
                                            "crisis_cell", "monitoring"}


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


class _RecordingConnectors:
    """Stands in for the drift connectors (switch, camera, Linux): records who would be
    contacted, contacts nobody."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from beffroi.drift import audit
        from beffroi.drift.report import DeviceDrift, Status

        def connector(kind: str) -> Any:
            def connect(site: str, device: str, endpoint: Any, **_: Any) -> Any:
                self.calls.append((device, endpoint.host, endpoint.port))
                return DeviceDrift(site, device, kind, Status.OK, "recorded")
            return connect
        monkeypatch.setattr(audit, "CONNECTORS", {k: connector(k) for k in audit.KINDS})


@pytest.mark.parametrize("content", ["", "---\n", "{}\n", "# nothing\n"])
def test_empty_endpoints_file_is_a_usage_error_and_contacts_nothing(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    recorder = _RecordingConnectors()
    recorder.install(monkeypatch)
    eps = tmp_path / "endpoints.yml"
    eps.write_text(content, encoding="utf-8")
    res = cli(["drift", "--endpoints", str(eps), "--format", "json"])
    assert res.exit_code == 2, res.output
    assert str(eps) in res.output and "no device" in res.output
    assert recorder.calls == []


def test_missing_endpoints_file_is_a_usage_error(cli: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _RecordingConnectors()
    recorder.install(monkeypatch)
    res = cli(["drift", "--endpoints", str(tmp_path / "nowhere.yml")])
    assert res.exit_code == 2
    assert "nowhere.yml" in res.output and recorder.calls == []


@pytest.mark.timeout(30)
def test_fifo_endpoints_file_is_refused_without_hanging(cli: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _RecordingConnectors()
    recorder.install(monkeypatch)
    fifo = tmp_path / "endpoints.yml"
    os.mkfifo(fifo)
    res = cli(["drift", "--endpoints", str(fifo)])
    assert res.exit_code == 2
    assert "FIFO" in res.output and recorder.calls == []


def test_drift_contacts_only_the_endpoints_it_was_given(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _RecordingConnectors()
    recorder.install(monkeypatch)
    eps = write_endpoints(tmp_path / "endpoints.yml",
                          {"evrange-sw": {"host": "127.0.0.1", "port": 22501}})
    res = cli(["drift", "--endpoints", str(eps), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert recorder.calls == [("evrange-sw", "127.0.0.1", 22501)]


def test_the_plan_refuses_to_build_a_check_for_an_address_outside_the_endpoints() -> None:
    from beffroi.drift.audit import Reach
    from network.endpoints import Endpoint, EndpointsError

    reach = Reach({"evrange-sw": Endpoint("127.0.0.1", 22501)})
    assert reach.allowed(Endpoint("127.0.0.1", 22501))
    with pytest.raises(EndpointsError, match=r"10\.57\.0\.99"):
        reach.guard("evrange-nvr", Endpoint("10.57.0.99"))
    with pytest.raises(EndpointsError):
        Reach({})


def test_production_drift_pins_host_keys_to_the_department_known_hosts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from beffroi.drift import audit
    from beffroi.drift.report import DeviceDrift, Status
    from beffroi.inventory import load_inventory

    seen: dict[str, Any] = {}

    def connect(site: str, device: str, endpoint: Any, **_: Any) -> Any:
        seen[device] = endpoint
        return DeviceDrift(site, device, "nvr", Status.OK, "recorded")
    monkeypatch.setattr(audit, "CONNECTORS", {k: connect for k in audit.KINDS})
    inv_dir = Path(__file__).resolve().parents[2] / "inventories" / "moselle"
    audit.run(audit.plan(load_inventory(inv_dir), ["evrange"], None, ("nvr",)), 1)
    assert seen["evrange-nvr"].host == "10.57.0.99"  # its inventory address (not contacted)
    assert seen["evrange-nvr"].known_hosts == str(inv_dir.resolve() / "known_hosts")
    assert seen["evrange-nvr"].check_host_key


def test_drift_without_endpoints_refuses_and_contacts_nothing(
        cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Safety: with neither --endpoints nor --production, no connector is ever built."""
    from beffroi.drift import audit

    called: list[str] = []
    monkeypatch.setattr(audit, "run", lambda *a, **k: called.append("run") or [])
    res = cli(["drift", "--site", "evrange"])
    assert res.exit_code == 2, res.output
    assert "--endpoints" in res.output and "--production" in res.output
    assert "nothing was contacted" in res.output and called == []


def _series(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(path.read_text(encoding="utf-8"))
            for s in fam.samples}


def test_drift_results_become_the_series_the_monitoring_alerts_read(
        cli: Any, tmp_path: Path, fresh_switch: Any) -> None:
    """DriftFailed / DriftNotRun (beffroi/monitoring_rules.py) read beffroi_drift_in_sync and
    beffroi_drift_last_run_timestamp_seconds: a factory-fresh switch is drift, so Évrange is
    not in sync; the communes whose devices were all skipped are not claimed in sync either."""
    import time

    eps = write_endpoints(tmp_path / "endpoints.yml", {"evrange-sw": {
        "host": "127.0.0.1", "port": fresh_switch.ports[0], "profile": "fake-switches"}})
    prom = tmp_path / "textfile" / "beffroi_drift.prom"
    before = time.time()
    res = cli(["drift", "--endpoints", str(eps), "--kind", "switch", "--metrics-file",
               str(prom)])
    assert res.exit_code == 1
    series = _series(prom)
    assert series[("beffroi_drift_in_sync", (("site", "evrange"),))] == 0
    assert series[("beffroi_drift_devices", (("site", "evrange"), ("status", "drifted")))] == 1
    assert series[("beffroi_drift_in_sync", (("site", "roussy-le-village"),))] == 0
    assert series[("beffroi_drift_last_run_timestamp_seconds",
                   (("site", "evrange"),))] >= before


def test_a_commune_whose_audited_devices_all_match_is_in_sync(tmp_path: Path) -> None:
    from beffroi.drift.metrics import write_textfile
    from beffroi.drift.report import DeviceDrift, Status

    prom = tmp_path / "drift.prom"
    write_textfile(prom, [DeviceDrift("evrange", "evrange-sw", "switch", Status.OK),
                          DeviceDrift("evrange", "evrange-fw", "firewall", Status.SKIPPED),
                          DeviceDrift("roussy", "roussy-sw", "switch", Status.UNREACHABLE)],
                   now=1234.0)
    series = _series(prom)
    assert series[("beffroi_drift_in_sync", (("site", "evrange"),))] == 1
    assert series[("beffroi_drift_in_sync", (("site", "roussy"),))] == 0  # incomplete audit
    assert series[("beffroi_drift_last_run_timestamp_seconds", (("site", "evrange"),))] == 1234


def test_an_unwritable_metrics_file_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    eps = write_endpoints(tmp_path / "endpoints.yml", {"elsewhere": {"host": "127.0.0.1"}})
    res = cli(["drift", "--endpoints", str(eps), "--metrics-file",
               str(tmp_path / "file" / "drift.prom")])
    assert res.exit_code == 2 and "cannot write" in res.output and "Traceback" not in res.output
