"""Lab camera, ONVIF side: ipycam 1.3.0 bound to the camera's model address only.

Runs in the ipycam venv (scripts/install-onvif-sim.sh) inside the camera's network namespace:
    python -m beffroi.lab.peers.onvif_camera IP PORT FACTORY_USER FACTORY_PASS WxH FPS KBPS \
        MASKS RTSP_PORT RTSP_PATH
The video itself is served by rtsp_clip.py (a pre-encoded clip, no live encoding): ipycam's own
RTSP/WebRTC encoders are switched off and GetStreamUri points at rtsp://IP:RTSP_PORT/RTSP_PATH.
WS-Discovery (multicast Hello to 239.255.255.250) is disabled. Prints `READY` when serving.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import ipycam.camera as camera_mod
from ipycam import CameraConfig, IPCamera

from beffroi.lab.peers import onvif_setters


class _NoDiscovery:
    """WS-Discovery would multicast to the LAN: never in the lab."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""


def main(argv: list[str]) -> None:
    """Start one camera; serve until killed."""
    logging.basicConfig(level=logging.WARNING)
    ip, port, user, password, size, fps, kbps, masks, rtsp_port, rtsp_path = argv
    width, height = (int(v) for v in size.split("x"))
    camera_mod.WSDiscoveryServer = _NoDiscovery
    server = camera_mod.ReusableThreadingTCPServer

    def bound(addr: tuple[str, int], handler: Any) -> Any:
        return server((ip, addr[1]), handler)  # the model address, whatever ipycam asks for

    camera_mod.ReusableThreadingTCPServer = bound
    # the stream is a pre-encoded clip served by rtsp_clip.py: no per-client x264 here (CPU)
    camera_mod.is_native_rtsp_available = lambda: False
    camera_mod.is_webrtc_available = lambda: False
    onvif_setters.install()
    onvif_setters.configure(user, password, masks == "masks")
    cfg = CameraConfig(name="cam", manufacturer="Acme", model="VC-1", serial_number=f"SN-{ip}",
                       local_ip=ip, onvif_port=int(port), rtsp_port=int(rtsp_port),
                       go2rtc_api_port=1, main_stream_name=rtsp_path.lstrip("/"),
                       main_width=width, main_height=height, main_fps=int(fps),
                       main_bitrate=f"{kbps}K", sub_width=320, sub_height=240, sub_fps=5,
                       sub_bitrate="200K", show_timestamp=True)
    IPCamera(cfg).start()
    print("READY", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
