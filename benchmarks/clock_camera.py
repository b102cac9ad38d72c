#!/usr/bin/python3
"""A live RTSP camera whose picture is the wall clock, for benchmarks/console.py's latency:
grey bands give tenths of a second and seconds (mod 10), with black and white references.
Encoded live (x264, zerolatency, no B-frames, 1 s GOP) at 1280x720@15.

usage: clock_camera.py PORT  -> rtsp://127.0.0.1:PORT/clock
"""

import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
W, H, FPS = 1280, 720, 15
sources: list = []


def frame() -> bytes:
    """Four horizontal bands: black, white (references for the decoder's range), tenths of a
    second and seconds mod 10 as grey levels 12 + 24 k (grey: no colour-matrix mismatch)."""
    t = time.time()
    levels = (0, 255, 12 + 24 * (int(t * 10) % 10), 12 + 24 * (int(t) % 10))
    return b"".join(bytes((v, v, v)) * (W * H // 4) for v in levels)


def tick() -> bool:
    # frames are made here, in the main loop, and pushed into each client's appsrc (a
    # property change on a running videotestsrc raced its streaming thread and crashed)
    if sources:
        data = frame()
        for src in list(sources):
            src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
    return True


def on_configure(factory, media):  # type: ignore[no-untyped-def]
    src = media.get_element().get_by_name("src")
    sources.append(src)
    media.connect("unprepared", lambda m: src in sources and sources.remove(src))


server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f"( appsrc name=src is-live=true do-timestamp=true format=time "
    f"caps=video/x-raw,format=RGB,width={W},height={H},framerate={FPS}/1 ! videoconvert "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bframes=0 bitrate=800 "
    "! video/x-h264,profile=high ! h264parse config-interval=-1 "
    "! rtph264pay name=pay0 pt=96 config-interval=1 )")
factory.set_shared(False)  # one pipeline per client: the recorder and the console each pull
factory.connect("media-configure", on_configure)
server.get_mount_points().add_factory("/clock", factory)
if server.attach(None) == 0:
    sys.exit(f"cannot bind 127.0.0.1:{port}")
GLib.timeout_add(1000 // FPS, tick)
loop = GLib.MainLoop()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
print(f"serving rtsp://127.0.0.1:{port}/clock", flush=True)
loop.run()
