#!/usr/bin/python3
"""Lab camera, video side: gst-rtsp-server serving a pre-encoded H.264 clip in a loop.

Runs under Debian's /usr/bin/python3 (the only Python whose `gi` GStreamer bindings import)
inside the camera's network namespace, bound to the camera's model address only:
    rtsp_clip.py IP PORT PATH CLIP.h264 FPS      -> rtsp://IP:PORT/PATH
No re-encoding (PEERS.md: 4 × 720p15 streams cost 3 % of one core). Prints `READY`.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def _dts_to_pts(pad: Any, info: Any) -> Any:
    """h264parse interpolates only DTS for a raw stream; with no B-frames PTS == DTS."""
    buf = info.get_buffer()
    if buf.pts == Gst.CLOCK_TIME_NONE:
        buf.pts = buf.dts
    return Gst.PadProbeReturn.OK


def _on_configure(factory: Any, media: Any) -> None:
    parse = media.get_element().get_by_name("parse")
    parse.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, _dts_to_pts)


def main(argv: list[str]) -> int:
    """Serve the clip until SIGTERM."""
    ip, port, path, clip, fps = argv
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(ip)
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( multifilesrc location="{clip}" loop=true '
        f'caps="video/x-h264,stream-format=byte-stream,framerate={int(fps)}/1" '
        "! h264parse name=parse config-interval=-1 ! rtph264pay name=pay0 pt=96 "
        "config-interval=1 )")
    factory.set_shared(True)
    factory.connect("media-configure", _on_configure)
    server.get_mount_points().add_factory("/" + path.lstrip("/"), factory)
    if server.attach(None) == 0:
        print(f"cannot bind {ip}:{port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print("READY", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
