"""Every file of every host of a commune: where it goes, who owns it, how it is checked.

The intent builds this list once (`site_files`); the renderer renders it, the Ansible inventory
hands it to each host as `beffroi_files` (roles loop over it), and drift reads destinations,
modes and rule ids from it. A destination path is written here and nowhere else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Checks a file must pass before a role installs it (`%s`: the candidate file).
NFT_CHECK = "/usr/sbin/nft -c -f %s"
CHRONY_CHECK = "/usr/sbin/chronyd -p -f %s"
SSHD_CHECK = "/usr/sbin/sshd -T -f %s"
APT_CHECK = "/usr/bin/apt-config -c %s dump"
SUDOERS_CHECK = "/usr/sbin/visudo -cf %s"
# wg-quick parses it (it wants a NAME.conf path) and the private key must derive a public key.
WG_CHECK = ("/bin/sh -c 'd=$(mktemp -d) && cp \"$1\" \"$d/wgcheck.conf\" && wg-quick strip "
            "\"$d/wgcheck.conf\" > \"$d/stripped\" && sed -n \"s/^PrivateKey *= *//p\" "
            "\"$d/stripped\" | wg pubkey > /dev/null; r=$?; rm -rf \"$d\"; exit $r' wgcheck %s")
# Prometheus' and Alertmanager's own parsers (Debian's promtool / amtool).
PROMETHEUS_CHECK = "/usr/bin/promtool check config %s"
RULES_CHECK = "/usr/bin/promtool check rules %s"
ALERTMANAGER_CHECK = "/usr/bin/amtool check-config %s"
# upsdrvctl's test mode reads ups.conf beside a standalone nut.conf.
UPS_CHECK = ("/bin/sh -c 'd=$(mktemp -d) && cp \"$1\" \"$d/ups.conf\" && printf "
             "\"MODE=standalone\\n\" > \"$d/nut.conf\" && NUT_CONFPATH=\"$d\" /sbin/upsdrvctl "
             "-t start > /dev/null 2>&1; r=$?; rm -rf \"$d\"; exit $r' upscheck %s")


@dataclass(frozen=True)
class RenderedFile:
    """One rendered file: its template, the host it configures and how it lands there."""

    host: str              # inventory host name
    kind: str              # firewall | nvr | switch | camera | crisis_cell | workstation
    template: str          # path under templates/
    relpath: str           # path under the render output directory
    dest: str = ""         # path on the host ("" for devices configured over their API)
    rule: str = ""         # compliance id the file exists for (drift reports it)
    role: str = ""         # the role that installs it (it loops over its own files)
    owner: str = "root"
    group: str = "root"
    mode: str = "0644"
    validate: str = ""     # command checking the candidate file (%s), "" for none
    secret: bool = False   # holds vaulted values: no_log, no --diff, masked in drift diffs
    notify: tuple[str, ...] = ()     # handlers of the installing role
    variables: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def device(self) -> str:
        """The host, under the name the drift report and older callers use."""
        return self.host

    def ansible(self) -> dict[str, Any]:
        """The item a role loops over (JSON-able)."""
        item = asdict(self)
        item["notify"] = list(self.notify)
        return item


def site_files(ctx: dict[str, Any]) -> list[RenderedFile]:
    """Every file of a commune, from its intent context (`SiteIntent.context()`)."""
    fw, nvr, sw = ctx["firewall"]["hostname"], ctx["nvr"]["hostname"], ctx["switch"]["hostname"]
    paths = ctx["paths"]
    wg = ctx["wireguard"]["interface"]
    recorder_group = ctx["recorder"]["user"]
    chrony: dict[str, Any] = {"template": "common/chrony.conf.j2", "dest": paths["chrony_conf"],
              "rule": "TIME-1", "role": "common", "validate": CHRONY_CHECK,
              "notify": ("Restart chrony",)}
    nut: dict[str, Any] = {"rule": "CAM-9", "role": "nvr", "group": "nut", "mode": "0640",
           "notify": ("Restart NUT",)}
    files = [
        RenderedFile(fw, "firewall", "firewall/nftables.conf.j2", f"{fw}/nftables.conf",
                     paths["nftables_conf"], "NET-1", "firewall", mode="0600",
                     validate=NFT_CHECK, notify=("Reload nftables",)),
        RenderedFile(fw, "firewall", "firewall/sysctl-forward.conf.j2",
                     f"{fw}/sysctl.d/60-beffroi-forward.conf", paths["sysctl_forward"], "NET-1",
                     "firewall"),  # the role applies it when the live setting is off
        RenderedFile(fw, "firewall", "firewall/wg-spoke.conf.j2", f"{fw}/{wg}.conf",
                     f"{paths['wireguard_dir']}/{wg}.conf", "NET-2", "firewall", mode="0600",
                     validate=WG_CHECK, secret=True, notify=("Restart WireGuard spoke",)),
        RenderedFile(fw, "firewall", "firewall/wg-quick-dropin.conf.j2",
                     f"{fw}/systemd/wg-quick@{wg}.service.d/beffroi.conf",
                     f"{paths['systemd_dir']}/wg-quick@{wg}.service.d/beffroi.conf", "NET-2",
                     "firewall", notify=("Restart WireGuard spoke",)),
        RenderedFile(fw, "firewall", relpath=f"{fw}/chrony.conf",
                     variables={"chrony_serve_cameras": False}, **chrony),
        *_baseline(ctx, fw, "firewall"),
        RenderedFile(nvr, "nvr", "nvr/recorder.toml.j2", f"{nvr}/recorder.toml",
                     paths["recorder_config"], "RET-1", "recorder", group=recorder_group,
                     mode="0640", validate=f"{paths['recorder_venv']}/bin/recorder check-config %s",
                     secret=True, notify=("Restart recorder", "Restart relay")),
        *(RenderedFile(nvr, "nvr", f"nvr/{unit}.j2", f"{nvr}/systemd/{unit}",
                       f"{paths['systemd_dir']}/{unit}", rule, "recorder",
                       notify=("Restart recorder", "Restart relay"))
          for unit, rule in (("beffroi-recorder.service", "JRN-1"),
                             ("beffroi-relay.service", "ACC-4"))),
        RenderedFile(nvr, "nvr", relpath=f"{nvr}/chrony.conf",
                     variables={"chrony_serve_cameras": True}, **chrony),
        *_baseline(ctx, nvr, "nvr"),
        *(RenderedFile(nvr, "nvr", f"nvr/{name}.j2", f"{nvr}/nut/{name}",
                       f"{paths['nut_dir']}/{name}", secret=name != "ups.conf",
                       validate=UPS_CHECK if name == "ups.conf" else "", **nut)
          for name in ("nut.conf", "ups.conf", "upsd.users", "upsmon.conf")),
        RenderedFile(sw, "switch", f"switch/{ctx['switch']['platform']}.j2",
                     f"{sw}/running-config.{ctx['switch']['platform']}", rule="NET-1",
                     secret=True),  # pushed over the switch's API, no destination path
    ]
    files += _workstation_files(ctx, chrony)
    files += [RenderedFile(f"{ctx['site']['slug']}-{cam['name']}", "camera",
                           "camera/camera.yml.j2", f"cameras/{cam['name']}.yml",
                           secret=True)  # applied over ONVIF
              for cam in ctx["cameras"]]
    return files


def _sshd(ctx: dict[str, Any]) -> dict[str, Any]:
    """sshd_config of a Linux host (NET-3), from the intent's `sshd` decision."""
    return {"template": "common/sshd_config.j2", "dest": ctx["paths"]["sshd_config"],
            "rule": "NET-3", "role": "common", "mode": "0600", "validate": SSHD_CHECK,
            "notify": ("Reload sshd",), "variables": {"sshd": dict(ctx["sshd"])}}


def _baseline(ctx: dict[str, Any], host: str, kind: str) -> list[RenderedFile]:
    """Role common's files of a Linux host, from the intent's `baseline()` decisions: sshd
    (NET-3), the journal kept on disk (JRN-1), daily security updates and never a reboot
    (NET-3), the administrators' passwordless sudo (NET-3: they have SSH keys only)."""
    paths, apt = ctx["paths"], ctx["paths"]["apt_conf_dir"]
    common: dict[str, Any] = {"role": "common"}
    upgrades: dict[str, Any] = {"rule": "NET-3", "validate": APT_CHECK,
                                "variables": {"upgrades": dict(ctx["upgrades"])}, **common}
    return [
        RenderedFile(host, kind, relpath=f"{host}/sshd_config", **_sshd(ctx)),
        RenderedFile(host, kind, "common/journald.conf.j2", f"{host}/journald/beffroi.conf",
                     paths["journald_dropin"], "JRN-1", notify=("Restart journald",),
                     variables={"journald": dict(ctx["journald"])}, **common),
        RenderedFile(host, kind, "common/auto-upgrades.j2", f"{host}/apt/20auto-upgrades",
                     f"{apt}/20auto-upgrades", **upgrades),
        RenderedFile(host, kind, "common/unattended-upgrades.j2",
                     f"{host}/apt/52beffroi-unattended-upgrades",
                     f"{apt}/52beffroi-unattended-upgrades", **upgrades),
        RenderedFile(host, kind, "common/sudoers.j2", f"{host}/sudoers.d/beffroi-admins",
                     paths["sudoers_admins"], "NET-3", mode="0440", validate=SUDOERS_CHECK,
                     variables={"admin_group": ctx["sshd"]["admin_group"]}, **common),
    ]


def _workstation_files(ctx: dict[str, Any], chrony: dict[str, Any]) -> list[RenderedFile]:
    """The operator workstation's kiosk (issue 14 §4): the site's CA in the system trust store,
    the browser's managed policy (the console only), the kiosk unit; role common's chrony.conf
    and baseline (sshd_config, journald, apt, sudoers), as on every Linux host of the commune."""
    ws = ctx["workstation"]
    host = ws["hostname"]
    common: dict[str, Any] = {"role": "workstation"}
    return [
        RenderedFile(host, "workstation", relpath=f"{host}/chrony.conf",
                     variables={"chrony_serve_cameras": False}, **chrony),
        RenderedFile(host, "workstation", "workstation/site-ca.crt.j2", f"{host}/site-ca.crt",
                     f"{ctx['paths']['ca_trust_dir']}/{ws['ca_name']}.crt", "NET-2",
                     notify=("Update CA trust",), **common),
        RenderedFile(host, "workstation", "workstation/chromium-policy.json.j2",
                     f"{host}/chromium-policy.json",
                     ctx["paths"]["chromium_policy"], "ACC-2",
                     notify=("Restart kiosk",), **common),
        RenderedFile(host, "workstation", "workstation/beffroi-kiosk.service.j2",
                     f"{host}/systemd/beffroi-kiosk.service",
                     f"{ctx['paths']['systemd_dir']}/beffroi-kiosk.service", "ACC-2",
                     notify=("Restart kiosk",), **common),
        *_baseline(ctx, host, "workstation"),   # role common runs there too
    ]


def files_of(files: list[RenderedFile], host: str) -> list[RenderedFile]:
    """The files of one host, in list order."""
    return [f for f in files if f.host == host]


def hub_files(hub: dict[str, Any]) -> list[RenderedFile]:
    """The crisis cell hub's files, from its intent (`crisis_cell_intent`). Its chrony file is
    rendered by role common only, from the department's servers (`beffroi/drift/department.py`
    renders it as role common does)."""
    host, wg, paths = hub["hostname"], hub["interface"], hub["paths"]
    return [*_hub_base(host, wg, paths, hub), *_viewer_files(hub), *_wall_files(hub)]


def _viewer_files(hub: dict[str, Any]) -> list[RenderedFile]:
    """The health probe of the communes' live relays (ACC-4, issue 12): its configuration
    (the relay passwords, readable by the probe's group only) and its oneshot unit on a timer."""
    host, paths = hub["hostname"], hub["paths"]
    common: dict[str, Any] = {"rule": "ACC-4", "role": "crisis_cell",
                              "notify": ("Run the viewer",)}
    return [RenderedFile(host, "crisis_cell", "crisis_cell/viewer.json.j2", f"{host}/viewer.json",
                         paths["viewer_config"], group=hub["viewer"]["user"], mode="0640",
                         secret=True, **common),
            *(RenderedFile(host, "crisis_cell", f"crisis_cell/{unit}.j2", f"{host}/systemd/{unit}",
                           f"{paths['systemd_dir']}/{unit}", **common)
              for unit in ("beffroi-viewer.service", "beffroi-viewer.timer"))]


def _wall_files(hub: dict[str, Any]) -> list[RenderedFile]:
    """The crisis-cell wall's files (issue 14 §3): its JSON file (checked by the wall itself),
    its keys and certificate (in their own 0700 directory), its unit."""
    wall = hub.get("wall")
    if not wall:
        return []
    host, paths, user = hub["hostname"], hub["paths"], wall["user"]
    keys = paths["wall_key_dir"]
    common: dict[str, Any] = {"role": "crisis_cell", "group": user, "notify": ("Restart wall",)}
    return [
        RenderedFile(host, "crisis_cell", "crisis_cell/wall.json.j2", f"{host}/wall.json",
                     paths["wall_config"], "ACC-3", mode="0640", secret=True,
                     validate=f"{paths['wall_venv']}/bin/recorder check-wall %s", **common),
        *(RenderedFile(host, "crisis_cell", f"crisis_cell/{name}.j2", f"{host}/wall-keys/{name}",
                       f"{keys}/{name}", rule, owner=user, mode=mode, secret=secret,
                       role="crisis_cell", group=user, notify=("Restart wall",))
          for name, rule, mode, secret in (("token.pem", "ACC-3", "0600", True),
                                           ("wall.key", "NET-2", "0600", True),
                                           ("wall.crt", "NET-2", "0644", False))),
        RenderedFile(host, "crisis_cell", "crisis_cell/beffroi-wall.service.j2",
                     f"{host}/systemd/beffroi-wall.service",
                     f"{paths['systemd_dir']}/beffroi-wall.service", "ACC-4",
                     role="crisis_cell", notify=("Restart wall",)),
    ]


def _hub_base(host: str, wg: str, paths: dict[str, Any], hub: dict[str, Any]
            ) -> list[RenderedFile]:
    return [RenderedFile(host, "crisis_cell", "crisis_cell/wg-hub.conf.j2", f"{host}/{wg}.conf",
                         f"{paths['wireguard_dir']}/{wg}.conf", "NET-2", "crisis_cell",
                         mode="0600", validate=WG_CHECK, secret=True,
                         notify=("Restart WireGuard hub",)),
            RenderedFile(host, "crisis_cell", "common/chrony.conf.j2", f"{host}/chrony.conf",
                         paths["chrony_conf"], "TIME-1", "common", validate=CHRONY_CHECK,
                         notify=("Restart chrony",), variables={"chrony_serve_cameras": False}),
            RenderedFile(host, "crisis_cell", "crisis_cell/wg-quick-dropin.conf.j2",
                         f"{host}/systemd/wg-quick@{wg}.service.d/beffroi.conf",
                         f"{paths['systemd_dir']}/wg-quick@{wg}.service.d/beffroi.conf",
                         "NET-2", "crisis_cell", notify=("Restart WireGuard hub",)),
            *_baseline(hub, host, "crisis_cell")]


def monitoring_files(mon: dict[str, Any]) -> list[RenderedFile]:
    """The monitoring host's files, from its intent (`beffroi.monitoring.monitoring_intent`).
    The rules come before prometheus.yml: promtool checks the rule files the config names."""
    host, paths = mon["hostname"], mon["paths"]
    wg = mon["wireguard"]["interface"]
    kind = role = "monitoring"
    files = [
        RenderedFile(host, kind, "monitoring/wg-monitoring.conf.j2", f"{host}/{wg}.conf",
                     f"{paths['wireguard_dir']}/{wg}.conf", "NET-2", role, mode="0600",
                     validate=WG_CHECK, secret=True, notify=("Restart WireGuard monitoring",)),
        RenderedFile(host, kind, "monitoring/rules.yml.j2", f"{host}/beffroi-rules.yml",
                     paths["rules"], "ENG-MONITORING", role, validate=RULES_CHECK,
                     notify=("Reload Prometheus",)),
        RenderedFile(host, kind, "monitoring/prometheus.yml.j2", f"{host}/prometheus.yml",
                     paths["prometheus_conf"], "ENG-MONITORING", role, validate=PROMETHEUS_CHECK,
                     notify=("Reload Prometheus",)),
        RenderedFile(host, kind, "monitoring/alertmanager.yml.j2", f"{host}/alertmanager.yml",
                     paths["alertmanager_conf"], "ENG-MONITORING", role,
                     validate=ALERTMANAGER_CHECK, notify=("Reload Alertmanager",)),
    ]
    units = paths["systemd_dir"]
    files += [
        RenderedFile(host, kind, "monitoring/wg-quick-dropin.conf.j2",
                     f"{host}/systemd/wg-quick@{wg}.service.d/beffroi.conf",
                     f"{units}/wg-quick@{wg}.service.d/beffroi.conf", "NET-2", role,
                     notify=("Restart WireGuard monitoring",)),
        *(RenderedFile(host, kind, f"monitoring/{unit}.j2", f"{host}/systemd/{unit}",
                       f"{units}/{unit}", "NET-2", role, notify=("Write the handshakes",))
          for unit in ("beffroi-wg-handshakes.service", "beffroi-wg-handshakes.timer")),
    ]
    files += [RenderedFile(host, kind, "monitoring/daemon.default.j2", f"{host}/default/{name}",
                           f"{paths['defaults_dir']}/{name}", "NET-1", role,
                           notify=(f"Restart {name}",), variables={"daemon": name})
              for name in mon["daemon_args"]]
    # TIME-1: alert times are the monitoring host's; role common renders it as for the hub
    files.append(RenderedFile(host, kind, "common/chrony.conf.j2", f"{host}/chrony.conf",
                              paths["chrony_conf"], "TIME-1", "common", validate=CHRONY_CHECK,
                              notify=("Restart chrony",),
                              variables={"chrony_serve_cameras": False}))
    files += _baseline(mon, host, kind)
    return files
