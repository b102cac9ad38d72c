"""Live-only RTSP relay for the crisis cell (ACC-4), built on gst-rtsp-server (GStreamer).

One mount per camera (`rtsp://<relay.listen>/<camera-id>`); each mount pulls the camera once
(shared media) and fans it out to every viewer, re-packetising without decoding. It serves
only live data: it has no access to storage_root. Viewer connections are journaled (JRN-1).
Needs the `gi` GStreamer bindings (Debian's python3-gi), hence a process of its own.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from recorder.config import Config
from recorder.state import open_state

log = logging.getLogger("recorder.relay")


def launch_line(rtsp_url: str) -> str:
    """GStreamer pipeline of one mount: pull over TCP, depayload, re-payload (no decoding)."""
    return (f'( rtspsrc location="{rtsp_url}" protocols=tcp latency=100 '
            "! rtph264depay ! h264parse config-interval=-1 "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )")


def run(conf: Config) -> int:
    """Serve the relay until SIGTERM."""
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    state = open_state(conf)
    server = GstRtspServer.RTSPServer()
    host, port = conf.relay_listen
    server.set_address(host)
    server.set_service(str(port))
    mounts = server.get_mount_points()
    for cam in conf.cameras:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(cam.rtsp_url))
        factory.set_shared(True)  # one pull from the camera, fanned out to every viewer
        mounts.add_factory(f"/{cam.id}", factory)

    def on_client(srv: Any, client: Any) -> None:
        def on_play(cl: Any, ctx: Any) -> None:
            path = ctx.uri.abspath if ctx.uri is not None else "?"
            address = cl.get_connection().get_ip()
            state.journal.append("live_view", {"user": "relay-client", "client": address,
                                               "camera": str(path).lstrip("/"), "via": "relay"})
        client.connect("play-request", on_play)

    server.connect("client-connected", on_client)
    server.attach(None)
    loop = GLib.MainLoop()

    def stop(*_: Any) -> bool:
        loop.quit()
        return False

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, stop)
    log.info("relay serving", extra={"listen": f"{host}:{port}",
                                     "cameras": [c.id for c in conf.cameras]})
    loop.run()
    state.close()
    return 0
