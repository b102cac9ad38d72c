"""The Starlette application: JSON API, console pages, records views, static assets, behind
the security middleware (session, CSRF, headers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from recorder.web import console, records
from recorder.web.pages import STATIC, PageError
from recorder.web.security import WebSecurity

if TYPE_CHECKING:
    from recorder.api import ApiContext



def openapi_document() -> dict[str, Any]:
    """OpenAPI 3 description of the JSON API, from recorder.api.ENDPOINTS (summary: the
    handler's docstring; parameters: recorder.api.PARAMS)."""
    from recorder import __version__, api

    paths: dict[str, Any] = {}
    for method, path, handler in api.ENDPOINTS:
        params = [{"name": n, "in": "query", "required": True, "schema": {"type": "string"}}
                  for n in api.PARAMS.get(path, ())]
        paths.setdefault(path, {})[method.lower()] = {
            "summary": (handler.__doc__ or "").strip().splitlines()[0],
            "parameters": params,
            "responses": {"200": {"description": "OK"}, "400": {"description": "bad input"},
                          "401": {"description": "no account"},
                          "403": {"description": "right refused (journaled)"}}}
    return {"openapi": "3.0.3",
            "info": {"title": "Beffroi recorder API", "version": __version__},
            "components": {"securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"basic": []}, {"bearer": []}], "paths": paths}


def build_app(ctx: ApiContext) -> Any:
    """The ASGI app of one recorder (wrapped in WebSecurity)."""
    from recorder import api

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(ctx.metrics.render(),
                                 media_type="text/plain; version=0.0.4")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def openapi(request: Request) -> Response:
        """The API's OpenAPI description (from the endpoints' docstrings)."""
        return JSONResponse(openapi_document())

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {404: "no such endpoint", 405: f"method {request.method[:16]!r} not allowed"}
        return JSONResponse({"error": messages.get(exc.status_code, exc.detail)},
                            exc.status_code, dict(exc.headers or {}))

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return exc.response

    app = Starlette(
        routes=[
            Route("/metrics", metrics, include_in_schema=False),
            Route("/healthz", healthz, include_in_schema=False),
            Route("/api/openapi.json", openapi, include_in_schema=False),
            *api.routes(ctx),
            *console.routes(ctx),
            *records.routes(ctx),
            Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
        ],
        exception_handlers={HTTPException: http_error, PageError: page_error})
    return WebSecurity(app, ctx.sessions)
