"""The intent of a commune: every device's desired state, computed once from the model.

`site_intent()` is the only place desired state is derived. The renderer feeds its `context()` to
the templates in `templates/`; the Ansible inventory plugin exposes the same dict as the
`beffroi` host variable so roles render the same templates; drift and dossiers read it too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from ipaddress import IPv4Address, ip_address
from pathlib import Path
from typing import Any
from urllib.parse import quote

from beffroi import __version__, alerts, vault
from beffroi import secrets as keys
from beffroi.addressing import hub_wan_address
from beffroi.files import RenderedFile, site_files
from beffroi.findings import BeffroiError, Severity
from beffroi.inventory import Inventory, today
from beffroi.model import Department, Site
from beffroi.model.monitoring import RECORDER_MIN_FREE_PERCENT
from beffroi.secrets import REDACTED, redacted
from recorder import legal

RTSP_PORT = 554
NTP_PORT = 123
SSH_PORT = 22
WG_INTERFACE = "wg-beffroi"
RECORDER_USER = "beffroi-recorder"
# Where things live on the Linux hosts: `beffroi/files.py` and the roles read them from here.
PATHS = {
    "nftables_conf": "/etc/nftables.conf",
    "sysctl_forward": "/etc/sysctl.d/60-beffroi-forward.conf",  # NET-1: the firewall routes
    "wireguard_dir": "/etc/wireguard",
    "chrony_conf": "/etc/chrony/chrony.conf",
    "nut_dir": "/etc/nut",
    "recorder_config": "/etc/beffroi/recorder.toml",
    "recorder_venv": "/opt/beffroi/recorder",
    "recorder_wheelhouse": "/opt/beffroi/wheels",   # the wheels the venv installs offline
    "recorder_state_dir": "/var/lib/beffroi/recorder",
    # JRN-2: the key is not kept beside what it signs, nor are the signed checkpoints
    "recorder_signing_key": "/var/lib/beffroi/recorder-key/signing.pem",
    "recorder_checkpoint_dir": "/var/lib/beffroi/checkpoints",
    "systemd_dir": "/etc/systemd/system",
    "sshd_config": "/etc/ssh/sshd_config",
    # role common's baseline files (journald, security updates, the administrators' sudo)
    "journald_dropin": "/etc/systemd/journald.conf.d/beffroi.conf",
    "apt_conf_dir": "/etc/apt/apt.conf.d",
    "sudoers_admins": "/etc/sudoers.d/beffroi-admins",
    # the operator workstation's kiosk: the site CA in the system trust store, the browser policy
    "ca_trust_dir": "/usr/local/share/ca-certificates",
    "chromium_policy": "/etc/chromium/policies/managed/beffroi-kiosk.json",
    # the crisis cell: its health probe's status, the wall (issue 14 §3)
    "viewer_state_dir": "/var/lib/beffroi-viewer",
    "viewer_config": "/etc/beffroi/viewer.json",
    "viewer_program": "/usr/local/bin/beffroi-live-view",
    "wall_venv": "/opt/beffroi/wall",
    "wall_wheelhouse": "/opt/beffroi/wall-wheels",
    "wall_config": "/etc/beffroi/wall.json",
    "wall_key_dir": "/etc/beffroi/wall-keys",
    "wall_state_dir": "/var/lib/beffroi/wall",
    "wall_journal_key": "/var/lib/beffroi/wall-journal-key/journal.pem",
}
WALL_USER = "beffroi-wall"
# ACC-4: the crisis cell's health probe of every live relay (a DESCRIBE, never a view): its
# account, how often it runs (systemd time span), seconds before a stream counts as down.
VIEWER = {"user": "beffroi-viewer", "interval": "1min", "timeout": 8}
KIOSK_USER = "beffroi-kiosk"
# NET-3: administration over SSH with keys only, members of one group, never root (a lab whose
# controller connects as root overrides `permit_root_login` in its own configuration only).
SSHD = {"port": SSH_PORT, "permit_root_login": "no", "admin_group": "beffroi-admins",
        "max_auth_tries": 3, "client_alive_interval": 300}
# JRN-1: every host keeps its system journal (logins, sudo, configuration changes) on disk,
# bounded in size and age.
JOURNALD = {"storage": "persistent", "system_max_use": "1G", "max_retention": "1year"}
# NET-3: the Debian security archive daily, in apt's own words; never an automatic reboot (an
# NVR records continuously: a reboot is planned by a person).
UPGRADES = {"update_package_lists": "1", "unattended_upgrade": "1", "automatic_reboot": "false"}


def baseline() -> dict[str, Any]:
    """Role common's decisions for every Linux host (NET-3, JRN-1), in each host's context."""
    return {"sshd": dict(SSHD), "journald": dict(JOURNALD), "upgrades": dict(UPGRADES)}


@dataclass(frozen=True)
class FirewallRule:
    """One allowed flow of the commune firewall (everything else is dropped)."""

    chain: str          # input | forward
    src: str            # CIDR, address, or "wg" (from the tunnel)
    dst: str
    proto: str          # tcp | udp | icmp
    ports: tuple[int, ...]
    comment: str
    rule_id: str        # compliance id the flow exists for
    iif: str = ""       # "wg": only as it comes out of the tunnel (a spoofed WAN source is not)


@dataclass
class SiteIntent:
    """Desired state of one commune's devices."""

    site: Site
    context_data: dict[str, Any] = field(default_factory=dict)
    firewall_rules: list[FirewallRule] = field(default_factory=list)
    files: list[RenderedFile] = field(default_factory=list)  # every file of every host

    def context(self) -> dict[str, Any]:
        """The template context (JSON-able), identical for the renderer and Ansible."""
        return self.context_data


# How secrets enter the intent: False, redacted (nothing decrypted); True, decrypted with the
# configured vault password; a reader (vault path → secrets), e.g. the Ansible inventory's,
# which decrypts with Ansible's own vault secrets.
SecretReader = Callable[[Path], dict[str, Any]]
Reveal = bool | SecretReader


def read_secrets(reveal: Reveal, path: Path) -> dict[str, Any]:
    """Decrypt the vault file `path` as `reveal` says (True or a reader)."""

    return reveal(path) if callable(reveal) else vault.read_vault(path)


def _secrets(inv: Inventory, slug: str, reveal: Reveal) -> dict[str, Any]:
    """The site's vault content, or (not revealing) its shape with every value redacted."""
    path = inv.vault_file(slug)
    if not os.path.lexists(path):  # anything else (FIFO, link loop) is named by read_vault
        raise BeffroiError(f"secrets of {slug} not found at {path}: run `beffroi site new` or "
                           "restore the vault file")
    if reveal:
        secrets = read_secrets(reveal, path)
        _check_key_pair(inv, slug, secrets.get(keys.WIREGUARD_PRIVATE_KEY))
        return secrets
    site = inv.site(slug)  # the shape `site new` writes; nothing decrypted
    return redacted([c.name for c in site.cameras], [h.id for h in site.habilitations])


def _check_key_pair(inv: Inventory, slug: str, private: object) -> None:
    """ENG-WG-KEY: the site's public key is the vault key's — a pasted private key is not."""
    from beffroi.model.keys import wireguard_key_pair_matches

    public = inv.site(slug).firewall.wireguard_public_key
    if isinstance(private, str) and not wireguard_key_pair_matches(public, private):
        raise BeffroiError(f"ENG-WG-KEY: {inv.site_file(slug)} firewall.wireguard_public_key is "
                           f"not the public key of the WireGuard private key in "
                           f"{inv.vault_file(slug)} (a private key pasted as public, or a "
                           "stale key): write `wg pubkey` of the vault key there")


# --- recorder API TLS and the crisis cell's relay account (issue 10 §4) ----------------------
RECORDER_TLS_DIR = "/etc/beffroi/tls"
NVR_SECRETS_HINT = "add it with `scripts/vault-add-nvr-secrets.py INVENTORY SLUG`"


def _recorder_tls(slug: str, secrets: dict[str, Any]) -> dict[str, str]:
    """NET-2: where the recorder finds its certificate and key, and their vault content."""
    tls = secrets.get(keys.RECORDER_TLS)
    if not isinstance(tls, dict) or not set(keys.TLS_FIELDS) <= set(tls):
        raise BeffroiError(f"vault/{slug}.yml has no {keys.RECORDER_TLS} (the NVR's TLS "
                           f"certificate and key, NET-2): {NVR_SECRETS_HINT}")
    return {"cert_path": f"{RECORDER_TLS_DIR}/recorder.crt",
            "key_path": f"{RECORDER_TLS_DIR}/recorder.key",
            # as read (Sealed under Ansible: str() would unseal them)
            "certificate": tls["certificate"], "private_key": tls["private_key"]}


def _crisis_cell_viewer(slug: str, cell_hostname: str, cell_name: str,
                        secrets: dict[str, Any]) -> dict[str, Any]:
    """The crisis cell's health-probe account on this NVR (role `probe`: it asks whether each
    live mount is up and never watches, so it leaves no live_view line, issue 12); one
    password per commune, in the commune's vault. People are vouched for by the wall's tokens."""
    viewer = secrets.get(keys.CRISIS_CELL_VIEWER)
    if not isinstance(viewer, dict) or keys.USER_HASH not in viewer:
        raise BeffroiError(f"vault/{slug}.yml has no {keys.CRISIS_CELL_VIEWER} (the crisis cell's "
                           f"relay account, ACC-3): {NVR_SECRETS_HINT}")
    return {"id": cell_hostname, "name": cell_name, "role": "probe",
            "password_hash": viewer[keys.USER_HASH], "cameras": ["*"]}
# --- end ---------------------------------------------------------------------------------------


def firewall_rules(site: Site, ntp: list[str], live_port: int, api_port: int, wg_port: int,
                   hub_vpn: IPv4Address, admin_sources: list[str]) -> list[FirewallRule]:
    """The commune firewall's allowed flows; the policy of every chain is drop."""
    cams = str(site.network.camera_vlan.subnet)
    mgmt = str(site.network.management_vlan.subnet)
    nvr = str(site.nvr.ip)
    ntp_ips = [s for s in ntp if _is_ip(s)]
    rules = [FirewallRule("input", "any", "self", "udp", (wg_port,),
                          "WireGuard depuis le concentrateur de la cellule de crise", "NET-2")]
    rules += [FirewallRule("input", src, "self", "tcp", (SSH_PORT,),
                           "administration par SSH (clés uniquement)", "NET-3")
              for src in [mgmt, *admin_sources]]
    rules += [
        FirewallRule("forward", nvr, cams, "tcp", (RTSP_PORT, site.cameras[0].onvif_port
                                                   if site.cameras else 80),
                     "l'enregistreur lit les flux des caméras et les pilote en ONVIF", "NET-1"),
        FirewallRule("forward", cams, nvr, "udp", (NTP_PORT,),
                     "les caméras prennent l'heure sur l'enregistreur", "TIME-1"),
        FirewallRule("forward", nvr, ",".join(ntp_ips) or "any", "udp", (NTP_PORT,),
                     "l'enregistreur se synchronise sur les serveurs NTP du département", "TIME-1"),
        FirewallRule("forward", str(hub_vpn), nvr, "tcp", (live_port,),
                     "la cellule de crise lit le seul relais en direct, dans le tunnel", "ACC-4"),
        FirewallRule("forward", mgmt, nvr, "tcp", (api_port,),
                     "le poste d'exploitation utilise l'API de l'enregistreur", "ACC-2"),
    ]
    return rules


def site_monitoring(dept: Department) -> dict[str, Any] | None:
    """What a commune's firewall and NVR need to know of the department's monitoring host
    (`beffroi/monitoring.py` builds the host's own intent), or None when there is none."""
    mon = dept.monitoring
    if mon is None:
        return None
    return {"hostname": mon.hostname, "vpn_address": str(mon.vpn_address),
            "public_key": mon.wireguard_public_key,
            "endpoint": f"{mon.wan_address.ip}:{mon.wireguard_port}",
            "metrics_port": mon.metrics_port}


def monitoring_rule(site: Site, monitoring: dict[str, Any]) -> FirewallRule:
    """The department's monitoring host reads the NVR's metrics listener, out of its own
    tunnel, and nothing else (no video port, no other host: ACC-4, NET-1)."""
    return FirewallRule("forward", monitoring["vpn_address"], str(site.nvr.ip), "tcp",
                        (monitoring["metrics_port"],), "la supervision départementale lit les "
                        "seules métriques de l'enregistreur, dans son tunnel", "NET-1", iif="wg")


def _is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def site_intent(inv: Inventory, slug: str, reveal_secrets: Reveal = False) -> SiteIntent:
    """Everything a commune's devices should be, derived from its site file and department."""
    site = inv.site(slug)
    dept = inv.department
    cell = inv.crisis_cell
    if dept is None or cell is None:
        raise BeffroiError(f"{inv.root} needs a valid department.yml and crisis-cell.yml",
                           inv.findings)
    d = dept.defaults
    ntp = site.ntp_sources(dept.time.ntp_servers)
    admin_sources = [str(n) for n in d.admin_networks]
    rules = firewall_rules(site, ntp, d.live_relay_port, d.recorder_api_port, d.wireguard_port,
                           cell.vpn_address, admin_sources)
    rules += [FirewallRule("forward", str(site.nvr.ip), host, "tcp", ports,  # issue 15
                           "l'enregistreur envoie ses alertes aux partenaires, dans le tunnel",
                           "NET-2") for host, ports in alerts.alert_endpoints(site, dept)]
    monitoring = site_monitoring(dept)
    if monitoring is not None:
        rules.append(monitoring_rule(site, monitoring))
    vpn_prefix = dept.addressing.vpn_pool.prefixlen
    secrets = _secrets(inv, slug, reveal_secrets)
    storage = site.nvr.storage
    ctx: dict[str, Any] = {
        "version": __version__,
        "legal": {"password_min_length": legal.PASSWORD_MIN_LENGTH},  # ACC-5 / NET-3 preflights
        "site": site.model_dump(mode="json"),
        "department": {"code": dept.department.code, "name": dept.department.name,
                       "operator": dept.department.operator,
                       "timezone": dept.department.timezone},
        "ntp_servers": ntp,
        "ntp_max_offset_ms": dept.time.max_offset_ms,
        "ports": {"live_relay": d.live_relay_port, "recorder_api": d.recorder_api_port,
                  "wireguard": d.wireguard_port, "rtsp": RTSP_PORT, "ntp": NTP_PORT,
                  "ssh": SSH_PORT},
        "net": {
            "camera_subnet": str(site.network.camera_vlan.subnet),
            "management_subnet": str(site.network.management_vlan.subnet),
            "camera_vlan": site.network.camera_vlan.id,
            "management_vlan": site.network.management_vlan.id,
            "uplink_vlan": site.network.uplink_vlan_id,
            "wan_address": str(site.network.wan_address),
            "wan_gateway": str(site.network.wan_gateway),
            "admin_sources": admin_sources,
        },
        "firewall": {
            "hostname": site.firewall.hostname,
            "camera_ip": str(site.firewall.camera_ip),
            "management_ip": str(site.firewall.management_ip),
            "rules": [asdict(r) for r in rules],
            "ntp_ips": [s for s in ntp if _is_ip(s)],
        },
        "wireguard": {
            "interface": WG_INTERFACE,
            "address": f"{site.firewall.vpn_address}/{vpn_prefix}",
            "listen_port": d.wireguard_port,
            "private_key": secrets.get(keys.WIREGUARD_PRIVATE_KEY, REDACTED),
            "hub": {"public_key": cell.wireguard_public_key,
                    "endpoint": f"{cell.wan_address.ip}:{cell.wireguard_port}",
                    "vpn_address": str(cell.vpn_address),
                    "wan_address": str(hub_wan_address(dept.addressing))},
        },
        "nvr": {
            "hostname": site.nvr.hostname, "ip": str(site.nvr.ip),
            "gateway": str(site.firewall.management_ip),
            "storage_mount": storage.mount, "storage_capacity_gb": storage.capacity_gb,
            "required_storage_gb": _required_storage_gb(site),  # CAM-9, computed once
            "segment_seconds": site.nvr.segment_seconds or d.segment_seconds,
            "journal_retention_days": d.journal_retention_days,
            "ups": site.nvr.ups.model_dump(mode="json"),
            "signing_key": secrets.get(keys.NVR_SIGNING_KEY, REDACTED),
            "nut_password": secrets.get(keys.NUT_PASSWORD, REDACTED),
        },
        "recorder": {
            "retention_days": site.authorization.retention_days,
            "api_listen": f"{site.nvr.ip}:{d.recorder_api_port}",
            "relay_listen": f"{site.nvr.ip}:{d.live_relay_port}",
            "users": [{"id": h.id, "name": h.name, "role": h.role,
                       "password_hash": secrets.get(keys.RECORDER_USERS, {}).get(h.id, {})
                       .get(keys.USER_HASH, REDACTED)}
                      for h in site.habilitations]
            + [_crisis_cell_viewer(slug, cell.hostname, cell.name, secrets)],
            "tls": _recorder_tls(slug, secrets),
            # ACC-3/JRN-1: the relay admits the persons the crisis-cell wall vouches for
            "wall_public_key": cell.wall.public_key if cell.wall else "",
            "authorization": authorization_decision(site, today()),  # AUTH-1/2, decided here
            "user": RECORDER_USER,
        },
        "monitoring": monitoring,
        "paths": dict(PATHS),
        **baseline(),
        "workstation": _workstation(site, d.recorder_api_port, secrets),
        "services": _services(site),
        "events": alerts.recorder_events(site, dept, cell),  # issue 15: [events] of recorder
        "switch": _switch(site, secrets),
        "cameras": [_camera(site, i, secrets, ntp) for i in range(len(site.cameras))],
    }
    ctx["recorder"]["config"] = recorder_config(ctx)
    return SiteIntent(site=site, context_data=ctx, firewall_rules=rules, files=site_files(ctx))


def _workstation(site: Site, api_port: int, secrets: dict[str, Any]) -> dict[str, Any]:
    """The operator workstation (seed: « poste d'exploitation », 24" screen): a kiosk showing
    the commune console of its NVR, trusting the NVR's certificate and nothing else (NET-2)."""
    tls = secrets.get(keys.RECORDER_TLS) or {}
    origin = f"https://{site.nvr.ip}:{api_port}"
    return {"hostname": site.workstation.hostname, "ip": str(site.workstation.ip),
            "console_url": f"{origin}/", "console_origin": origin,
            # Chromium's managed policy: the console's origin only, no devtools, no sign-in
            "browser_policy": {
                "URLBlocklist": ["*"], "URLAllowlist": [origin],
                "DeveloperToolsAvailability": 2, "IncognitoModeAvailability": 1,
                "PasswordManagerEnabled": False, "AutofillAddressEnabled": False,
                "AutofillCreditCardEnabled": False, "BrowserSignin": 0, "SyncDisabled": True,
                "TranslateEnabled": False, "MetricsReportingEnabled": False,
                "DefaultGeolocationSetting": 2, "DefaultNotificationsSetting": 2,
                "AudioCaptureAllowed": False, "VideoCaptureAllowed": False,
                "PromptForDownloadLocation": False,
                "DownloadDirectory": "/var/lib/beffroi-kiosk/exports"},
            "user": KIOSK_USER, "ca_name": f"beffroi-{site.slug}-nvr",
            # the NVR's self-signed certificate is the site's trust anchor (beffroi/nvrtls.py)
            "ca_certificate": tls.get("certificate", REDACTED)}


def _required_storage_gb(site: Site) -> float:
    """CAM-9: GB the declared retention needs (legal.storage_needed_gb), rounded to 0.1 GB."""
    need = legal.storage_needed_gb([c.recording.bitrate_kbps for c in site.cameras],
                                   site.authorization.retention_days)
    return round(need, 1)


def recorder_config(ctx: dict[str, Any]) -> dict[str, Any]:
    """`/etc/beffroi/recorder.toml` as data: `templates/nvr/recorder.toml.j2` serializes it.

    Adding a recorder setting is one key here; `recorder check-config` validates the result.
    """
    nvr, rec = ctx["nvr"], ctx["recorder"]
    return {
        "recorder": {"site": ctx["site"]["slug"], "storage_root": nvr["storage_mount"],
                     "state_dir": ctx["paths"]["recorder_state_dir"],
                     "retention_days": rec["retention_days"],
                     "journal_retention_days": nvr["journal_retention_days"],
                     "min_free_percent": RECORDER_MIN_FREE_PERCENT,
                     "segment_seconds": nvr["segment_seconds"],
                     "signing_key": ctx["paths"]["recorder_signing_key"],
                     "checkpoint_dir": ctx["paths"]["recorder_checkpoint_dir"]},
        "api": {"listen": rec["api_listen"], "tls_cert": rec["tls"]["cert_path"],
                "tls_key": rec["tls"]["key_path"]},
        "relay": {"listen": rec["relay_listen"],
                  **({"wall_public_key": rec["wall_public_key"]} if rec["wall_public_key"]
                     else {})},
        **({"metrics": {"listen": f"{nvr['ip']}:{ctx['monitoring']['metrics_port']}"}}
           if ctx.get("monitoring") else {}),
        "time": {"sync_check": "chrony"},
        "events": {**ctx["events"], "onvif": alerts.onvif_sources(ctx)},
        "cameras": [{"id": cam["name"], "role": cam["role"],
                     "rtsp_url": _rtsp_url(cam, ctx["ports"]["rtsp"]),
                     "location": cam["location"], "expected_fps": cam["encoder"]["fps"],
                     "width": cam["encoder"]["width"], "height": cam["encoder"]["height"]}
                    for cam in ctx["cameras"]],
        "users": [{"id": u["id"], "name": u["name"], "role": u["role"],
                   "password_hash": u["password_hash"],
                   "cameras": [] if u["role"] == "admin" else ["*"]}
                  for u in rec["users"]],
    }


def _rtsp_url(cam: dict[str, Any], port: int) -> str:
    """The camera's stream URL with its vaulted account, percent-encoded (RFC 3986 userinfo)."""
    user = quote(str(cam["account"]["username"]), safe="")
    password = quote(str(cam["account"]["password"]), safe="")
    url = f"rtsp://{user}:{password}@{cam['ip']}:{port}{cam['rtsp_path']}"
    # A value derived from a secret is a secret too: the Ansible inventory hands it over sealed.
    return vault.Sealed(url) if isinstance(cam["account"]["password"], vault.Sealed) else url


def authorization_decision(site: Site, day: date) -> dict[str, Any]:
    """AUTH-1/AUTH-2, decided once: may the NVR record and stream on `day`, and why.

    The recorder role asserts `in_force` and prints `reason`; drift expects the recorder unit
    only when it is true; the dossiers read the same decision.
    """
    auth = site.authorization
    ref, issued, expires = auth.arrete_ref.strip(), auth.issued, auth.expires
    if not ref or issued is None or issued > day:
        reason = (f"AUTH-1 (CSI L252-1): {site.slug} has no prefectoral authorization in force "
                  f"on {day.isoformat()} (arrete_ref: '{ref}', issued: "
                  f"'{issued.isoformat() if issued else ''}'); recording is refused")
        return {"in_force": False, "rule": "AUTH-1", "on": day.isoformat(), "reason": reason}
    if expires is not None and day > expires:
        reason = (f"AUTH-2 (CSI L252-4): the authorization of {site.slug} expired on "
                  f"{expires.isoformat()}; recording is refused until it is renewed")
        return {"in_force": False, "rule": "AUTH-2", "on": day.isoformat(), "reason": reason}
    return {"in_force": True, "rule": "AUTH-1", "on": day.isoformat(),
            "reason": f"AUTH-1: {ref} issued {issued.isoformat()}"
                      + (f", expires {expires.isoformat()}" if expires else "")}


def recording_authorized(site: Site, day: date) -> bool:
    """AUTH-1/AUTH-2: an arrêté is in force on `day` (recording and streaming allowed)."""
    return bool(authorization_decision(site, day)["in_force"])


def _services(site: Site) -> dict[str, list[dict[str, str]]]:
    """Units that must be active on each Linux host, with the rule each one serves."""
    firewall = [{"unit": "nftables", "rule": "NET-1"}, {"unit": "chrony", "rule": "TIME-1"},
                {"unit": f"wg-quick@{WG_INTERFACE}", "rule": "NET-2"}]
    nvr = [{"unit": "chrony", "rule": "TIME-1"}]
    if recording_authorized(site, today()):
        nvr.append({"unit": "beffroi-recorder", "rule": "JRN-1"})
    return {"firewall": firewall, "nvr": nvr}


def _switch(site: Site, secrets: dict[str, Any]) -> dict[str, Any]:
    """Port plan: cameras on access ports with port security, unused ports shut."""
    p = site.switch.ports
    net = site.network
    by_port: dict[str, dict[str, Any]] = {}
    for cam in site.cameras:
        by_port[cam.switch_port] = {"mode": "access", "vlan": net.camera_vlan.id,
                                    "description": f"camera {cam.name}", "port_security": True}
    by_port[p.nvr] = {"mode": "access", "vlan": net.management_vlan.id,
                      "description": f"NVR {site.nvr.hostname}", "port_security": False}
    by_port[p.workstation] = {"mode": "access", "vlan": net.management_vlan.id,
                              "description": f"workstation {site.workstation.hostname}",
                              "port_security": False}
    by_port[p.firewall] = {"mode": "trunk",
                           "vlans": [net.camera_vlan.id, net.management_vlan.id,
                                     net.uplink_vlan_id],
                           "description": f"firewall {site.firewall.hostname}",
                           "port_security": False}
    by_port[p.uplink] = {"mode": "access", "vlan": net.uplink_vlan_id,
                         "description": "uplink to the collect network", "port_security": False}
    ports = []
    for n in range(p.first, p.first + p.count):
        name = f"{p.prefix}{n}"
        entry = by_port.get(name, {"mode": "unused", "description": "unused"})
        ports.append({"name": name, "shutdown": entry["mode"] == "unused", **entry})
    return {
        "hostname": site.switch.hostname, "platform": site.switch.platform,
        "model": site.switch.model, "ip": str(site.switch.ip),
        "netmask": str(net.management_vlan.subnet.netmask),
        "gateway": str(site.firewall.management_ip),
        "vlans": [{"id": net.camera_vlan.id, "name": "CAMERAS"},
                  {"id": net.management_vlan.id, "name": "MANAGEMENT"},
                  {"id": net.uplink_vlan_id, "name": "UPLINK"}],
        "ports": ports,
        "syslog": str(site.nvr.ip),
        "credentials": secrets.get(keys.SWITCH, {}),
    }


def _camera(site: Site, index: int, secrets: dict[str, Any], ntp: list[str]
            ) -> dict[str, Any]:
    """Desired settings of one camera (ONVIF): time, account, encoder, masks, services."""
    cam = site.cameras[index]
    creds = secrets.get(keys.CAMERAS, {}).get(cam.name, {})
    desired = {
        "name": cam.name, "ip": str(cam.ip), "role": cam.role, "location": cam.location,
        "onvif_port": cam.onvif_port, "rtsp_path": cam.rtsp_path,
        "time": {"timezone": "UTC", "ntp_servers": [str(site.nvr.ip)]},
        "account": {"username": creds.get("username", REDACTED),
                    "password": creds.get("password", REDACTED), "remove_default": True},
        "encoder": cam.recording.model_dump(mode="json"),
        "legal_floor": list(legal.stream_floor(cam.role)),  # CAM-1..3: width, height, fps
        "privacy_masks": [m.model_dump(mode="json") for m in cam.privacy_masks],
        "private_zones": [z.model_dump(mode="json") for z in cam.private_zones],
        "audio": False,
        "analytics": [],
        "services_disabled": ["upnp", "telnet", "ftp", "http", "p2p", "cloud"],
        "night_mode": cam.night_mode,
        "upstream_ntp": ntp,
    }
    desired["settings"] = camera_settings(desired)
    return desired


def camera_settings(cam: dict[str, Any]) -> dict[str, Any]:
    """The camera file (`templates/camera/camera.yml.j2` serializes it; the camera role and
    `network/camera` read it back): what the camera must be over ONVIF."""
    enc = cam["encoder"]
    return {
        "name": cam["name"], "address": cam["ip"], "onvif_port": cam["onvif_port"],
        "role": cam["role"], "location": cam["location"],
        "time": dict(cam["time"]),                                    # TIME-1
        "account": dict(cam["account"]),                              # NET-3
        "encoder": {k: enc[k] for k in ("codec", "width", "height", "fps", "bitrate_kbps")},
        "audio": False,                                               # CAM-6
        "analytics": [],                                              # CAM-6: no biometrics
        "night_mode": cam["night_mode"],                              # CAM-7
        "privacy_masks": [{"id": m["id"], **m["area"]} for m in cam["privacy_masks"]],  # CAM-5
        "services_disabled": list(cam["services_disabled"]),          # NET-3
    }


def _viewer_password(inv: Inventory, slug: str, reveal: Reveal) -> str:
    """The crisis cell's relay password on this commune's NVR (from the commune's vault)."""
    if not reveal:
        return REDACTED
    viewer = read_secrets(reveal, inv.vault_file(slug)).get(keys.CRISIS_CELL_VIEWER)
    if not isinstance(viewer, dict) or "password" not in viewer:
        raise BeffroiError(f"vault/{slug}.yml has no {keys.CRISIS_CELL_VIEWER}: {NVR_SECRETS_HINT}")
    return viewer["password"]  # type: ignore[no-any-return]  # Sealed under Ansible


def crisis_cell_intent(inv: Inventory, reveal_secrets: Reveal = False) -> dict[str, Any]:
    """The hub's context: one WireGuard peer per commune; only for a department whose every
    file validates (a hub with the peers of a broken commune is never rendered)."""
    from beffroi.validate import check_inventory

    cell, dept = inv.crisis_cell, inv.department
    if cell is None or dept is None:
        raise BeffroiError(f"{inv.root} needs a valid crisis-cell.yml and department.yml",
                           inv.findings)
    errors = [f for f in check_inventory(inv) if f.severity is Severity.ERROR]
    if errors:
        files = sorted({f.file for f in errors})
        raise BeffroiError(f"the crisis cell hub is not rendered: {len(files)} file(s) of the "
                           f"department do not validate ({', '.join(files)}); every commune "
                           "must validate first (beffroi validate)", errors)
    key: Any = REDACTED
    path = inv.root / "vault" / "crisis-cell.yml"
    if reveal_secrets:
        key = read_secrets(reveal_secrets, path).get(keys.WIREGUARD_PRIVATE_KEY, REDACTED)
    peers = [{"slug": s.slug, "commune": s.commune, "site_id": s.site_id,
              "public_key": s.firewall.wireguard_public_key,
              "endpoint": f"{s.network.wan_address.ip}:{dept.defaults.wireguard_port}",
              "vpn_address": str(s.firewall.vpn_address), "nvr_ip": str(s.nvr.ip),
              "live_relay": f"rtsp://{s.nvr.ip}:{dept.defaults.live_relay_port}",
              "relay_user": cell.hostname,
              "relay_password": _viewer_password(inv, s.slug, reveal_secrets),
              "cameras": [c.name for c in s.cameras]}
             for s in sorted(inv.sites.values(), key=lambda s: s.site_id)]
    return {"version": __version__, "hostname": cell.hostname, "name": cell.name,
            "wan_address": str(cell.wan_address),
            "address": f"{cell.vpn_address}/{dept.addressing.vpn_pool.prefixlen}",
            "listen_port": cell.wireguard_port, "private_key": key,
            "interface": WG_INTERFACE, "peers": peers, "paths": dict(PATHS),
            **baseline(), "viewer": _viewer(peers),
            "wall": _wall(inv, peers, path, reveal_secrets),
            "services": {"crisis_cell": hub_services(cell.wall is not None)}}


def hub_services(wall: bool) -> list[dict[str, str]]:
    """Units that must be active on the hub (drift checks them), with the rule each serves:
    the tunnels, the clock, the probe's timer and, when declared, the wall."""
    return [{"unit": f"wg-quick@{WG_INTERFACE}", "rule": "NET-2"},
            {"unit": "chrony", "rule": "TIME-1"},
            {"unit": "beffroi-viewer.timer", "rule": "ACC-4"},
            *([{"unit": "beffroi-wall", "rule": "ACC-4"}] if wall else [])]


def _viewer(peers: list[dict[str, Any]]) -> dict[str, Any]:
    """The health probe (ACC-4, issue 12): its viewer.json as data — each commune's live relay
    mounts, nothing else, and the crisis cell's probe account on each NVR."""
    config = {"timeout": VIEWER["timeout"], "state_dir": PATHS["viewer_state_dir"],
              "streams": [{"commune": p["commune"], "slug": p["slug"], "camera": camera,
                           "url": f"{p['live_relay']}/{camera}"}
                          for p in peers for camera in p["cameras"]],
              "credentials": {p["slug"]: {"user": p["relay_user"],
                                          "password": p["relay_password"]} for p in peers}}
    return {**VIEWER, "config": config}


def _wall(inv: Inventory, peers: list[dict[str, Any]], vault_path: Path,
          reveal: Reveal) -> dict[str, Any] | None:
    """The crisis-cell wall (issue 14 §3): its JSON file as data (recorder/wall/config.py reads
    it), its token key and TLS pair; None when crisis-cell.yml declares no wall."""
    cell = inv.crisis_cell
    if cell is None or cell.wall is None:
        return None
    w = cell.wall
    secrets = read_secrets(reveal, vault_path) if reveal else {}
    token_key = secrets.get(keys.WALL_TOKEN_KEY, REDACTED)
    if reveal:
        _check_wall_key(vault_path, token_key, w.public_key)
    tls = secrets.get(keys.WALL_TLS) or dict.fromkeys(keys.TLS_FIELDS, REDACTED)
    hashes = secrets.get(keys.WALL_RECIPIENTS, {})
    keys_dir = PATHS["wall_key_dir"]
    sites = {s.slug: s for s in inv.sites.values()}
    config = {
        "name": cell.name, "listen": f"{w.address}:{w.port}",
        "tls_cert": f"{keys_dir}/wall.crt", "tls_key": f"{keys_dir}/wall.key",
        "token_key": f"{keys_dir}/token.pem", "journal_key": PATHS["wall_journal_key"],
        "state_dir": PATHS["wall_state_dir"],
        "probe_status": f"{PATHS['viewer_state_dir']}/status.json",
        "communes": [{"slug": p["slug"], "name": p["commune"], "relay": p["live_relay"],
                      "cameras": [{"id": c.name, "location": c.location,
                                   "width": c.recording.width, "height": c.recording.height}
                                  for c in sites[p["slug"]].cameras]} for p in peers],
        "recipients": [{"id": r.id, "name": r.name, "service": r.service, "unit": r.unit,
                        "password_hash": hashes.get(r.id, {}).get(keys.USER_HASH, REDACTED),
                        "cameras": list(r.cameras)} for r in w.recipients],
    }
    return {"user": WALL_USER, "config": config, "token_key": token_key,
            "tls": {"certificate": tls["certificate"], "private_key": tls["private_key"]}}


def _check_wall_key(path: Path, private: object, public: str) -> None:
    """ACC-3: the NVRs trust crisis-cell.yml wall.public_key — it must be the vault key's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from recorder.viewtoken import public_key_b64

    try:
        key = serialization.load_pem_private_key(str(private).encode(), None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey) or public_key_b64(key) != public:
        raise BeffroiError(f"ACC-3: {path} {keys.WALL_TOKEN_KEY} is missing or is not the "
                           "private key of crisis-cell.yml wall.public_key (the NVRs would "
                           "refuse every token): run scripts/vault-add-wall-secrets.py and copy "
                           "the public key it prints")
