"""The intent of the department's monitoring host, computed once from the model: its WireGuard
tunnels (one per commune firewall), Prometheus' scrape jobs (one per NVR, over the tunnel),
Beffroi's alert rules and Alertmanager's routing to the operator's on-call.

The commune side of the same flow (the firewall's peer and rule, the NVR's metrics listener)
is `beffroi.intent.site_monitoring()`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from beffroi import __version__
from beffroi.findings import BeffroiError
from beffroi.intent import PATHS, WG_INTERFACE, baseline
from beffroi.inventory import VAULT_DIR, Inventory
from beffroi.model import Department
from beffroi.model.monitoring import Monitoring
from beffroi.monitoring_rules import INHIBITS, RECORDER_LABEL, alert_rules
from beffroi.secrets import REDACTED

if TYPE_CHECKING:
    from beffroi.intent import Reveal

PROMETHEUS_LISTEN = "127.0.0.1:9090"      # operators reach it through SSH, never the WAN
ALERTMANAGER_LISTEN = "127.0.0.1:9093"
NODE_EXPORTER_LISTEN = "127.0.0.1:9100"   # textfiles only: tunnels' handshakes, peers, drift
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
# how often the tunnels' latest handshakes are written (systemd time span): TunnelDown reads them
HANDSHAKE_INTERVAL = "30s"
MONITORING_PATHS = {
    "prometheus_conf": "/etc/prometheus/prometheus.yml",
    "rules": "/etc/prometheus/beffroi-rules.yml",
    "alertmanager_conf": "/etc/prometheus/alertmanager.yml",
    "defaults_dir": "/etc/default",
    "textfile_dir": TEXTFILE_DIR,
    "handshakes_program": "/usr/local/bin/beffroi-wg-handshakes",   # roles/monitoring/files
    # shared with every Linux host of Beffroi: spelled once, in the intent
    **{key: PATHS[key] for key in ("wireguard_dir", "systemd_dir", "chrony_conf", "sshd_config",
                                   "journald_dropin", "apt_conf_dir", "sudoers_admins")},
}
RECORDER_JOB = "beffroi-recorder-"        # + slug: one scrape job per NVR


def _seconds(value: int) -> str:
    return f"{value}s"


def prometheus_config(mon: Monitoring, dept: Department, peers: list[dict[str, Any]]
                      ) -> dict[str, Any]:
    """`prometheus.yml` as data: one job per NVR at its metrics-only listener."""
    interval = _seconds(mon.scrape_interval_seconds)
    jobs = [{"job_name": f"{RECORDER_JOB}{p['slug']}", "scrape_interval": interval,
             "scrape_timeout": _seconds(min(10, mon.scrape_interval_seconds)),
             "metrics_path": "/metrics", "scheme": "http",  # inside WireGuard (NET-2)
             "static_configs": [{"targets": [p["metrics_target"]],
                                 "labels": {"beffroi": "recorder", "site": p["slug"],
                                            "nvr": p["nvr_hostname"]}}]}
            for p in peers]
    # the tunnels' handshakes (textfile of beffroi-wg-handshakes) get their commune's slug
    names = [{"source_labels": ["public_key"], "regex": re.escape(p["public_key"]),
              "target_label": "site", "replacement": p["slug"]} for p in peers]
    jobs.append({"job_name": "beffroi-monitoring-host", "scrape_interval": interval,
                 "static_configs": [{"targets": [NODE_EXPORTER_LISTEN],
                                     "labels": {"beffroi": "monitoring-host"}}],
                 "metric_relabel_configs": names})
    return {"global": {"scrape_interval": interval, "evaluation_interval": interval,
                       "external_labels": {"department": dept.department.code,
                                           "monitor": mon.hostname}},
            "rule_files": [MONITORING_PATHS["rules"]],
            "alerting": {"alertmanagers": [{"static_configs": [
                {"targets": [ALERTMANAGER_LISTEN]}]}]},
            "scrape_configs": jobs}


def _receiver(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name}
    if r.email:
        out["email_configs"] = [{"to": r.email, "send_resolved": True}]
    if r.webhook_url:
        out["webhook_configs"] = [{"url": r.webhook_url, "send_resolved": True}]
    return out


def alertmanager_config(mon: Monitoring) -> dict[str, Any]:
    """`alertmanager.yml` as data: every alert to every on-call receiver, grouped per site
    and alert; a tunnel down silences what it causes on the same site."""
    g = mon.grouping
    conf: dict[str, Any] = {"global": {"resolve_timeout": "5m"}}
    if mon.smtp is not None:
        conf["global"].update({"smtp_smarthost": mon.smtp.smarthost,
                               "smtp_from": mon.smtp.sender,
                               "smtp_require_tls": mon.smtp.require_tls})
    conf["route"] = {"receiver": "nobody", "group_by": ["alertname", "site"],
                     "group_wait": _seconds(g.group_wait_seconds),
                     "group_interval": _seconds(g.group_interval_seconds),
                     "repeat_interval": f"{g.repeat_interval_hours}h",
                     "routes": [{"receiver": r.name, "matchers": ['severity=~"critical|warning"'],
                                 "continue": True} for r in mon.on_call]}
    conf["inhibit_rules"] = [{"source_matchers": [f'alertname="{source}"'],
                              "target_matchers": [f'alertname=~"{"|".join(targets)}"'],
                              "equal": ["site"]}
                             for source, targets in INHIBITS.items()]
    # "nobody": Alertmanager's root receiver, reached only by an alert no route matched
    conf["receivers"] = [{"name": "nobody"}, *(_receiver(r) for r in mon.on_call)]
    return conf


def monitoring_intent(inv: Inventory, reveal_secrets: Reveal = False) -> dict[str, Any]:
    """The monitoring host's context (the renderer and the Ansible inventory read it)."""
    from beffroi.findings import Severity
    from beffroi.intent import read_secrets
    from beffroi.validate import check_inventory

    dept = inv.department
    if dept is None or dept.monitoring is None:
        raise BeffroiError(f"{inv.root}/department.yml declares no `monitoring` host: add the "
                           "`monitoring:` mapping (docs/monitoring.md) to render one")
    errors = [f for f in check_inventory(inv) if f.severity is Severity.ERROR]
    if errors:  # a monitoring host scraping a broken commune is never rendered
        files = sorted({f.file for f in errors})
        raise BeffroiError(f"the monitoring host is not rendered: {len(files)} file(s) of the "
                           f"department do not validate ({', '.join(files)}); fix them first "
                           "(beffroi validate)", errors)
    mon = dept.monitoring
    key: Any = REDACTED
    if reveal_secrets:
        key = read_secrets(reveal_secrets, inv.root / VAULT_DIR / "monitoring.yml").get(
            "wireguard_private_key", REDACTED)
    peers = [{"slug": s.slug, "commune": s.commune, "site_id": s.site_id,
              "public_key": s.firewall.wireguard_public_key,
              "endpoint": f"{s.network.wan_address.ip}:{dept.defaults.wireguard_port}",
              "vpn_address": str(s.firewall.vpn_address), "nvr_ip": str(s.nvr.ip),
              "nvr_hostname": s.nvr.hostname,
              "metrics_target": f"{s.nvr.ip}:{mon.metrics_port}"}
             for s in sorted(inv.sites.values(), key=lambda s: s.site_id)]
    return {"version": __version__, "hostname": mon.hostname, "name": mon.name,
            "operator": mon.operator, "wan_address": str(mon.wan_address),
            "wireguard": {"interface": WG_INTERFACE, "listen_port": mon.wireguard_port,
                          "address": f"{mon.vpn_address}/32", "private_key": key},
            "peers": peers, "paths": dict(MONITORING_PATHS), **baseline(),
            "listen": {"prometheus": PROMETHEUS_LISTEN, "alertmanager": ALERTMANAGER_LISTEN,
                       "node_exporter": NODE_EXPORTER_LISTEN},
            "recorder_label": RECORDER_LABEL,
            "prometheus": prometheus_config(mon, dept, peers),
            "rules": alert_rules(mon.thresholds),
            "alertmanager": alertmanager_config(mon),
            "daemon_args": daemon_args(),
            "handshakes": {"interval": HANDSHAKE_INTERVAL},
            "services": {"monitoring": monitoring_services()}}


def monitoring_services() -> list[dict[str, str]]:
    """Units that must be active on the monitoring host (drift checks them), with their rule:
    its tunnels and their handshakes' timer, the clock of its alerts, Prometheus' stack."""
    return [{"unit": f"wg-quick@{WG_INTERFACE}", "rule": "NET-2"},
            {"unit": "beffroi-wg-handshakes.timer", "rule": "NET-2"},
            {"unit": "chrony", "rule": "TIME-1"},
            *({"unit": name, "rule": "ENG-MONITORING"} for name in daemon_args())]


def daemon_args() -> dict[str, list[str]]:
    """Each Debian daemon's ARGS (/etc/default/NAME): loopback only, no clustering."""
    p = MONITORING_PATHS
    return {
        "prometheus": [f"--web.listen-address={PROMETHEUS_LISTEN}",
                       f"--config.file={p['prometheus_conf']}",
                       "--storage.tsdb.retention.time=90d"],
        "prometheus-alertmanager": [f"--web.listen-address={ALERTMANAGER_LISTEN}",
                                    f"--config.file={p['alertmanager_conf']}",
                                    "--cluster.listen-address="],  # no gossip port (9094)
        "prometheus-node-exporter": [f"--web.listen-address={NODE_EXPORTER_LISTEN}",
                                     f"--collector.textfile.directory={TEXTFILE_DIR}"],
    }
