"""WireGuard as loaded (`wg show IF dump`) vs the intent, every field of every peer (NET-2).

The spoke's peers are the crisis-cell hub and, when the department declares one, its monitoring
host: their allowed IPs, endpoint, keepalive and preshared key must be the rendered ones, and no
other peer may exist. The hub's and the monitoring host's peers are every commune's spoke and
nothing else, read from their rendered WireGuard file (`rendered_peers`). Keys are compared, never
printed: a peer is named by what it may reach, and a key by "differs".
"""

from __future__ import annotations

from typing import Any

# `wg show IF dump`: the interface line, then one line a peer
_IFACE = ("private_key", "public_key", "listen_port", "fwmark")
_PEER = ("public_key", "preshared_key", "endpoint", "allowed_ips", "latest_handshake",
         "rx", "tx", "keepalive")


def intended(wg: dict[str, Any], monitoring: dict[str, Any] | None = None
             ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(interface, peers by name) as `wg show dump` prints them, from the intent's `wireguard`
    (the crisis-cell hub) and `monitoring` (the department's monitoring host, when declared)."""
    hub = wg["hub"]
    iface = {"listen_port": str(wg["listen_port"]), "fwmark": "off"}
    if wg.get("private_key"):
        iface["private_key"] = str(wg["private_key"])
    peers = {"crisis-cell hub": {
        "public_key": str(hub["public_key"]),
        "preshared_key": str(hub.get("preshared_key") or "(none)"),
        "endpoint": str(hub["endpoint"]),
        "allowed_ips": f"{hub['vpn_address']}/32",
        "keepalive": str(hub.get("keepalive", 25))}}
    if monitoring:
        peers["monitoring host"] = {
            "public_key": str(monitoring["public_key"]), "preshared_key": "(none)",
            "endpoint": str(monitoring["endpoint"]),
            "allowed_ips": f"{monitoring['vpn_address']}/32", "keepalive": "off"}
    return iface, peers


def differences(dump: str, wg: dict[str, Any], monitoring: dict[str, Any] | None = None
                ) -> list[str]:
    """What differs on a commune firewall, in words without key material; [] when the tunnel
    is as intended."""
    want_iface, want_peers = intended(wg, monitoring)
    found = compare(dump, wg["interface"], want_iface, want_peers,
                    "neither the crisis-cell hub nor a monitoring host the intent declares")
    return [f"{what} (redeploy the firewall role: `wg-quick` reloads the rendered peers)"
            for what in found]


def rendered_peers(conf: str, names: dict[str, str]
                   ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(interface, peers by name) as `wg show dump` prints them, from a rendered WireGuard file
    in plain `wg` syntax (the hub's, the monitoring host's); `names`: public key → name."""
    sections: list[tuple[str, dict[str, str]]] = []
    for raw in conf.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1].lower(), {}))
        elif "=" in line and sections:
            key, value = (part.strip() for part in line.split("=", 1))
            sections[-1][1][key.lower()] = value
    iface: dict[str, str] = {"fwmark": "off"}
    peers: dict[str, dict[str, str]] = {}
    for kind, fields in sections:
        if kind == "interface":
            iface["listen_port"] = fields.get("listenport", "0")
            if fields.get("privatekey"):
                iface["private_key"] = fields["privatekey"]
        elif kind == "peer" and "publickey" in fields:
            key = fields["publickey"]
            peers[names.get(key, f"peer allowed {fields.get('allowedips', '?')}")] = {
                "public_key": key, "preshared_key": fields.get("presharedkey", "(none)"),
                "endpoint": fields.get("endpoint", "(none)"),
                "allowed_ips": ",".join(a.strip() for a in
                                        fields.get("allowedips", "").split(",") if a.strip()),
                "keepalive": fields.get("persistentkeepalive", "off")}
    return iface, peers


def compare(dump: str, interface: str, want_iface: dict[str, str],
            want_peers: dict[str, dict[str, str]], extra: str) -> list[str]:
    """`wg show IF dump` vs the intended interface and peers; `extra` says what an unknown
    peer is not (e.g. "not a commune's spoke the intent declares")."""
    lines = [line.split("\t") for line in dump.splitlines() if "\t" in line]
    if not lines:
        return [f"WireGuard interface {interface} is not up"]
    iface = dict(zip(_IFACE, lines[0], strict=False))
    live = [dict(zip(_PEER, fields, strict=False)) for fields in lines[1:]]
    out = []
    for key, value in want_iface.items():
        if iface.get(key) != value:
            shown = "differs" if key.endswith("_key") else \
                f"is {iface.get(key)}, intended {value}"
            out.append(f"WireGuard interface {key.replace('_', ' ')} {shown}")
    by_key = {p["public_key"]: name for name, p in want_peers.items()}
    for peer in live:
        if peer.get("public_key") not in by_key:
            out.append(f"extra WireGuard peer ({extra}), allowed IPs "
                       f"{peer.get('allowed_ips', '?')}, endpoint {peer.get('endpoint', '?')}")
    for name, want_peer in want_peers.items():
        have_peer = next((p for p in live if p.get("public_key") == want_peer["public_key"]),
                         None)
        if have_peer is None:
            out.append(f"the {name} is not a WireGuard peer")
            continue
        for key in ("preshared_key", "endpoint", "allowed_ips", "keepalive"):
            have, want = have_peer.get(key, ""), want_peer[key]
            if key == "allowed_ips":
                have, want = ",".join(sorted(have.split(","))), ",".join(sorted(want.split(",")))
            if key == "endpoint" and not _literal(want):
                continue   # a host name: wg prints the address it resolved to
            if have != want:
                shown = "differs" if key == "preshared_key" else f"is {have}, intended {want}"
                out.append(f"{name} peer {key.replace('_', ' ')} {shown}")
    return out


def _literal(endpoint: str) -> bool:
    host = endpoint.rsplit(":", 1)[0].strip("[]")
    return all(c in "0123456789.:abcdefABCDEF" for c in host)
