"""Console pages of the maire and adjoints (ACC-2): the register (REG-1) and the journal
(JRN-1) with filters and verify status, a printable extract of a period, legal holds (RET-1),
right-of-access requests (RGPD art. 15, EXP-5) and the health page (TIME-1, RET-2, CAM-9).

A `live` account (ACC-3/ACC-4) or an admin gets 403 from every route here, journaled. The
hosting app authenticates the session and checks CSRF on every POST before these handlers
run (recorder.web.security). Free text is data: Jinja autoescape on every template.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from recorder import access, clock, health, registerview, retention, timeutil
from recorder import access_requests as ar
from recorder.config import User
from recorder.registerview import Filters
from recorder.web import pages
from recorder.web.nav import NavItem

if TYPE_CHECKING:
    from recorder.web.calls import ApiContext

TZ = ZoneInfo(ar.LOCAL_TZ)
log = logging.getLogger("recorder.web.records")


def _local(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, TZ).strftime("%d/%m/%Y %H:%M:%S")


def _local_iso(text: str) -> str:
    try:
        return _local(timeutil.parse_iso(text))
    except (ValueError, TypeError):
        return str(text)


def _frdate(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "—"


def _size(n: int) -> str:
    for unit in ("o", "Ko", "Mo", "Go", "To"):
        if n < 1024 or unit == "To":
            return f"{n:.0f} {unit}" if unit == "o" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return str(n)


FILTERS: dict[str, Callable[..., Any]] = {
    "local": _local, "local_iso": _local_iso, "frdate": _frdate, "size": _size,
    "utc": timeutil.iso, "describe": lambda e: registerview.describe(e, _local_iso),
    "person": registerview.person_of, "cameras": registerview.cameras_of}
pages._env.filters.update(FILTERS)  # the layout's environment (autoescape on) renders ours too

# Navigation entries after the console's (recorder.web.pages.nav_for): maire/adjoint only,
# since access.SEARCH is what `live` and `admin` accounts lack (ACC-2/ACC-4).
NAV: list[NavItem] = [
    NavItem("Gels", "/gels", access.SEARCH, "g"),
    NavItem("Registre", "/registre", access.SEARCH, "r"),
    NavItem("Journal", "/journal", access.SEARCH, "j"),
    NavItem("Droit d'accès", "/demandes", access.SEARCH, "a"),
    NavItem("Santé", "/sante", access.SEARCH, "s"),
]


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The records views' routes (recorder/web/app.py mounts them)."""
    return Records(ctx).routes()


class Records:
    """The records views, bound to one recorder's context."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.sync = clock.make(ctx.state.config.sync_check)
        # the first verify status pays the full chain once (recorder.chaincheck): now, not at
        # the maire's first page load
        threading.Thread(target=self._warm, name="records-verify", daemon=True).start()

    def _warm(self) -> None:
        for ledger in (self.state.register, self.state.journal):
            try:
                registerview.chain_status(ledger)
            except Exception:  # a page load will say what is wrong; never kill the service
                log.exception("chain verify warm-up failed", extra={"chain": ledger.name})

    # -- plumbing -----------------------------------------------------------------------------
    def _page(self, request: Request, template: str, user: User, status: int = 200,
              **values: Any) -> HTMLResponse:
        return pages.render(self.ctx, request, template, status=status, user=user, **values)

    def _guard(self, fn: Callable[[Request, User], Awaitable[Response]]
               ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            # ACC-2/ACC-4: maire and adjoints only; a refusal is a journaled 403 (JRN-1)
            user = await run_in_threadpool(pages.page_user, self.ctx, request, access.SEARCH)
            return await fn(request, user)
        endpoint.__doc__ = fn.__doc__
        return endpoint

    def routes(self) -> list[BaseRoute]:
        """Every route of these views."""
        g = self._guard
        r = [
            ("/registre", self.register, "GET"), ("/journal", self.journal, "GET"),
            ("/registre/extrait", self.extract, "GET"), ("/gels", self.holds, "GET"),
            ("/gels", self.hold_add, "POST"), ("/gels/{hold:int}/lever", self.hold_release,
                                                "POST"),
            ("/demandes", self.requests, "GET"), ("/demandes", self.request_add, "POST"),
            ("/demandes/{rid}", self.request_show, "GET"),
            ("/demandes/{rid}/{step}", self.request_step, "POST"),
            ("/demandes/{rid}/fichier/{name:path}", self.request_file, "GET"),
            ("/sante", self.health, "GET"),
        ]
        return [Route(path, g(fn), methods=[method], include_in_schema=False)
                for path, fn, method in r]

    # -- register and journal -----------------------------------------------------------------
    def _filters(self, request: Request) -> tuple[Filters, dict[str, str], list[str]]:
        q = request.query_params
        form = {k: q.get(k, "").strip()[:80] for k in ("du", "au", "camera", "kind", "person")}
        errors: list[str] = []
        start = end = None
        if form["du"]:
            try:
                start = ar.local_midnight(ar.parse_date(form["du"], "du"))
            except ar.RequestError as exc:
                errors.append(str(exc))
        if form["au"]:
            try:
                end = ar.next_midnight(ar.parse_date(form["au"], "au"))
            except ar.RequestError as exc:
                errors.append(str(exc))
        return (Filters(start=start, end=end, camera=form["camera"] or None,
                        kind=form["kind"] or None, person=form["person"] or None),
                form, errors)

    def _visible(self, user: User, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """ACC-2: an adjoint limited to some cameras sees the entries of those cameras (and
        those naming no camera)."""
        if "*" in user.cameras:
            return entries
        out = []
        for e in entries:
            cams = registerview.cameras_of(e)
            if not cams or "*" in cams or any(user.may_see(c) for c in cams):
                out.append(e)
        return out

    async def _ledger_page(self, request: Request, user: User, which: str,
                           more_errors: list[str] | None = None,
                           status: int = 200) -> Response:
        st = self.state
        ledger = st.register if which == "register" else st.journal
        filters, form, errors = self._filters(request)
        errors = errors + [e for e in more_errors or [] if e not in errors]

        def work() -> tuple[registerview.View, registerview.ChainStatus,
                            tuple[str | None, str | None]]:
            v = registerview.view(ledger, filters)
            v.rows = self._visible(user, v.rows)
            return v, registerview.chain_status(ledger), registerview.checkpoint_status(st)

        v, chain, (cp_problem, cp_ts) = await run_in_threadpool(work)
        kinds = registerview.REGISTER_KINDS if which == "register" else registerview.JOURNAL_KINDS
        return self._page(request, "records/ledger.html", user, status=status, which=which,
                          view=v, chain=chain, cp_problem=cp_problem, cp_ts=cp_ts, form=form,
                          errors=errors, kinds=kinds, cameras=st.config.cameras,
                          people=list(st.config.users))

    async def register(self, request: Request, user: User) -> Response:
        """REG-1: the register with filters and its verify status."""
        return await self._ledger_page(request, user, "register")

    async def journal(self, request: Request, user: User) -> Response:
        """JRN-1: the journal with filters and its verify status."""
        return await self._ledger_page(request, user, "journal")

    async def extract(self, request: Request, user: User) -> Response:
        """A printable extract of a period (REG-1, JRN-1), itself journaled."""
        filters, form, errors = self._filters(request)
        if filters.start is None or filters.end is None:
            errors.append("choisissez la période de l'extrait (du … au …)")
        if errors:
            return await self._ledger_page(request, user, "register", errors, 400)
        st = self.state
        assert filters.start is not None and filters.end is not None

        def work() -> tuple[registerview.Extract, list[registerview.ChainStatus]]:
            ex = registerview.extract(st.register, st.journal, filters.start or 0.0,
                                      filters.end or 0.0, filters.camera)
            ex.register = self._visible(user, ex.register)
            ex.journal = self._visible(user, ex.journal)
            statuses = [registerview.chain_status(st.register),
                        registerview.chain_status(st.journal)]
            st.journal.append("register_extract", {
                "user": user.id, "from": timeutil.iso(ex.start), "to": timeutil.iso(ex.end),
                "camera": filters.camera or "*"})
            return ex, statuses

        ex, statuses = await run_in_threadpool(work)
        return self._page(request, "records/extract.html", user, ex=ex, statuses=statuses,
                          form=form, printed=timeutil.now(),
                          reg_kinds=registerview.REGISTER_KINDS,
                          jrn_kinds=registerview.JOURNAL_KINDS)

    # -- legal holds --------------------------------------------------------------------------
    def _holds_ctx(self) -> dict[str, Any]:
        st = self.state
        reasons: dict[int, dict[str, str]] = {}
        for e in registerview.entries_of_kinds(st.journal, ("hold_add", "hold_release")):
            reasons.setdefault(int(e["data"].get("hold", -1)), {})[e["kind"]] = str(
                e["data"].get("reason", ""))
        holds = sorted(st.index.holds(active_only=False),
                       key=lambda h: (h.released is not None, -h.id))
        return {"holds": holds, "reasons": reasons, "cameras": st.config.cameras}

    async def holds(self, request: Request, user: User, errors: list[str] | None = None,
                    form: dict[str, str] | None = None, status: int = 200) -> Response:
        """Legal holds: active first, then released; place and release forms (RET-1)."""
        ctx = await run_in_threadpool(self._holds_ctx)
        return self._page(request, "records/holds.html", user, status=status,
                          errors=errors or [], form=form or {}, **ctx)

    async def hold_add(self, request: Request, user: User) -> Response:
        """Place a hold: requisition reference, camera, range, reason; by the session's
        person (never a free `by` text)."""
        data = await request.form()
        form = {k: str(data.get(k, "")).strip() for k in
                ("ref", "camera", "du", "au", "reason")}
        errors: list[str] = []
        st = self.state
        if not form["ref"]:
            errors.append("référence de la réquisition judiciaire : obligatoire (RET-1)")
        if not form["reason"]:
            errors.append("motif : obligatoire (journalisé, JRN-1)")
        for key in ("ref", "reason"):
            if len(form[key]) > ar.MAX_TEXT or any(ord(c) < 32 for c in form[key]):
                errors.append(f"{key} : {ar.MAX_TEXT} caractères au plus, sans caractère de "
                              "contrôle")
        cam = form["camera"] or "*"
        if cam != "*":
            try:
                st.config.camera(cam)
            except KeyError:
                errors.append(f"caméra {cam[:40]!r} inconnue")
        if cam == "*" and "*" not in user.cameras:
            errors.append("[ACC-2] gel sur toutes les caméras : réservé à qui les voit toutes")
        elif cam != "*" and not user.may_see(cam):
            errors.append(f"[ACC-2] caméra {cam!r} hors de votre habilitation")
        start = end = 0.0
        try:
            start, end = _local_range(form["du"], form["au"])
        except ValueError as exc:
            errors.append(str(exc))
        if errors:
            return await self.holds(request, user, errors, form, status=400)
        await run_in_threadpool(retention.add_hold, st, form["ref"], cam, start, end, user.id,
                                form["reason"])
        return RedirectResponse("/gels", status_code=303)

    async def hold_release(self, request: Request, user: User) -> Response:
        """Release a hold, with a reason, by the session's person (journaled)."""
        data = await request.form()
        reason = str(data.get("reason", "")).strip()
        hold_id = int(request.path_params["hold"])
        errors = []
        if not reason or len(reason) > ar.MAX_TEXT or any(ord(c) < 32 for c in reason):
            errors.append(f"gel n° {hold_id} : motif de la levée obligatoire "
                          f"({ar.MAX_TEXT} caractères au plus)")
        st = self.state
        hold = next((h for h in st.index.holds() if h.id == hold_id), None)
        if hold is None:
            errors.append(f"gel n° {hold_id} : aucun gel actif de ce numéro")
        elif (hold.camera == "*" and "*" not in user.cameras) or (
                hold.camera != "*" and not user.may_see(hold.camera)):
            errors.append(f"[ACC-2] gel n° {hold_id} : hors de votre habilitation")
        if errors:
            return await self.holds(request, user, errors, status=400)
        await run_in_threadpool(retention.release_hold, st, hold_id, user.id, reason)
        return RedirectResponse("/gels", status_code=303)

    # -- access requests ----------------------------------------------------------------------
    async def requests(self, request: Request, user: User, errors: list[str] | None = None,
                       form: dict[str, Any] | None = None, status: int = 200) -> Response:
        """Access requests with their deadline, and the form to record one."""
        store = ar.Store(self.state)
        reqs = await run_in_threadpool(store.all)
        return self._page(request, "records/requests.html", user, status=status,
                          requests=reqs, today=ar.today(), labels=ar.LABELS, rule=ar.RULE,
                          errors=errors or [], form=form or {"cameras": []},
                          cameras=[c for c in self.state.config.cameras
                                   if user.may_see(c.id)])

    async def request_add(self, request: Request, user: User) -> Response:
        """Record a request received (state `received`)."""
        data = await request.form()
        form: dict[str, Any] = {k: str(data.get(k, "")).strip() for k in
                                ("requester", "contact", "received", "du", "au",
                                 "identity_check")}
        form["cameras"] = [str(c) for c in data.getlist("cameras")]
        store = ar.Store(self.state)
        try:
            received = ar.parse_date(form["received"], "date de réception")
            start, end = _local_range(form["du"], form["au"])
            req = await run_in_threadpool(
                store.record, user, form["requester"], received, form["cameras"], start, end,
                form["identity_check"], form["contact"])
        except (ar.RequestError, ValueError) as exc:
            return await self.requests(request, user, [str(exc)], form, status=400)
        return RedirectResponse(f"/demandes/{req.id}", status_code=303)

    async def request_show(self, request: Request, user: User,
                           errors: list[str] | None = None, status: int = 200) -> Response:
        """One request: its data, history, footage found, extract and next steps."""
        store = ar.Store(self.state)
        try:
            req = await run_in_threadpool(store.get, request.path_params["rid"])
        except ar.RequestError as exc:
            return self._page(request, "error.html", user, status=404, title="Introuvable",
                              message=str(exc))
        files: list[str] = []
        if req.extract_dir and Path(req.extract_dir).is_dir():
            root = Path(req.extract_dir)
            files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        dims = {c.id: f"{c.width}×{c.height}" for c in self.state.config.cameras
                if c.id in req.cameras}
        return self._page(request, "records/request.html", user, status=status, req=req,
                          dims=dims,
                          today=ar.today(), labels=ar.LABELS, rule=ar.RULE,
                          errors=errors or [], files=files)

    async def request_step(self, request: Request, user: User) -> Response:
        """Advance a request: search, extract, answer, refuse; or extend its deadline."""
        rid = request.path_params["rid"]
        step = request.path_params["step"]
        data = await request.form()
        store = ar.Store(self.state)
        try:
            if step == "rechercher":
                await run_in_threadpool(store.search, user, rid)
            elif step == "extrait":
                zones = [z.strip() for z in str(data.get("zones", "")).replace(";", "\n")
                         .splitlines() if z.strip()]
                await run_in_threadpool(store.produce_extract, user, rid, zones)
            elif step == "repondre":
                await run_in_threadpool(store.answer, user, rid, str(data.get("note", "")))
            elif step == "prolonger":
                await run_in_threadpool(store.extend, user, rid, str(data.get("reason", "")))
            elif step == "refuser":
                await run_in_threadpool(store.refuse, user, rid, str(data.get("reason", "")))
            else:
                return self._page(request, "error.html", user, status=404, title="Introuvable",
                                  message=f"étape {step[:40]!r} inconnue")
        except ar.RequestError as exc:
            return await self.request_show(request, user, [str(exc)], status=400)
        return RedirectResponse(f"/demandes/{rid}", status_code=303)

    async def request_file(self, request: Request, user: User) -> Response:
        """Download one file of a request's blurred extract (EXP-5 derivative only)."""
        store = ar.Store(self.state)
        try:
            req = await run_in_threadpool(store.get, request.path_params["rid"])
        except ar.RequestError as exc:
            return self._page(request, "error.html", user, status=404, title="Introuvable",
                              message=str(exc))
        root = Path(req.extract_dir).resolve() if req.extract_dir else None
        wanted = (root / request.path_params["name"]).resolve() if root else None
        if root is None or wanted is None or not wanted.is_relative_to(root) or \
                not wanted.is_file():
            return self._page(request, "error.html", user, status=404, title="Introuvable",
                              message="aucun fichier de ce nom dans l'extrait")
        self.state.journal.append("access_request", {
            "user": user.id, "request": req.id, "step": "extract_downloaded",
            "file": str(wanted.relative_to(root)), "cameras": req.cameras,
            "from": timeutil.iso(req.start), "to": timeutil.iso(req.end)})
        media = mimetypes.guess_type(wanted.name)[0] or "application/octet-stream"
        return FileResponse(wanted, media_type=media, filename=wanted.name)

    # -- health -------------------------------------------------------------------------------
    async def health(self, request: Request, user: User) -> Response:
        """Camera state, last segment age, disk headroom, clock sync, alarms."""
        h = await run_in_threadpool(health.collect, self.state, self.ctx.status_fn,
                                    self.ctx.alarm_fn, self.sync)
        return self._page(request, "records/health.html", user, h=h,
                          segment_seconds=self.state.config.segment_seconds,
                          kinds=registerview.JOURNAL_KINDS, states=health.STATE_LABELS)


def _local_range(du: str, au: str) -> tuple[float, float]:
    """A period from two `datetime-local` (or date) fields, in the commune's time zone."""
    def parse(text: str, what: str, end: bool) -> float:
        raw = text.strip()
        if not raw:
            raise ValueError(f"{what} : obligatoire")
        try:
            if len(raw) == 10:
                d = date.fromisoformat(raw)
                return ar.next_midnight(d) if end else ar.local_midnight(d)
            return datetime.fromisoformat(raw).replace(tzinfo=TZ).timestamp()
        except ValueError:
            raise ValueError(f"{what} : date et heure attendues (AAAA-MM-JJTHH:MM), reçu "
                             f"{raw[:40]!r}") from None

    start, end = parse(du, "début de la période", False), parse(au, "fin de la période", True)
    if end <= start:
        raise ValueError("période : la fin doit suivre le début")
    return start, end
