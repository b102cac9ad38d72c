"""Recordings: a timeline per camera (recorded ranges, gaps), search by camera/date/time, and
playback of the stored segments themselves (an HLS playlist of the bit-exact MPEG-TS files,
transmuxed in the browser by hls.js) with the EXP-4 functions in static/playback.js.

Only maire/adjoint (ACC-4): the page, the playlist and the segments all require PLAYBACK. A
playlist is the journaled view (JRN-1: who, camera, range); it grants its segments to the
session, so no segment is served outside a journaled playback."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from recorder import access, timeutil
from recorder.web.pages import page_user, render, session_of

if TYPE_CHECKING:
    from recorder.api import ApiContext, Call

MAX_PLAYLIST_SECONDS = 4 * 3600.0  # one playlist covers at most 4 h (the page asks for less)
MAX_GRANTS = 20_000  # segment ids a session may hold


def playlist(c: Call) -> Response:
    """HLS playlist of a camera's stored segments in [from, to) (journal: playback)."""
    from recorder.api import HttpError, parse_range

    cam = c.camera()
    rng = parse_range(c.query)
    if rng[1] - rng[0] > MAX_PLAYLIST_SECONDS:
        raise HttpError(400, f"at most {MAX_PLAYLIST_SECONDS / 3600:g} h per playlist")
    c.require(access.PLAYBACK, cam, rng)
    if c.session is None:
        raise HttpError(400, "playlists are for the console (a session); use /api/play")
    segs = c.ctx.state.index.segments(cam, *rng)
    c.ctx.state.journal.append("playback", {"user": c.user.id, "camera": cam,
                                            "from": timeutil.iso(rng[0]),
                                            "to": timeutil.iso(rng[1]), "segments": len(segs),
                                            "via": "console", "client": c.client})
    if not segs:
        raise HttpError(404, "aucun enregistrement sur cette plage")
    grants = c.session.granted
    if len(grants) > MAX_GRANTS:
        grants.clear()
    target = max(1, math.ceil(max(s.end - s.start for s in segs)))
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}",
             "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-MEDIA-SEQUENCE:0"]
    prev = None
    for s in segs:
        if prev is not None and (s.run != prev.run or s.start - prev.end > 0.5):
            lines.append("#EXT-X-DISCONTINUITY")  # a gap or a new ffmpeg run
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{timeutil.iso(s.start)}")
        lines.append(f"#EXTINF:{s.end - s.start:.3f},")
        lines.append(f"/api/segment/{s.id}.ts")
        grants[s.id] = s.path
        prev = s
    lines.append("#EXT-X-ENDLIST")
    return Response("\n".join(lines) + "\n", media_type="application/vnd.apple.mpegurl")


def frame_saved(c: Call) -> Response:
    """EXP-4: a frame saved as PNG from the player is journaled (who, camera, instant)."""
    from recorder.api import HttpError, ok

    cam = str(c.body.get("camera", ""))
    try:
        at = timeutil.parse_iso(str(c.body.get("at", "")))
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    Call_ = type(c)
    cam = Call_(c.ctx, c.user, {"camera": cam}, {}, c.client, c.session).camera()
    c.require(access.PLAYBACK, cam, (at, at))
    c.ctx.state.journal.append("frame_saved", {"user": c.user.id, "camera": cam,
                                               "at": timeutil.iso(at), "client": c.client})
    return ok({"journaled": True})


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The recordings page, its playlist and segment endpoints."""
    from recorder.api import HttpError, endpoint, error_response

    def page(request: Request) -> Response:
        user = page_user(ctx, request, access.PLAYBACK)
        cams = [{"id": c.id, "location": c.location, "fps": c.expected_fps}
                for c in ctx.state.config.cameras if access.allowed(user, access.PLAYBACK, c.id)]
        return render(ctx, request, "recordings.html", user=user, title="Enregistrements",
                      cameras=cams)

    def segment(request: Request) -> Response:
        s = session_of(request)
        user = ctx.state.config.user(s.user_id) if s and s.user_id else None
        if user is None:
            return error_response(HttpError(401, "[ACC-1] authentication required"), request)
        if not access.allowed(user, access.PLAYBACK):
            return error_response(HttpError(403, access.refusal(user, access.PLAYBACK, None)))
        try:
            seg_id = int(request.path_params["seg"])
        except ValueError:
            return error_response(HttpError(400, "segment id must be a number"))
        assert s is not None
        path = s.granted.get(seg_id)
        if path is None:  # only segments of a playlist this session fetched (journaled)
            return error_response(HttpError(403, "[JRN-1] segment not part of a journaled "
                                            "playback of this session"))
        file = ctx.state.abspath(path)
        if not Path(file).is_file():
            return error_response(HttpError(410, "segment purged"))
        return FileResponse(file, media_type="video/mp2t")

    return [Route("/enregistrements", page, include_in_schema=False),
            Route("/api/hls/{camera}.m3u8", endpoint(ctx, playlist),
                  methods=["GET"], include_in_schema=False),
            Route("/api/segment/{seg}.ts", segment, include_in_schema=False),
            Route("/api/frame-saved", endpoint(ctx, frame_saved), methods=["POST"],
                  include_in_schema=False)]

