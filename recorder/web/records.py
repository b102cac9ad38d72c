"""Register/journal views, legal holds, right-of-access requests and health (issue 14 §2),
plugged into the console's app (recorder/web/app.py calls routes() and reads NAV).

This module may import recorder.web.pages and recorder.web.calls (neither imports it: the app
puts NAV into ctx.nav). Pattern for a view: a Starlette Route whose endpoint calls
pages.page_user(ctx, request,
access.SEARCH) (login + right + journaled refusal), pages.render(ctx, request,
"records/xxx.html", user=user, ...) for the layout; forms POST with the hidden `csrf` field
({{ csrf }}); scripts send the X-CSRF-Token header from <meta name=csrf>. Endpoints that block
(journal, index, PDF) are plain `def` functions: Starlette runs them in the thread pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from recorder.web.nav import NavItem

if TYPE_CHECKING:
    from recorder.web.calls import ApiContext

# Navigation entries (label, path, recorder.access action that shows them, accesskey).
NAV: list[NavItem] = []


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """The records views' routes."""
    return []
