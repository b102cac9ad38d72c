"""The monitoring host's files, rendered once by the intent, pass the real parsers (Debian's
promtool and amtool, wg-quick), and every alert rule fires on synthetic series named exactly
like the recorder's metrics — and stays silent on healthy ones (`promtool test rules`)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from beffroi.files import RULES_CHECK, WG_CHECK
from beffroi.inventory import load_inventory
from beffroi.monitoring import MONITORING_PATHS
from beffroi.monitoring_rules import alert_names
from beffroi.render import render_monitoring
from recorder.metrics import Metrics

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"
pytestmark = pytest.mark.skipif(shutil.which("promtool") is None or shutil.which("amtool") is None,
                                reason="Debian's prometheus and prometheus-alertmanager")


@functools.cache
def _rendered(reveal: bool = False) -> dict[str, str]:
    out = render_monitoring(load_inventory(MOSELLE), reveal)
    return {o.relpath.split("/", 1)[1]: text for o, text in out.items()}


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, input=stdin, check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered files in a directory, prometheus.yml pointing at the rendered rules."""
    tmp = tmp_path_factory.mktemp("monitoring")
    for name, text in _rendered().items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text)
    full = (tmp / "prometheus.yml").read_text().replace(MONITORING_PATHS["rules"],
                                                       str(tmp / "beffroi-rules.yml"))
    (tmp / "prometheus-local.yml").write_text(full)
    return tmp


def test_monitoring_files_are_the_intents_list() -> None:
    assert set(_rendered()) == {"wg-beffroi.conf", "beffroi-rules.yml", "prometheus.yml",
                                "alertmanager.yml", "default/prometheus",
                                "default/prometheus-alertmanager",
                                "default/prometheus-node-exporter",
                                "systemd/wg-quick@wg-beffroi.service.d/beffroi.conf",
                                "systemd/beffroi-wg-handshakes.service",
                                "systemd/beffroi-wg-handshakes.timer"}


def test_tunnel_units_are_the_intents_decisions() -> None:
    """The wg-quick drop-in and the handshake units are the intent's items (issue 11: drift
    checks them): the tunnel address, the program and the interval come from the intent."""
    from beffroi.monitoring import HANDSHAKE_INTERVAL, monitoring_intent

    mon = monitoring_intent(load_inventory(MOSELLE))
    out = _rendered()
    dropin = out["systemd/wg-quick@wg-beffroi.service.d/beffroi.conf"]
    assert (f"ExecStartPost=/usr/sbin/ip address replace {mon['wireguard']['address']} "
            f"dev {mon['wireguard']['interface']}") in dropin
    assert "wireguard-go" not in dropin   # userspace is a fact of the host: the role's drop-in
    service = out["systemd/beffroi-wg-handshakes.service"]
    assert f"ExecStart={MONITORING_PATHS['handshakes_program']} wg-beffroi " in service
    assert f"OnUnitActiveSec={HANDSHAKE_INTERVAL}\n" in out["systemd/beffroi-wg-handshakes.timer"]


def test_prometheus_config_passes_promtool(files: Path) -> None:
    result = _run("promtool", "check", "config", str(files / "prometheus-local.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_rules_pass_promtool_as_the_role_checks_them(files: Path) -> None:
    cmd = RULES_CHECK.replace("/usr/bin/promtool", shutil.which("promtool") or "promtool")
    result = _run(*(cmd % (files / "beffroi-rules.yml")).split())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(alert_names())} rules found" in result.stdout


def test_alertmanager_config_passes_amtool(files: Path) -> None:
    result = _run("amtool", "check-config", str(files / "alertmanager.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_wireguard_config_passes_wg_quick_with_its_vault_key(tmp_path: Path) -> None:
    if shutil.which("wg-quick") is None:
        pytest.skip("wireguard-tools")
    path = tmp_path / "wg.conf"
    path.write_text(_rendered(reveal=True)["wg-beffroi.conf"])
    result = subprocess.run(["/bin/sh", "-c", WG_CHECK % path], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_one_scrape_job_per_nvr_at_its_metrics_listener_only(files: Path) -> None:
    conf = yaml.safe_load((files / "prometheus.yml").read_text())
    inv = load_inventory(MOSELLE)
    jobs = {j["job_name"]: j for j in conf["scrape_configs"]}
    nvrs = {f"beffroi-recorder-{s.slug}": f"{s.nvr.ip}:9188" for s in inv.sites.values()}
    for name, target in nvrs.items():
        assert jobs[name]["static_configs"][0]["targets"] == [target]
        assert jobs[name]["metrics_path"] == "/metrics"
    others = [j for n, j in jobs.items() if n not in nvrs]
    assert [t for j in others for c in j["static_configs"] for t in c["targets"]] == [
        "127.0.0.1:9100"]  # the host's own textfiles, nothing else


def test_monitoring_wireguard_peers_carry_a_firewall_and_its_nvr_only() -> None:
    text = _rendered()["wg-beffroi.conf"]
    inv = load_inventory(MOSELLE)
    allowed = [line.split("=", 1)[1].strip() for line in text.splitlines()
               if line.startswith("AllowedIPs")]
    assert sorted(allowed) == sorted(f"{s.firewall.vpn_address}/32, {s.nvr.ip}/32"
                                     for s in inv.sites.values())


def test_daemons_listen_on_loopback_only_and_alertmanager_does_not_gossip() -> None:
    rendered = _rendered()
    for name in ("prometheus", "prometheus-alertmanager", "prometheus-node-exporter"):
        args = rendered[f"default/{name}"].splitlines()[-1]
        assert "--web.listen-address=127.0.0.1:" in args, args
    assert rendered["default/prometheus-alertmanager"].rstrip().endswith(
        '--cluster.listen-address="')  # empty: no gossip port (9094) opened


@pytest.mark.parametrize(("labels", "receivers"), [
    ({"alertname": "RecorderDown", "site": "evrange", "severity": "critical"}, "mf-astreinte"),
    ({"alertname": "DiskHeadroomLow", "site": "evrange", "severity": "warning"}, "mf-astreinte"),
    ({"alertname": "Watchdog", "severity": "none"}, "nobody"),
])
def test_alerts_route_to_the_on_call(files: Path, labels: dict[str, str], receivers: str) -> None:
    result = _run("amtool", "config", "routes", "test", f"--config.file={files}/alertmanager.yml",
                  f"--verify.receivers={receivers}", *(f"{k}={v}" for k, v in labels.items()))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_tunnel_down_inhibits_what_it_causes_on_its_site_only(files: Path) -> None:
    conf = yaml.safe_load((files / "alertmanager.yml").read_text())
    tunnel = next(r for r in conf["inhibit_rules"]
                  if r["source_matchers"] == ['alertname="TunnelDown"'])
    assert tunnel["equal"] == ["site"]
    assert "RecorderDown" in tunnel["target_matchers"][0]
    assert conf["route"]["group_by"] == ["alertname", "site"]


# --- promtool unit tests: one firing and one silent case per alert ----------------------------
NVR = 'beffroi="recorder",site="evrange",nvr="evrange-nvr",job="beffroi-recorder-evrange",' \
      'instance="10.57.0.99:9188"'
NVR_LABELS = {"beffroi": "recorder", "site": "evrange", "nvr": "evrange-nvr",
              "job": "beffroi-recorder-evrange", "instance": "10.57.0.99:9188"}
CAM = 'camera="cam-mairie-narrow"'
KEY = "Z0K5H0Lq8yC0hYl9dHk2m2YV2c0ZkVdP9f0z8S2b1wU="
TUNNEL = f'public_key="{KEY}",site="evrange",beffroi="monitoring-host",' \
         'job="beffroi-monitoring-host",instance="127.0.0.1:9100"'
# (alert, series → values, eval time when it fires, extra expected labels, healthy series,
#  interval); thresholds are the example inventory's (department.yml monitoring.thresholds).
CASES: list[tuple[str, dict[str, str], str, dict[str, str], dict[str, str], str]] = [
    ("RecorderDown", {f"up{{{NVR}}}": "1 1 0x10"}, "3m", NVR_LABELS,
     {f"up{{{NVR}}}": "1x20"}, "30s"),
    ("CameraDown", {f'recorder_camera_state{{{NVR},{CAM},state="recording"}}': "1 1 0x20"},
     "4m", {**NVR_LABELS, "camera": "cam-mairie-narrow", "state": "recording"},
     {f'recorder_camera_state{{{NVR},{CAM},state="recording"}}': "1x20"}, "30s"),
    ("NoRecentSegment", {f"recorder_last_segment_age_seconds{{{NVR},{CAM}}}": "10+30x20"},
     "7m", {**NVR_LABELS, "camera": "cam-mairie-narrow"},
     {f"recorder_last_segment_age_seconds{{{NVR},{CAM}}}": "10 40 70 10 40 70 10 40 70 10 40 "
      "70 10 40 70 10 40 70"}, "30s"),
    ("DiskHeadroomLow", {f"recorder_disk_free_percent{{{NVR}}}": "20 20 12x40"}, "12m",
     NVR_LABELS, {f"recorder_disk_free_percent{{{NVR}}}": "50x40"}, "30s"),
    ("DiskOnlyHeldVideo", {f"recorder_disk_alarm{{{NVR}}}": "0 0 1x10",
                           f"recorder_purge_refused{{{NVR}}}": "0x12"}, "3m", NVR_LABELS,
     {f"recorder_disk_alarm{{{NVR}}}": "0x12", f"recorder_purge_refused{{{NVR}}}": "0x12"},
     "30s"),
    ("ClockUnsynchronised", {f"recorder_clock_synchronised{{{NVR}}}": "1 1 0x30"}, "7m",
     NVR_LABELS, {f"recorder_clock_synchronised{{{NVR}}}": "1x30"}, "30s"),
    ("TunnelDown", {f"beffroi_wireguard_latest_handshake_timestamp_seconds{{{TUNNEL}}}":
                    "60x30"}, "8m",
     {"public_key": KEY, "site": "evrange", "beffroi": "monitoring-host",
      "job": "beffroi-monitoring-host", "instance": "127.0.0.1:9100"},
     {f"beffroi_wireguard_latest_handshake_timestamp_seconds{{{TUNNEL}}}": "0+30x30"}, "30s"),
    ("DriftFailed", {'beffroi_drift_in_sync{site="evrange"}': "1 0x5"}, "1m",
     {"site": "evrange"}, {'beffroi_drift_in_sync{site="evrange"}': "1x5"}, "30s"),
    ("DriftNotRun", {'beffroi_drift_last_run_timestamp_seconds{site="evrange"}': "0x60"},
     "49h", {"site": "evrange"},
     {'beffroi_drift_last_run_timestamp_seconds{site="evrange"}': "0+3600x60"}, "1h"),
]


def _rule(rules: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in rules["groups"][0]["rules"] if r["alert"] == name)


def _unit_tests(rules: dict[str, Any], interval: str, rule_file: str = "beffroi-rules.yml",
                only: str = "") -> dict[str, Any]:
    """promtool's unit-test file for the cases sampled every `interval`."""
    tests = []
    for name, series, fires_at, labels, healthy, every in CASES:
        if every != interval or (only and name != only):
            continue
        rule = _rule(rules, name)
        expected = {**labels, **rule["labels"]}
        tests.append({"interval": every,
                      "input_series": [{"series": s, "values": v} for s, v in series.items()],
                      "alert_rule_test": [
                          {"eval_time": fires_at, "alertname": name, "exp_alerts": [
                              {"exp_labels": expected, "exp_annotations": rule["annotations"]}]},
                          {"eval_time": "0m", "alertname": name, "exp_alerts": []}]})
        tests.append({"interval": every,
                      "input_series": [{"series": s, "values": v} for s, v in healthy.items()],
                      "alert_rule_test": [{"eval_time": fires_at, "alertname": name,
                                           "exp_alerts": []}]})
    return {"rule_files": [rule_file], "evaluation_interval": interval, "tests": tests}


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    assert sorted(c[0] for c in CASES) == sorted(alert_names())


@pytest.mark.parametrize("interval", sorted({c[5] for c in CASES}))
def test_every_alert_rule_fires_on_its_fault_and_not_on_health(files: Path, interval: str
                                                               ) -> None:
    rules = yaml.safe_load((files / "beffroi-rules.yml").read_text())
    path = files / f"alerts_{interval}_test.yml"
    path.write_text(yaml.safe_dump(_unit_tests(rules, interval), sort_keys=False))
    result = _run("promtool", "test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_unit_tests_can_fail(files: Path) -> None:
    """A rule whose threshold moved (here: RecorderDown never fires) is caught."""
    rules = yaml.safe_load((files / "beffroi-rules.yml").read_text())
    _rule(rules, "RecorderDown")["expr"] = 'up{beffroi="recorder"} == 2'
    (files / "broken-rules.yml").write_text(yaml.safe_dump(rules))
    tests = _unit_tests(yaml.safe_load((files / "beffroi-rules.yml").read_text()), "30s",
                        "broken-rules.yml", only="RecorderDown")
    (files / "broken_test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = _run("promtool", "test", "rules", str(files / "broken_test.yml"))
    assert result.returncode != 0 and "RecorderDown" in result.stdout + result.stderr


def _exported_names(tmp: Path) -> set[str]:
    metrics = Metrics(tmp)
    metrics.set_state("cam", "recording")
    metrics.segment_indexed("cam", 1.0, 10)
    metrics.gaps.labels("cam").inc()
    text = metrics.render().decode()
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}


def test_rules_read_only_metrics_the_recorder_exports(tmp_path: Path) -> None:
    import re

    exported = _exported_names(tmp_path)
    rules = yaml.safe_load(_rendered()["beffroi-rules.yml"])
    used = {m for r in rules["groups"][0]["rules"] for m in re.findall(r"recorder_[a-z_]+",
                                                                        r["expr"])}
    assert used and used <= exported, used - exported
    series = {m for c in CASES for s in c[1] for m in re.findall(r"^recorder_[a-z_]+", s)}
    assert series <= exported, series - exported
