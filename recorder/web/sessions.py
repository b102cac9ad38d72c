"""Server-side sessions: an opaque random id in a HttpOnly, Secure, SameSite=Strict cookie, the
account and a per-session CSRF token kept in memory (a restart logs everybody out, which is the
safe side). API bearer tokens (POST /api/login) are sessions too, without the cookie."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field

from recorder import timeutil

COOKIE = "beffroi_session"
SESSION_TTL = 8 * 3600.0  # a working day; then log in again
IDLE_TTL = 30 * 60.0  # a console left alone half an hour is logged out (ACC-1: a person)
MAX_SESSIONS = 10_000


@dataclass
class Session:
    """One browser or API session."""

    id: str
    user_id: str | None  # None before login (the login form's own CSRF token)
    expires: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    last_seen: float = field(default_factory=timeutil.now)
    granted: dict[int, str] = field(default_factory=dict)  # segment id -> path (playlists)

    def csrf_ok(self, token: str | None) -> bool:
        """Constant-time comparison of a submitted CSRF token with this session's."""
        return bool(token) and hmac.compare_digest(self.csrf, str(token))


class SessionStore:
    """Sessions by id, expired ones dropped as new ones are made."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self, user_id: str | None, ttl: float = SESSION_TTL) -> Session:
        """A fresh session (a new id at every login: no session fixation)."""
        now = timeutil.now()
        session = Session(secrets.token_urlsafe(32), user_id, now + ttl)
        with self._lock:
            for sid in [s for s, v in self._sessions.items() if not self._alive(v, now)]:
                del self._sessions[sid]
            if len(self._sessions) >= MAX_SESSIONS:  # a flood of login pages: oldest go first
                for sid in sorted(self._sessions, key=lambda s: self._sessions[s].last_seen)[
                        :MAX_SESSIONS // 10]:
                    del self._sessions[sid]
            self._sessions[session.id] = session
        return session

    @staticmethod
    def _alive(s: Session, now: float) -> bool:
        return s.expires > now and now - s.last_seen < IDLE_TTL

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (its idle clock restarts), or None."""
        if not session_id:
            return None
        now = timeutil.now()
        with self._lock:
            s = self._sessions.get(session_id)
            if s is None or not self._alive(s, now):
                self._sessions.pop(session_id, None)
                return None
            s.last_seen = now
            return s

    def drop(self, session_id: str) -> None:
        """Log out."""
        with self._lock:
            self._sessions.pop(session_id, None)
