"""Live-only RTSP relay for the crisis cell (ACC-4), built on gst-rtsp-server (GStreamer).

One mount per camera (`rtsp://<relay.listen>/<camera-id>`); each mount pulls the camera only
while someone watches it (shared media, unprepared when the last viewer leaves) and fans it out
to every viewer, re-packetising without decoding. It serves only live data: it has no access to
storage_root, and no mount takes a time range. Inside the WireGuard tunnel (NET-2), a viewer is:
- a person the crisis-cell wall vouches for: `rtsp://relay/<camera>?token=...` with a short-lived
  token naming the person, signed by the wall's key (recorder/viewtoken.py), bound to the first
  RTSP connection that presents it; the token's camera list is honoured (ACC-3);
- a commune account (Basic with its own password, same lockout and hashing limits as the API),
  whose role grants live view and whose camera list holds the mount (ACC-2/ACC-3);
- the crisis cell's health probe (role `probe`): it may DESCRIBE a mount (is the camera's stream
  up?) but never PLAY; probes are counted in metrics, not journaled as live views (issue 12).
Every live view is journaled with the person's id (JRN-1), its end with its duration.
Needs the `gi` GStreamer bindings (Debian's python3-gi), hence a process of its own.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import msgspec

from recorder import access, viewtoken
from recorder.config import Config, User
from recorder.guard import Busy, CredentialCache, Locked, PasswordGuard
from recorder.relaycounters import RelayCounters
from recorder.state import State, open_state

log = logging.getLogger("recorder.relay")


def launch_line(rtsp_url: str) -> str:
    """GStreamer pipeline of one mount: pull over TCP, depayload, re-payload (no decoding)."""
    return (f'( rtspsrc location="{rtsp_url}" protocols=tcp latency=100 '
            "! rtph264depay ! h264parse config-interval=-1 "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )")


ROLE_PREFIX = "user."  # gst-rtsp-server role names are GstStructure names: start with a letter
WALL_ROLE = "wall"     # persons vouched for by the wall (camera list checked per token)
PROBE_ROLE = "probe"   # the crisis cell's health probe (DESCRIBE only)
CACHE_TTL = 60.0  # a viewer's client re-sends Basic on every RTSP request: hash it once
RELAY_HASH_WAIT = 5.0  # seconds a viewer may wait for a hashing slot


@dataclass(frozen=True)
class Viewer:
    """Who an RTSP client authenticated as."""

    id: str
    role: str                  # gst-rtsp-server role of the client's token
    kind: str                  # "wall" | "account" | "probe"
    grant: viewtoken.Grant | None = None

    def journal_fields(self) -> dict[str, Any]:
        """What a live_view line says about the viewer (JRN-1)."""
        if self.grant is None:
            return {"user": self.id, "via": "relay"}
        return {"user": self.id, "name": self.grant.name, "service": self.grant.service,
                "via": "wall", "token": self.grant.jti}


class ViewerCheck:
    """Who an RTSP `Authorization: Basic` header designates (None when refused), journaled.

    Viewers are few and their clients give up after one 401, so a viewer waits for a hashing
    slot (up to RELAY_HASH_WAIT) rather than being refused."""

    def __init__(self, state: State) -> None:
        self.state = state
        conf = state.config
        limits = conf.api_limits
        guard = PasswordGuard(conf.users, msgspec.structs.replace(
            limits, hash_wait_seconds=max(limits.hash_wait_seconds, RELAY_HASH_WAIT)))
        self.credentials = CredentialCache(guard, CACHE_TTL)
        self.wall_key = (viewtoken.load_public_b64(conf.relay.wall_public_key)
                         if conf.relay.wall_public_key else None)
        self._bound: dict[str, tuple[Any, float]] = {}  # token id -> (RTSP client, expiry)
        self._lock = threading.Lock()

    def viewer(self, header: str, client: str, rtsp_client: Any = None) -> Viewer | None:
        """The viewer this header designates, or None (failure journaled, JRN-1)."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        user = self._account(value, client)
        if user is None:
            return None
        if user.role == PROBE_ROLE:
            return Viewer(user.id, PROBE_ROLE, "probe")
        return Viewer(user.id, f"{ROLE_PREFIX}{user.id}", "account")

    def _account(self, value: str, client: str) -> User | None:
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

    def wall_viewer(self, token: str, client: str, rtsp_client: Any) -> Viewer | None:
        """The person a wall token vouches for, bound to this connection, or None (journaled)."""
        claimed = "?"
        try:
            if self.wall_key is None:
                raise viewtoken.TokenError("[ACC-3] this relay trusts no wall key "
                                           "(recorder.toml [relay] wall_public_key)")
            grant = viewtoken.verify(self.wall_key, token, self.state.config.site)
            claimed = grant.person
            self._bind(grant, rtsp_client)
        except viewtoken.TokenError as exc:
            self.state.journal.append("login_failed", {"client": client, "via": "wall",
                                                       "user_claimed": claimed,
                                                       "reason": str(exc)})
            return None
        return Viewer(grant.person, WALL_ROLE, "wall", grant)

    def _bind(self, grant: viewtoken.Grant, rtsp_client: Any) -> None:
        """A token opens one RTSP connection: replayed on another, it is refused."""
        now = time.time()
        with self._lock:
            for jti in [j for j, (_, exp) in self._bound.items()
                        if exp + viewtoken.SKEW_SECONDS < now]:
                del self._bound[jti]
            owner = self._bound.get(grant.jti)
            if owner is not None and owner[0] is not rtsp_client:
                raise viewtoken.TokenError("[ACC-3] token already used by another connection")
            # kept until it expires (a closed connection cannot pass it on either)
            self._bound[grant.jti] = (rtsp_client, grant.exp)


def permissions_structures(conf: Config, camera_id: str) -> list[str]:
    """gst-rtsp-server role structures of the accounts that may watch this camera live, of the
    wall's persons (their token's camera list is checked per request) and of the probe."""
    grant = ", media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
    roles = [f"{ROLE_PREFIX}{u.id}" for u in conf.users
             if access.allowed(u, access.LIVE, camera_id)]
    if conf.relay.wall_public_key:
        roles.append(WALL_ROLE)
    if any(access.allowed(u, access.PROBE, camera_id) for u in conf.users):
        roles.append(PROBE_ROLE)
    return [f"{role}{grant}" for role in roles]


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
    counters = RelayCounters(conf.state_dir)
    who: dict[Any, Viewer] = {}  # RTSP client -> who it authenticated as
    watching: dict[Any, tuple[str, float]] = {}  # RTSP client -> (camera, monotonic start)

    def refuse(ctx: Any, viewer: Viewer | None, camera: str, why: str) -> None:
        counters.add("refused", camera)
        state.journal.append("access_denied", {  # JRN-1: refusals are traced too
            "user": viewer.id if viewer else "?", "action": access.LIVE, "camera": camera,
            "client": ctx.conn.get_ip(), "via": viewer.kind if viewer else "relay",
            "reason": why})

    class Auth(GstRtspServer.RTSPAuth):  # type: ignore[misc]
        """Basic against the accounts' argon2 hashes or the wall's token; the token names the
        viewer's role."""

        def do_authenticate(self, ctx: Any) -> bool:
            known = who.get(ctx.client) if ctx.client is not None else None
            wall_token = _query_token(ctx)
            if known is not None and known.kind == "wall":
                viewer: Viewer | None = known  # this connection opened with a token (SETUP…)
            elif wall_token is not None:
                viewer = viewers.wall_viewer(wall_token, ctx.conn.get_ip(), ctx.client)
            else:
                found, header = ctx.request.get_header(GstRtsp.RTSPHeaderField.AUTHORIZATION, 0)
                if found != GstRtsp.RTSPResult.OK or not header:
                    return False
                viewer = viewers.viewer(str(header), ctx.conn.get_ip(), ctx.client)
            if viewer is None:
                return False
            token = GstRtspServer.RTSPToken.new()
            token.set_string("media.factory.role", viewer.role)
            ctx.set_token(token)
            if ctx.client is not None:
                who[ctx.client] = viewer
            return True

        def do_check(self, ctx: Any, check: str) -> bool:
            ok = bool(GstRtspServer.RTSPAuth.do_check(self, ctx, check))
            if check != "auth.check.media.factory.access" or not ctx.token:
                return ok
            viewer = who.get(ctx.client)
            camera = _camera_of(ctx)
            if ok and viewer is not None and viewer.grant is not None \
                    and not viewer.grant.may_see(camera):
                refuse(ctx, viewer, camera, "[ACC-3] camera not in the token's list")
                return False
            if not ok:
                role = ctx.token.get_string("media.factory.role") or ""
                refuse(ctx, viewer or Viewer(role.removeprefix(ROLE_PREFIX), role, "account"),
                       camera, f"[{access.RULE[access.LIVE]}] role or camera list")
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
        factory.set_stop_on_disconnect(True)  # on demand: no viewer left, no camera pull
        perms = GstRtspServer.RTSPPermissions.new()
        for structure in permissions_structures(conf, cam.id):
            perms.add_role_from_structure(Gst.Structure.new_from_string(structure))
        factory.set_permissions(perms)
        mounts.add_factory(f"/{cam.id}", factory)

    def on_client(srv: Any, client: Any) -> None:
        def on_describe(cl: Any, ctx: Any) -> None:
            viewer = who.get(cl)
            if viewer is not None and viewer.kind == "probe":
                counters.add("probes", _camera_of(ctx))

        def on_pre_play(cl: Any, ctx: Any) -> Any:
            viewer = who.get(cl)
            if viewer is not None and viewer.kind == "probe":
                refuse(ctx, viewer, _camera_of(ctx), "[ACC-4] a health probe does not watch")
                return GstRtsp.RTSPStatusCode.FORBIDDEN
            return GstRtsp.RTSPStatusCode.OK

        def on_play(cl: Any, ctx: Any) -> None:
            viewer = who.get(cl) or Viewer("?", "", "account")
            camera = _camera_of(ctx)
            counters.add("live_views", camera)
            watching[cl] = (camera, time.monotonic())
            state.journal.append("live_view", {**viewer.journal_fields(),
                                               "client": cl.get_connection().get_ip(),
                                               "camera": camera})

        def on_closed(cl: Any) -> None:
            viewer = who.pop(cl, None)
            seen = watching.pop(cl, None)
            if seen is not None and viewer is not None:  # JRN-1: the view's time range
                state.journal.append("live_view_end", {
                    "user": viewer.id, "camera": seen[0], "via": viewer.journal_fields()["via"],
                    "seconds": round(time.monotonic() - seen[1], 1)})

        client.connect("describe-request", on_describe)
        client.connect("pre-play-request", on_pre_play)
        client.connect("play-request", on_play)
        client.connect("closed", on_closed)

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


def _query_token(ctx: Any) -> str | None:
    """The wall token of `rtsp://relay/<camera>?token=...` (RTSP clients such as ffmpeg cap a
    URL's userinfo at 127 bytes: a signed token travels in the query)."""
    query = str(ctx.uri.query or "") if ctx.uri is not None else ""
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "token" and value:
            return value
    return None


def _camera_of(ctx: Any) -> str:
    """The mount (camera id) an RTSP request names."""
    path = ctx.uri.abspath if ctx.uri is not None else "?"
    return str(path).lstrip("/").split("/")[0][:64]
