"""Live grid: each camera's shared stream-copy pull (recorder/web/pulls.py), sent as one
chunked HTTP answer per viewer that the page appends to a Media Source Extensions buffer (low
latency: 200 ms fragments; see ../shared/PEERS.md "Browser"). Live only (ACC-3): nothing here
reads storage_root; every opened view is journaled with the person's id (JRN-1)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from recorder import access, timeutil
from recorder.web.calls import ApiContext, HttpError, client_of, error_response
from recorder.web.pages import page_user, render, session_of
from recorder.web.sessions import Session


async def _keeping(session: Session | None, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The stream, keeping its session from idling out while the person watches (a live
    screen is watched, not clicked; the session's absolute lifetime still applies)."""
    async for chunk in body:
        if session is not None:
            session.last_seen = timeutil.now()
        yield chunk


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The live grid page and the per-camera fMP4 stream."""
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
