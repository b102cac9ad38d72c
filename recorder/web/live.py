"""Live grid: each camera's RTSP stream copied (no decoding) into fragmented MP4 by one ffmpeg
per camera, shared by every viewer, and sent as one chunked HTTP answer per viewer that the
page appends to a Media Source Extensions buffer (low latency: 200 ms fragments; see
../shared/PEERS.md "Browser"). A pull runs only while someone watches, plus a short grace so a
page reload is warm. Live only (ACC-3): nothing here reads storage_root; every opened view is
journaled with the person's id (JRN-1)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from recorder import access, timeutil
from recorder.config import Config
from recorder.web.pages import page_user, render, session_of
from recorder.web.sessions import Session

if TYPE_CHECKING:
    from recorder.api import ApiContext

log = logging.getLogger("recorder.live")
GRACE_SECONDS = 30.0  # a pull outlives its last viewer this long (reload, grid <-> solo)
FIRST_FRAGMENT_WAIT = 15.0  # cold start: RTSP connect, probe, first keyframe
VIEWER_QUEUE = 64  # fragments (~13 s) a slow viewer may lag before it is cut off
MAX_BOX = 32 << 20


def ffmpeg_argv(rtsp_url: str) -> list[str]:
    """Pull over TCP, copy the video, fragment at every keyframe and every 200 ms. No probing:
    the SDP's parameter sets give the stream (halves the cold start, 1.4 s -> 0.8 s here)."""
    return ["ffmpeg", "-nostdin", "-loglevel", "error", "-fflags", "nobuffer",
            "-probesize", "32", "-analyzeduration", "0", "-rtsp_transport", "tcp",
            "-timeout", "5000000", "-i", rtsp_url, "-map", "0:v:0", "-c:v", "copy", "-an",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
            "-frag_duration", "200000", "pipe:1"]


def _boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, payload start, end) of the boxes laid end to end in data."""
    out, i = [], 0
    while i + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        if size < 8 or i + size > len(data):
            break
        out.append((kind, i + 8, i + size))
        i += size
    return out


def _find(data: bytes, path: list[bytes], start: int = 0, end: int | None = None,
          skip: dict[bytes, int] | None = None) -> tuple[int, int] | None:
    """Payload span of the box at path (children of container boxes)."""
    end = len(data) if end is None else end
    for kind, a, b in _boxes(data[start:end]):
        if kind == path[0]:
            a, b = a + start, b + start
            if len(path) == 1:
                return a, b
            return _find(data, path[1:], a + (skip or {}).get(kind, 0), b, skip)
    return None


def is_keyframe_fragment(moof: bytes) -> bool:
    """True when the fragment's first sample is a sync sample (a viewer may start there)."""
    traf = _find(moof, [b"moof", b"traf"])
    if traf is None:
        return False
    tfhd = _find(moof, [b"tfhd"], *traf)
    trun = _find(moof, [b"trun"], *traf)
    if trun is None:
        return False
    flags = int.from_bytes(moof[trun[0] + 1:trun[0] + 4], "big")
    pos = trun[0] + 8 + (4 if flags & 0x1 else 0)
    sample_flags = None
    if flags & 0x4:
        sample_flags = struct.unpack(">I", moof[pos:pos + 4])[0]
    elif flags & 0x400:
        pos += (4 if flags & 0x100 else 0) + (4 if flags & 0x200 else 0)
        sample_flags = struct.unpack(">I", moof[pos:pos + 4])[0]
    elif tfhd is not None:
        tf = int.from_bytes(moof[tfhd[0] + 1:tfhd[0] + 4], "big")
        p = tfhd[0] + 8 + (8 if tf & 0x1 else 0) + (4 if tf & 0x2 else 0) \
            + (4 if tf & 0x8 else 0) + (4 if tf & 0x10 else 0)
        if tf & 0x20:
            sample_flags = struct.unpack(">I", moof[p:p + 4])[0]
    return sample_flags is not None and not sample_flags & 0x00010000


def codec_of(init: bytes) -> str:
    """The MSE codec string (avc1.PPCCLL) from the init segment's avcC box."""
    i = init.find(b"avcC")
    if i < 0 or i + 8 > len(init):
        return "avc1.640028"
    return "avc1." + init[i + 5:i + 8].hex().upper()


class Pull:
    """One camera's shared ffmpeg: the init segment, the fragments since the last keyframe
    (what a new viewer starts with), and the viewers' queues."""

    def __init__(self, camera_id: str, rtsp_url: str) -> None:
        self.camera_id = camera_id
        self.rtsp_url = rtsp_url
        self.init: bytes | None = None
        self.gop: list[bytes] = []
        self.viewers: set[asyncio.Queue[bytes | None]] = set()
        self.ready = asyncio.Event()
        self.proc: asyncio.subprocess.Process | None = None
        self.task: asyncio.Task[None] | None = None
        self.idle_since: float | None = None

    def start(self) -> None:
        """Start the ffmpeg pull and its reader."""
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _read_box(self, stream: asyncio.StreamReader) -> tuple[bytes, bytes]:
        head = await stream.readexactly(8)
        size, kind = struct.unpack(">I4s", head)
        if size < 8 or size > MAX_BOX:
            raise ValueError(f"bad MP4 box size {size}")
        return kind, head + await stream.readexactly(size - 8)

    async def _run(self) -> None:
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *ffmpeg_argv(self.rtsp_url), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            assert self.proc.stdout is not None
            init, moof = b"", b""
            while True:
                kind, box = await self._read_box(self.proc.stdout)
                if kind in (b"ftyp", b"moov"):
                    init += box
                    if kind == b"moov":
                        self.init = init
                elif kind == b"moof":
                    moof = box
                elif kind == b"mdat" and moof:
                    self._publish(moof + box, is_keyframe_fragment(moof))
                    moof = b""
        except (asyncio.IncompleteReadError, ValueError, OSError) as exc:
            said = b""
            if self.proc is not None and self.proc.stderr is not None:
                with contextlib.suppress(Exception):
                    said = await asyncio.wait_for(self.proc.stderr.read(4096), 1.0)
            log.info("live pull ended", extra={  # the camera URL may carry a password: not logged
                "camera": self.camera_id, "error": str(exc)[:200],
                "ffmpeg": said.decode(errors="replace").strip()[-400:]})
        finally:
            await self._stop_proc()
            for q in list(self.viewers):
                with contextlib.suppress(asyncio.QueueFull):
                    q.put_nowait(None)
            self.ready.set()

    def _publish(self, fragment: bytes, keyframe: bool) -> None:
        if keyframe:
            self.gop = [fragment]
        elif self.gop:
            self.gop.append(fragment)
        else:
            return  # no keyframe yet: nothing a viewer could decode
        self.ready.set()
        for q in list(self.viewers):
            try:
                q.put_nowait(fragment)
            except asyncio.QueueFull:  # too slow: cut off rather than buffer without bound
                self.viewers.discard(q)
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
                q.put_nowait(None)

    async def _stop_proc(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()

    @property
    def alive(self) -> bool:
        """The reader still runs."""
        return self.task is not None and not self.task.done()

    async def stop(self) -> None:
        """Stop ffmpeg and the reader."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self._stop_proc()


class LiveHub:
    """The pulls of one recorder, started on demand, stopped GRACE_SECONDS after the last
    viewer leaves (so an idle console pulls nothing)."""

    def __init__(self, conf: Config) -> None:
        self.conf = conf
        self.pulls: dict[str, Pull] = {}
        self._reaper: asyncio.Task[None] | None = None

    def _pull(self, camera_id: str) -> Pull:
        pull = self.pulls.get(camera_id)
        if pull is None or not pull.alive:
            pull = Pull(camera_id, self.conf.camera(camera_id).rtsp_url)
            pull.start()
            self.pulls[camera_id] = pull
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap())
        return pull

    async def _reap(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pulls:
            await asyncio.sleep(2)
            for cam, pull in list(self.pulls.items()):
                if pull.viewers:
                    pull.idle_since = None
                    continue
                pull.idle_since = pull.idle_since or loop.time()
                if loop.time() - pull.idle_since >= GRACE_SECONDS or not pull.alive:
                    del self.pulls[cam]
                    await pull.stop()

    def warm(self, camera_ids: list[str]) -> None:
        """Start the pulls a person is about to watch (at login: the grid is their landing
        page), so the grid's first frame does not wait for RTSP set-up and a keyframe."""
        for cam in camera_ids:
            self._pull(cam)

    async def watch(self, camera_id: str) -> tuple[str, AsyncIterator[bytes]] | None:
        """(codec, stream of the init segment then fragments from a keyframe); None when the
        camera gives nothing within FIRST_FRAGMENT_WAIT."""
        pull = self._pull(camera_id)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(VIEWER_QUEUE)
        pull.viewers.add(queue)
        try:
            await asyncio.wait_for(pull.ready.wait(), FIRST_FRAGMENT_WAIT)
        except TimeoutError:
            pull.viewers.discard(queue)
            return None
        if pull.init is None or not pull.gop:
            pull.viewers.discard(queue)
            return None
        init, gop = pull.init, list(pull.gop)
        while not queue.empty():  # fragments already in the GOP copy
            queue.get_nowait()

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield init + b"".join(gop)
                while (fragment := await queue.get()) is not None:
                    yield fragment
            finally:
                pull.viewers.discard(queue)

        return codec_of(init), stream()

    async def close(self) -> None:
        """Stop every pull (service stop)."""
        for pull in list(self.pulls.values()):
            await pull.stop()
        self.pulls.clear()


async def _keeping(session: Session | None, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The stream, keeping its session from idling out while the person watches (a live
    screen is watched, not clicked; the session's absolute lifetime still applies)."""
    async for chunk in body:
        if session is not None:
            session.last_seen = timeutil.now()
        yield chunk


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The live grid page and the per-camera fMP4 stream."""
    from recorder.api import client_of

    def cameras_for(user_id: str) -> list[dict[str, object]]:
        user = ctx.state.config.user(user_id)
        assert user is not None
        return [{"id": c.id, "location": c.location, "width": c.width, "height": c.height}
                for c in ctx.state.config.cameras if access.allowed(user, access.LIVE, c.id)]

    def grid(request: Request) -> Response:
        user = page_user(ctx, request, access.LIVE)
        return render(ctx, request, "direct.html", user=user, title="Direct",
                      cameras=cameras_for(user.id))

    async def stream(request: Request) -> Response:
        from recorder.api import HttpError, error_response

        user = page_user(ctx, request)
        cam = request.path_params["camera"]
        try:
            ctx.state.config.camera(cam)
        except KeyError:
            return error_response(HttpError(404, f"unknown camera {cam[:64]!r}"))
        if not access.allowed(user, access.LIVE, cam):
            ctx.state.journal.append("access_denied", {"user": user.id, "action": "live",
                                                       "camera": cam,
                                                       "client": client_of(request)})
            return error_response(HttpError(403, access.refusal(user, access.LIVE, cam)))
        ctx.state.journal.append("live_view", {"user": user.id, "camera": cam,
                                               "client": client_of(request), "via": "console"})
        watched = await ctx.live.watch(cam)
        if watched is None:
            return error_response(HttpError(504, f"caméra {cam} : aucune image reçue"))
        codec, body = watched
        return StreamingResponse(_keeping(session_of(request), body), media_type="video/mp4",
                                 headers={"X-Codec": codec, "X-Camera": cam})

    return [Route("/direct", grid, include_in_schema=False),
            Route("/live/{camera}.mp4", stream, include_in_schema=False)]
