"""Console: live (issue 14 §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from recorder.api import ApiContext


def routes(ctx: ApiContext) -> list[BaseRoute]:
    """Routes of this view."""
    return []


class LiveHub:
    """Placeholder until the shared live pulls land."""

    def __init__(self, conf: object) -> None:
        self.conf = conf
