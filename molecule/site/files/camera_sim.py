#!/usr/bin/python3
"""Lab camera: an RTSP server (gst-rtsp-server) on ADDRESS:554 serving /stream1 from a looped,
pre-encoded H.264 clip (no re-encoding), so the NVR's relay has a real stream to carry.

usage: camera_sim.py ADDRESS CLIP.h264 FPS   (test harness of the `site` Molecule scenario)
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
address, clip, fps = sys.argv[1], sys.argv[2], int(sys.argv[3])


def dts_to_pts(_pad, info):
    """h264parse only interpolates DTS on a raw stream; without B-frames PTS == DTS."""
    buf = info.get_buffer()
    if buf.pts == Gst.CLOCK_TIME_NONE:
        buf.pts = buf.dts
    return Gst.PadProbeReturn.OK


def on_configure(_factory, media):
    """Give every buffer a PTS (rtph264pay needs one)."""
    pad = media.get_element().get_by_name("parse").get_static_pad("src")
    pad.add_probe(Gst.PadProbeType.BUFFER, dts_to_pts)


server = GstRtspServer.RTSPServer()
server.set_address(address)
server.set_service("554")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(f'( multifilesrc location="{clip}" loop=true '
                   f'caps="video/x-h264,stream-format=byte-stream,framerate={fps}/1" '
                   "! h264parse name=parse config-interval=-1 "
                   "! rtph264pay name=pay0 pt=96 config-interval=1 )")
factory.set_shared(True)
factory.connect("media-configure", on_configure)
server.get_mount_points().add_factory("/stream1", factory)
server.attach(None)
print(f"camera on rtsp://{address}:554/stream1", flush=True)
GLib.MainLoop().run()
