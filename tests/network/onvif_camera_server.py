"""Test peer: ipycam 1.3.0 (virtual ONVIF camera) on 127.0.0.1 only, with test setters.

Runs in the ipycam venv (scripts/install-onvif-sim.sh), never in the project's venv.
usage: onvif_camera_server.py ONVIF_PORT RTSP_PORT FACTORY_USER FACTORY_PASS WxH FPS KBPS MASKS
MASKS is `masks` (the model exposes Media2 privacy masks) or `nomasks`.
Loopback patch as in ../shared/peers/ipycam_loopback.py: WS-Discovery (multicast Hello to
239.255.255.250) is disabled and every socket binds 127.0.0.1. Prints `READY` when serving.
"""

from __future__ import annotations

import functools
import logging
import sys
import time

import ipycam.camera as camera_mod
import onvif_sim_ext
from ipycam import CameraConfig, IPCamera


class _NoDiscovery:
    """WS-Discovery would multicast to the LAN: never in tests."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def main(argv: list[str]) -> None:
    """Start one camera; serve until killed."""
    logging.basicConfig(level=logging.WARNING)
    onvif_port, rtsp_port, user, password, size, fps, kbps, masks = argv
    width, height = (int(v) for v in size.split("x"))
    camera_mod.WSDiscoveryServer = _NoDiscovery
    server = camera_mod.ReusableThreadingTCPServer
    camera_mod.ReusableThreadingTCPServer = (   # bind loopback whatever ipycam asks for
        lambda addr, handler: server(("127.0.0.1", addr[1]), handler))
    camera_mod.NativeRTSPServer = functools.partial(camera_mod.NativeRTSPServer,
                                                    host="127.0.0.1")
    onvif_sim_ext.install()
    onvif_sim_ext.configure(user, password, masks == "masks")
    cfg = CameraConfig(name="cam", manufacturer="Acme", model="VC-1", serial_number="SN-0001",
                       local_ip="127.0.0.1", onvif_port=int(onvif_port),
                       rtsp_port=int(rtsp_port), go2rtc_api_port=1,
                       main_width=width, main_height=height, main_fps=int(fps),
                       main_bitrate=f"{kbps}K", sub_width=352, sub_height=288, sub_fps=6,
                       sub_bitrate="200K", show_timestamp=True)
    IPCamera(cfg).start()
    print("READY", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
