"""The intent of a commune: every device's desired state, computed once from the model.

`site_intent()` is the only place desired state is derived. The renderer feeds its `context()` to
the templates in `templates/`; the Ansible inventory plugin exposes the same dict as the
`beffroi` host variable so roles render the same templates; drift and dossiers read it too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from ipaddress import IPv4Address, ip_address
from typing import Any

from beffroi import __version__
from beffroi.addressing import hub_wan_address
from beffroi.findings import BeffroiError
from beffroi.inventory import Inventory, today
from beffroi.model import Site

REDACTED = "<vault>"
RTSP_PORT = 554
NTP_PORT = 123
SSH_PORT = 22
WG_INTERFACE = "wg-beffroi"


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


@dataclass
class SiteIntent:
    """Desired state of one commune's devices."""

    site: Site
    context_data: dict[str, Any] = field(default_factory=dict)
    firewall_rules: list[FirewallRule] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        """The template context (JSON-able), identical for the renderer and Ansible."""
        return self.context_data


def _secrets(inv: Inventory, slug: str, reveal: bool) -> dict[str, Any]:
    """The site's vault content, or (not revealing) its shape with every value redacted."""
    from beffroi import vault

    path = inv.vault_file(slug)
    if not path.is_file():
        raise BeffroiError(f"secrets of {slug} not found at {path}: run `beffroi site new` or "
                           "restore the vault file")
    if reveal:
        return vault.read_vault(path)
    site = inv.site(slug)  # the shape `site new` writes; nothing decrypted
    return {"wireguard_private_key": REDACTED, "nvr_signing_key": REDACTED,
            "nut_password": REDACTED,
            "switch": {"username": REDACTED, "password": REDACTED, "enable_secret": REDACTED},
            "cameras": {c.name: {"username": REDACTED, "password": REDACTED}
                        for c in site.cameras},
            "recorder_users": {h.id: {"password_hash": REDACTED} for h in site.habilitations},
            "recorder_tls": {"certificate": REDACTED, "private_key": REDACTED},
            "crisis_cell_viewer": {"password": REDACTED, "password_hash": REDACTED}}


# --- recorder API TLS and the crisis cell's relay account (issue 10 §4) ----------------------
RECORDER_TLS_DIR = "/etc/beffroi/tls"
NVR_SECRETS_HINT = "add it with `scripts/vault-add-nvr-secrets.py INVENTORY SLUG`"


def _recorder_tls(slug: str, secrets: dict[str, Any]) -> dict[str, str]:
    """NET-2: where the recorder finds its certificate and key, and their vault content."""
    tls = secrets.get("recorder_tls")
    if not isinstance(tls, dict) or not {"certificate", "private_key"} <= set(tls):
        raise BeffroiError(f"vault/{slug}.yml has no recorder_tls (the NVR's TLS certificate "
                           f"and key, NET-2): {NVR_SECRETS_HINT}")
    return {"cert_path": f"{RECORDER_TLS_DIR}/recorder.crt",
            "key_path": f"{RECORDER_TLS_DIR}/recorder.key",
            "certificate": str(tls["certificate"]), "private_key": str(tls["private_key"])}


def _crisis_cell_viewer(slug: str, cell_hostname: str, cell_name: str,
                        secrets: dict[str, Any]) -> dict[str, Any]:
    """ACC-3/JRN-1: the crisis cell's own live-only account on this NVR (its relay probe),
    so the relay journals who watches; one password per commune, in the commune's vault."""
    viewer = secrets.get("crisis_cell_viewer")
    if not isinstance(viewer, dict) or "password_hash" not in viewer:
        raise BeffroiError(f"vault/{slug}.yml has no crisis_cell_viewer (the crisis cell's "
                           f"relay account, ACC-3): {NVR_SECRETS_HINT}")
    return {"id": cell_hostname, "name": cell_name, "role": "live",
            "password_hash": viewer["password_hash"], "cameras": ["*"]}
# --- end ---------------------------------------------------------------------------------------


def firewall_rules(site: Site, ntp: list[str], live_port: int, api_port: int, wg_port: int,
                   hub_vpn: IPv4Address, admin_sources: list[str]) -> list[FirewallRule]:
    """The commune firewall's allowed flows; the policy of every chain is drop."""
    cams = str(site.network.camera_vlan.subnet)
    mgmt = str(site.network.management_vlan.subnet)
    nvr = str(site.nvr.ip)
    ntp_ips = [s for s in ntp if _is_ip(s)]
    rules = [FirewallRule("input", "any", "self", "udp", (wg_port,),
                          "WireGuard from the crisis-cell hub", "NET-2")]
    rules += [FirewallRule("input", src, "self", "tcp", (SSH_PORT,),
                           "administration over SSH (keys only)", "NET-3")
              for src in [mgmt, *admin_sources]]
    rules += [
        FirewallRule("forward", nvr, cams, "tcp", (RTSP_PORT, site.cameras[0].onvif_port
                                                   if site.cameras else 80),
                     "NVR pulls camera streams and drives ONVIF", "NET-1"),
        FirewallRule("forward", cams, nvr, "udp", (NTP_PORT,),
                     "cameras take time from the NVR", "TIME-1"),
        FirewallRule("forward", nvr, ",".join(ntp_ips) or "any", "udp", (NTP_PORT,),
                     "NVR synchronises with the department's NTP servers", "TIME-1"),
        FirewallRule("forward", str(hub_vpn), nvr, "tcp", (live_port,),
                     "crisis cell pulls the live relay only, through the tunnel", "ACC-4"),
        FirewallRule("forward", mgmt, nvr, "tcp", (api_port,),
                     "operator workstation uses the recorder API", "ACC-2"),
    ]
    return rules


def _is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def site_intent(inv: Inventory, slug: str, reveal_secrets: bool = False) -> SiteIntent:
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
    vpn_prefix = dept.addressing.vpn_pool.prefixlen
    secrets = _secrets(inv, slug, reveal_secrets)
    storage = site.nvr.storage
    ctx: dict[str, Any] = {
        "version": __version__,
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
            "private_key": secrets.get("wireguard_private_key", REDACTED),
            "hub": {"public_key": cell.wireguard_public_key,
                    "endpoint": f"{cell.wan_address.ip}:{cell.wireguard_port}",
                    "vpn_address": str(cell.vpn_address),
                    "wan_address": str(hub_wan_address(dept.addressing))},
        },
        "nvr": {
            "hostname": site.nvr.hostname, "ip": str(site.nvr.ip),
            "gateway": str(site.firewall.management_ip),
            "storage_mount": storage.mount, "storage_capacity_gb": storage.capacity_gb,
            "segment_seconds": site.nvr.segment_seconds or d.segment_seconds,
            "journal_retention_days": d.journal_retention_days,
            "ups": site.nvr.ups.model_dump(mode="json"),
            "signing_key": secrets.get("nvr_signing_key", REDACTED),
            "nut_password": secrets.get("nut_password", REDACTED),
        },
        "recorder": {
            "retention_days": site.authorization.retention_days,
            "api_listen": f"{site.nvr.ip}:{d.recorder_api_port}",
            "relay_listen": f"{site.nvr.ip}:{d.live_relay_port}",
            "users": [{"id": h.id, "name": h.name, "role": h.role,
                       "password_hash": secrets.get("recorder_users", {}).get(h.id, {})
                       .get("password_hash", REDACTED)}
                      for h in site.habilitations]
            + [_crisis_cell_viewer(slug, cell.hostname, cell.name, secrets)],
            "tls": _recorder_tls(slug, secrets),
        },
        "services": _services(site),
        "switch": _switch(site, secrets),
        "cameras": [_camera(site, i, secrets, ntp) for i in range(len(site.cameras))],
    }
    return SiteIntent(site=site, context_data=ctx, firewall_rules=rules)


def recording_authorized(site: Site, day: date) -> bool:
    """AUTH-1/AUTH-2: an arrêté is in force on `day` (recording and streaming allowed)."""
    auth = site.authorization
    return bool(auth.arrete_ref.strip() and auth.issued and auth.issued <= day
                and (auth.expires is None or day <= auth.expires))


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
        "credentials": secrets.get("switch", {}),
    }


def _camera(site: Site, index: int, secrets: dict[str, Any], ntp: list[str]
            ) -> dict[str, Any]:
    """Desired settings of one camera (ONVIF): time, account, encoder, masks, services."""
    cam = site.cameras[index]
    creds = secrets.get("cameras", {}).get(cam.name, {})
    return {
        "name": cam.name, "ip": str(cam.ip), "role": cam.role, "location": cam.location,
        "onvif_port": cam.onvif_port, "rtsp_path": cam.rtsp_path,
        "time": {"timezone": "UTC", "ntp_servers": [str(site.nvr.ip)]},
        "account": {"username": creds.get("username", REDACTED),
                    "password": creds.get("password", REDACTED), "remove_default": True},
        "encoder": cam.recording.model_dump(mode="json"),
        "privacy_masks": [m.model_dump(mode="json") for m in cam.privacy_masks],
        "private_zones": [z.model_dump(mode="json") for z in cam.private_zones],
        "audio": False,
        "analytics": [],
        "services_disabled": ["upnp", "telnet", "ftp", "http", "p2p", "cloud"],
        "night_mode": cam.night_mode,
        "upstream_ntp": ntp,
    }


def _viewer_password(inv: Inventory, slug: str, reveal: bool) -> str:
    """The crisis cell's relay password on this commune's NVR (from the commune's vault)."""
    if not reveal:
        return REDACTED
    from beffroi import vault

    viewer = vault.read_vault(inv.vault_file(slug)).get("crisis_cell_viewer")
    if not isinstance(viewer, dict) or "password" not in viewer:
        raise BeffroiError(f"vault/{slug}.yml has no crisis_cell_viewer: {NVR_SECRETS_HINT}")
    return str(viewer["password"])


def crisis_cell_intent(inv: Inventory, reveal_secrets: bool = False) -> dict[str, Any]:
    """The hub's context: one WireGuard peer per valid commune of the inventory."""
    from beffroi import vault

    cell, dept = inv.crisis_cell, inv.department
    if cell is None or dept is None:
        raise BeffroiError(f"{inv.root} needs a valid crisis-cell.yml and department.yml",
                           inv.findings)
    key = REDACTED
    path = inv.root / "vault" / "crisis-cell.yml"
    if reveal_secrets:
        key = str(vault.read_vault(path).get("wireguard_private_key", REDACTED))
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
            "interface": WG_INTERFACE, "peers": peers}
