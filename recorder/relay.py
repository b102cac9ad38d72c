"""Live-only RTSP relay for the crisis cell (ACC-4), built on gst-rtsp-server (GStreamer).

One mount per camera (`rtsp://<relay.listen>/<camera-id>`); each mount pulls the camera once
(shared media) and fans it out to every viewer, re-packetising without decoding. It serves
only live data: it has no access to storage_root. Every viewer authenticates with their own
account (RTSP Basic, inside the WireGuard tunnel: NET-2) under the same lockout and hashing
limits as the API; a mount is open only to accounts whose role grants live view and whose
camera list holds it (ACC-2/ACC-3). Live views are journaled with the user's id (JRN-1).
Needs the `gi` GStreamer bindings (Debian's python3-gi), hence a process of its own.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

import msgspec

from recorder import access
from recorder.config import Config, User
from recorder.guard import Busy, CredentialCache, Locked, PasswordGuard
from recorder.state import State, open_state

log = logging.getLogger("recorder.relay")


def launch_line(rtsp_url: str) -> str:
    """GStreamer pipeline of one mount: pull over TCP, depayload, re-payload (no decoding)."""
    return (f'( rtspsrc location="{rtsp_url}" protocols=tcp latency=100 '
            "! rtph264depay ! h264parse config-interval=-1 "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )")


ROLE_PREFIX = "user."  # gst-rtsp-server role names are GstStructure names: start with a letter
CACHE_TTL = 60.0  # a viewer's client re-sends Basic on every RTSP request: hash it once
RELAY_HASH_WAIT = 5.0  # seconds a viewer may wait for a hashing slot


class ViewerCheck:
    """Who an RTSP `Authorization: Basic` header designates (None when refused), journaled.

    Viewers are few and their clients give up after one 401, so a viewer waits for a hashing
    slot (up to RELAY_HASH_WAIT) rather than being refused."""

    def __init__(self, state: State) -> None:
        self.state = state
        limits = state.config.api_limits
        guard = PasswordGuard(state.config.users, msgspec.structs.replace(
            limits, hash_wait_seconds=max(limits.hash_wait_seconds, RELAY_HASH_WAIT)))
        self.credentials = CredentialCache(guard, CACHE_TTL)

    def user(self, header: str, client: str) -> User | None:
        """The authenticated user of this header, or None (failure journaled, JRN-1)."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            outcome = self.credentials.check(value.strip(), client)
        except (Locked, Busy):
            return None
        if outcome.user is None:
            self.state.journal.append("login_failed", {"client": client, "via": "relay",
                                                       "user_claimed": outcome.claimed})
            if outcome.lockout:
                self.state.journal.append("login_lockout", {**outcome.lockout, "via": "relay"})
        return outcome.user


def permissions_structures(conf: Config, camera_id: str) -> list[str]:
    """gst-rtsp-server role structures of the accounts that may watch this camera live."""
    return [f"{ROLE_PREFIX}{u.id}, media.factory.access=(boolean)true, "
            "media.factory.construct=(boolean)true"
            for u in conf.users if access.allowed(u, access.LIVE, camera_id)]


def run(conf: Config) -> int:
    """Serve the relay until SIGTERM."""
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    gi.require_version("GstRtsp", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer

    Gst.init(None)
    state = open_state(conf)
    viewers = ViewerCheck(state)
    who: dict[Any, str] = {}  # RTSP client -> the user it authenticated as (for the journal)

    class Auth(GstRtspServer.RTSPAuth):  # type: ignore[misc]
        """Basic against the accounts' argon2 hashes; the token names the user's role."""

        def do_authenticate(self, ctx: Any) -> bool:
            found, header = ctx.request.get_header(GstRtsp.RTSPHeaderField.AUTHORIZATION, 0)
            if found != GstRtsp.RTSPResult.OK or not header:
                return False
            user = viewers.user(str(header), ctx.conn.get_ip())
            if user is None:
                return False
            token = GstRtspServer.RTSPToken.new()
            token.set_string("media.factory.role", f"{ROLE_PREFIX}{user.id}")
            ctx.set_token(token)
            if ctx.client is not None:
                who[ctx.client] = user.id
            return True

        def do_check(self, ctx: Any, check: str) -> bool:
            ok = bool(GstRtspServer.RTSPAuth.do_check(self, ctx, check))
            if not ok and check == "auth.check.media.factory.access" and ctx.token:
                role = ctx.token.get_string("media.factory.role") or ""
                state.journal.append("access_denied", {  # JRN-1: refusals are traced too
                    "user": role.removeprefix(ROLE_PREFIX), "action": access.LIVE,
                    "camera": _camera_of(ctx), "client": ctx.conn.get_ip(), "via": "relay"})
            return ok

    auth = Auth()
    server = GstRtspServer.RTSPServer()
    server.set_auth(auth)
    # clients served by a few threads: one viewer's password check does not stall the others
    server.get_thread_pool().set_max_threads(conf.api_limits.hash_concurrency + 2)
    host, port = conf.relay_listen
    server.set_address(host)
    server.set_service(str(port))
    mounts = server.get_mount_points()
    for cam in conf.cameras:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(cam.rtsp_url))
        factory.set_shared(True)  # one pull from the camera, fanned out to every viewer
        perms = GstRtspServer.RTSPPermissions.new()
        for structure in permissions_structures(conf, cam.id):
            perms.add_role_from_structure(Gst.Structure.new_from_string(structure))
        factory.set_permissions(perms)
        mounts.add_factory(f"/{cam.id}", factory)

    def on_client(srv: Any, client: Any) -> None:
        def on_play(cl: Any, ctx: Any) -> None:
            address = cl.get_connection().get_ip()
            state.journal.append("live_view", {"user": who.get(cl, "?"),
                                               "client": address, "camera": _camera_of(ctx),
                                               "via": "relay"})
        client.connect("play-request", on_play)
        client.connect("closed", lambda cl: who.pop(cl, None))

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


def _camera_of(ctx: Any) -> str:
    """The mount (camera id) an RTSP request names."""
    path = ctx.uri.abspath if ctx.uri is not None else "?"
    return str(path).lstrip("/").split("/")[0][:64]
