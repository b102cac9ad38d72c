"""WireGuard as loaded (`wg show IF dump`) vs the intent, every field of every peer (NET-2).

The spoke has exactly one peer, the crisis-cell hub: its allowed IPs, endpoint, keepalive and
preshared key must be the rendered ones, and no other peer may exist. Keys are compared, never
printed: a peer is named by what it may reach, and a key by "differs".
"""

from __future__ import annotations

from typing import Any

# `wg show IF dump`: the interface line, then one line a peer
_IFACE = ("private_key", "public_key", "listen_port", "fwmark")
_PEER = ("public_key", "preshared_key", "endpoint", "allowed_ips", "latest_handshake",
         "rx", "tx", "keepalive")


def intended(wg: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(interface, hub peer) as `wg show dump` prints them, from the intent's `wireguard`."""
    hub = wg["hub"]
    iface = {"listen_port": str(wg["listen_port"]), "fwmark": "off"}
    if wg.get("private_key"):
        iface["private_key"] = str(wg["private_key"])
    peer = {"public_key": str(hub["public_key"]),
            "preshared_key": str(hub.get("preshared_key") or "(none)"),
            "endpoint": str(hub["endpoint"]),
            "allowed_ips": f"{hub['vpn_address']}/32",
            "keepalive": str(hub.get("keepalive", 25))}
    return iface, peer


def differences(dump: str, wg: dict[str, Any]) -> list[str]:
    """What differs, in words without key material; [] when the tunnel is as intended."""
    lines = [line.split("\t") for line in dump.splitlines() if "\t" in line]
    if not lines:
        return [f"WireGuard interface {wg['interface']} is not up"]
    iface = dict(zip(_IFACE, lines[0], strict=False))
    peers = [dict(zip(_PEER, fields, strict=False)) for fields in lines[1:]]
    want_iface, want_peer = intended(wg)
    out = []
    for key, value in want_iface.items():
        if iface.get(key) != value:
            shown = "differs" if key.endswith("_key") else \
                f"is {iface.get(key)}, intended {value}"
            out.append(f"WireGuard interface {key.replace('_', ' ')} {shown}")
    hub = [p for p in peers if p.get("public_key") == want_peer["public_key"]]
    for peer in peers:
        if peer not in hub:
            out.append(f"extra WireGuard peer (not the crisis-cell hub), allowed IPs "
                       f"{peer.get('allowed_ips', '?')}, endpoint {peer.get('endpoint', '?')}")
    if not hub:
        out.append("the crisis-cell hub is not a WireGuard peer")
        return out
    for key in ("preshared_key", "endpoint", "allowed_ips", "keepalive"):
        have, want = hub[0].get(key, ""), want_peer[key]
        if key == "allowed_ips":
            have, want = ",".join(sorted(have.split(","))), ",".join(sorted(want.split(",")))
        if key == "endpoint" and not _literal(want):
            continue   # a host name: wg prints the address it resolved to
        if have != want:
            shown = "differs" if key == "preshared_key" else f"is {have}, intended {want}"
            out.append(f"hub peer {key.replace('_', ' ')} {shown}")
    return [f"{what} (redeploy the firewall role: `wg-quick` reloads the rendered peer)"
            for what in out]


def _literal(endpoint: str) -> bool:
    host = endpoint.rsplit(":", 1)[0].strip("[]")
    return all(c in "0123456789.:abcdefABCDEF" for c in host)
