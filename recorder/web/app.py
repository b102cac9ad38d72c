"""The Starlette application: JSON API, console pages, records views, static assets, behind
the security middleware (session, CSRF, headers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.schemas import SchemaGenerator
from starlette.staticfiles import StaticFiles

from recorder.web import console, records
from recorder.web.pages import STATIC, PageError
from recorder.web.security import WebSecurity

if TYPE_CHECKING:
    from recorder.api import ApiContext

SCHEMA = SchemaGenerator({"openapi": "3.0.0",
                          "info": {"title": "Beffroi recorder API", "version": "1"}})


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
        return SCHEMA.OpenAPIResponse(request)

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
