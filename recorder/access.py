"""Who may do what (ACC-2/ACC-3/ACC-4): rights per role, checked on every request."""

from __future__ import annotations

from recorder.config import User

LIVE, SEARCH, PLAYBACK, EXPORT, STATUS = "live", "search", "playback", "export", "status"
PROBE = "probe"  # the crisis cell's health probe: is a live mount up, without watching it

# ACC-2: maire/adjoints see their commune's cameras live and recorded, and export.
# ACC-3/ACC-4: outside recipients (SDIS, PN, GN...) see live only, never recordings.
# admin: configuration and status, no video at all.
RIGHTS: dict[str, frozenset[str]] = {
    "maire": frozenset({LIVE, SEARCH, PLAYBACK, EXPORT, STATUS}),
    "adjoint": frozenset({LIVE, SEARCH, PLAYBACK, EXPORT, STATUS}),
    "live": frozenset({LIVE, STATUS}),
    "admin": frozenset({STATUS}),
    # issue 12: a machine account, not a person: no live view, so no live_view journal line
    "probe": frozenset({PROBE}),
}
RULE = {LIVE: "ACC-3", SEARCH: "ACC-4", PLAYBACK: "ACC-4", EXPORT: "ACC-4", STATUS: "ACC-1",
        PROBE: "ACC-4"}


def allowed(user: User, action: str, camera: str | None = None) -> bool:
    """True when the user's role grants the action on that camera (or on no camera)."""
    if action not in RIGHTS.get(user.role, frozenset()):
        return False
    return camera is None or user.may_see(camera)


def refusal(user: User, action: str, camera: str | None) -> str:
    """Why an action is refused, with the rule id."""
    if action not in RIGHTS.get(user.role, frozenset()):
        return (f"[{RULE[action]}] role {user.role!r} may not {action} "
                f"(recordings are reachable only under the maire's responsibility)")
    return f"[ACC-2] {user.id!r} is not habilitated for camera {camera!r}"
