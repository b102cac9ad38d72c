"""Export wizard (EXP-2): cameras, range, reason and/or requisition reference -> the signed
export (recorder/export.py, journaled and registered as today), downloadable as one ZIP that
carries verification.html (signature and SHA-256 checked in the browser). maire/adjoint only."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from recorder import access, timeutil
from recorder.web.pages import page_user, render, session_of

if TYPE_CHECKING:
    from recorder.api import ApiContext

NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def _zip(directory: Path) -> Path:
    """The export directory as a ZIP (stored: video does not compress) in a temporary file
    removed after the download (no second, unregistered copy of video stays on the NVR)."""
    fd, name = tempfile.mkstemp(suffix=".zip", prefix="beffroi-export-")
    with open(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                z.write(path, f"{directory.name}/{path.relative_to(directory)}")
    return Path(name)


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The wizard, its submission and the download."""
    from recorder.api import Call, HttpError, client_of, run_export

    def cams_for(user: Any) -> list[dict[str, str]]:
        return [{"id": c.id, "location": c.location} for c in ctx.state.config.cameras
                if access.allowed(user, access.EXPORT, c.id)]

    def wizard(request: Request, error: str = "", values: dict[str, Any] | None = None,
               status: int = 200) -> Response:
        user = page_user(ctx, request, access.EXPORT)
        return render(ctx, request, "export.html", status=status, user=user, title="Export",
                      cameras=cams_for(user), error=error, values=values or {})

    async def wizard_get(request: Request) -> Response:
        return await run_in_threadpool(wizard, request)

    async def submit(request: Request) -> Response:
        user = page_user(ctx, request, access.EXPORT)
        form = await request.form(max_files=0, max_fields=32)
        values = {k: str(v) for k, v in form.items() if k != "csrf"}
        body: dict[str, Any] = {"cameras": [str(v) for v in form.getlist("cameras")],
                                "reason": values.get("reason") or None,
                                "requisition": values.get("requisition") or None}
        try:  # the form's datetime-local fields arrive with the browser's UTC offset
            body["from"] = timeutil.iso(float(values.get("from_epoch", "")))
            body["to"] = timeutil.iso(float(values.get("to_epoch", "")))
        except ValueError:
            return await run_in_threadpool(wizard, request, "Plage horaire invalide.",
                                           values, 400)
        call = Call(ctx, user, {}, body, client_of(request), session_of(request))
        try:
            out, _ = await run_in_threadpool(run_export, call, "console")
        except HttpError as exc:
            return await run_in_threadpool(wizard, request, exc.message, values, exc.status)
        return RedirectResponse(f"/export/{out.name}", 303)

    def done(request: Request) -> Response:
        user = page_user(ctx, request, access.EXPORT)
        name = request.path_params["name"]
        directory = ctx.state.config.export_dir / name
        if not NAME.match(name) or not directory.is_dir() or \
                not name.startswith(f"{ctx.state.config.site}-{user.id}-"):
            return render(ctx, request, "error.html", status=404, user=user,
                          title="Export introuvable", message="Cet export n'existe pas ou "
                          "n'est pas le vôtre.")
        import json

        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        return render(ctx, request, "export_done.html", user=user, title="Export prêt",
                      name=name, manifest=manifest)

    def download(request: Request) -> Response:
        user = page_user(ctx, request, access.EXPORT)
        name = request.path_params["name"]
        directory = ctx.state.config.export_dir / name
        if not NAME.match(name) or not directory.is_dir() or \
                not name.startswith(f"{ctx.state.config.site}-{user.id}-"):
            return render(ctx, request, "error.html", status=404, user=user,
                          title="Export introuvable", message="Cet export n'existe pas.")
        ctx.state.journal.append("export_download", {"user": user.id, "export": name,
                                                     "client": client_of(request)})
        archive = _zip(directory)
        return FileResponse(archive, media_type="application/zip", filename=f"{name}.zip",
                            background=BackgroundTask(archive.unlink))

    return [Route("/export", wizard_get, methods=["GET"], include_in_schema=False),
            Route("/export", submit, methods=["POST"], include_in_schema=False),
            Route("/export/{name}.zip", download, include_in_schema=False),
            Route("/export/{name}", done, include_in_schema=False)]
