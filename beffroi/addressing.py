"""The addressing plan: every commune address derives from the department pools and site_id.

Block N of `addressing.pool` (size `site_prefix`) belongs to site N: its first half is the camera
VLAN, its second half the management VLAN. Host offsets are fixed so a drift or an audit can tell
at a glance which device an address is.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from beffroi.model.department import Addressing

# Host offsets inside each VLAN (why fixed: one plan for 725 communes, readable by integrators).
FIREWALL_OFFSET = 1
CAMERA_FIRST_OFFSET = 10
SWITCH_OFFSET = 2
NVR_OFFSET = 3
WORKSTATION_OFFSET = 4
WAN_SITE_BASE = 256  # site N's firewall is wan_pool + 256 + N
HUB_WAN_OFFSET = 2   # .1 is the collect network's router


@dataclass(frozen=True)
class SitePlan:
    """Every address of one site, derived from the department pools."""

    block: IPv4Network
    camera_subnet: IPv4Network
    management_subnet: IPv4Network
    firewall_camera_ip: IPv4Address
    firewall_management_ip: IPv4Address
    switch_ip: IPv4Address
    nvr_ip: IPv4Address
    workstation_ip: IPv4Address
    camera_ips: tuple[IPv4Address, ...]
    wan_address: IPv4Interface
    wan_gateway: IPv4Address
    vpn_address: IPv4Address


def max_sites(addressing: Addressing) -> int:
    """How many site blocks the pool holds (block 0 is reserved)."""
    return int(2 ** (addressing.site_prefix - addressing.pool.prefixlen)) - 1


def site_block(addressing: Addressing, site_id: int) -> IPv4Network:
    """Block `site_id` of the pool; ValueError when the pool is too small."""
    if not 1 <= site_id <= max_sites(addressing):
        raise ValueError(f"site_id {site_id} outside 1..{max_sites(addressing)} for pool "
                         f"{addressing.pool} split in /{addressing.site_prefix}")
    size = 2 ** (32 - addressing.site_prefix)
    base = int(addressing.pool.network_address) + site_id * size
    return IPv4Network((base, addressing.site_prefix))


def hub_wan_address(addressing: Addressing) -> IPv4Interface:
    """The crisis cell's address on the collect network."""
    net = addressing.wan_pool
    return IPv4Interface((int(net.network_address) + HUB_WAN_OFFSET, net.prefixlen))


def hub_vpn_address(addressing: Addressing) -> IPv4Address:
    """The hub's tunnel address (first host of the VPN pool)."""
    return addressing.vpn_pool.network_address + 1


def plan(addressing: Addressing, site_id: int, cameras: int = 2) -> SitePlan:
    """The full address plan of site `site_id`."""
    block = site_block(addressing, site_id)
    camera, management = block.subnets(prefixlen_diff=1)
    wan = addressing.wan_pool
    return SitePlan(
        block=block,
        camera_subnet=camera,
        management_subnet=management,
        firewall_camera_ip=camera.network_address + FIREWALL_OFFSET,
        firewall_management_ip=management.network_address + FIREWALL_OFFSET,
        switch_ip=management.network_address + SWITCH_OFFSET,
        nvr_ip=management.network_address + NVR_OFFSET,
        workstation_ip=management.network_address + WORKSTATION_OFFSET,
        camera_ips=tuple(camera.network_address + CAMERA_FIRST_OFFSET + i for i in range(cameras)),
        wan_address=IPv4Interface((int(wan.network_address) + WAN_SITE_BASE + site_id,
                                   wan.prefixlen)),
        wan_gateway=wan.network_address + 1,
        vpn_address=addressing.vpn_pool.network_address + 1 + site_id,
    )
