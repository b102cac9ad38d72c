#!/usr/bin/python3
"""Test camera: loopback RTSP server (gst-rtsp-server via python3-gi) serving a pre-encoded
H.264 Annex-B clip (no B-frames) in an endless loop without re-encoding.

usage: rtsp_loop.py PORT FILE.h264 FPS N  -> rtsp://127.0.0.1:PORT/cam1..camN
(adapted from ../shared/peers/gst_rtsp_loop.py, proven on these machines)
"""

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port, path, fps, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def dts_to_pts(pad, info):  # type: ignore[no-untyped-def]
    # h264parse interpolates only DTS for a raw ES; with no B-frames PTS == DTS.
    buf = info.get_buffer()
    if buf.pts == Gst.CLOCK_TIME_NONE:
        buf.pts = buf.dts
    return Gst.PadProbeReturn.OK


def on_configure(factory, media):  # type: ignore[no-untyped-def]
    parse = media.get_element().get_by_name("parse")
    parse.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, dts_to_pts)


server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
mounts = server.get_mount_points()
launch = (f'( multifilesrc location="{path}" loop=true '
          f'caps="video/x-h264,stream-format=byte-stream,framerate={fps}/1" '
          f"! h264parse name=parse config-interval=-1 ! rtph264pay name=pay0 pt=96 "
          f"config-interval=1 )")
for i in range(1, n + 1):
    f = GstRtspServer.RTSPMediaFactory()
    f.set_launch(launch)
    f.set_shared(True)
    f.connect("media-configure", on_configure)
    mounts.add_factory(f"/cam{i}", f)
if server.attach(None) == 0:
    sys.exit(f"cannot bind 127.0.0.1:{port}")
loop = GLib.MainLoop()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
print(f"serving rtsp://127.0.0.1:{port}/cam1..cam{n}", flush=True)
loop.run()
