"""Wall sessions: server-side, behind an HttpOnly + Secure + SameSite=Strict cookie, each with
its CSRF token (checked on every POST); idle sessions expire (ACC-5)."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE = "__Host-beffroi-wall"        # __Host-: Secure, Path=/, no Domain (no subdomain can set it)
LOGIN_CSRF_COOKIE = "__Host-beffroi-wall-login"  # double-submit token of the login form
MAX_SESSIONS = 256


@dataclass
class Session:
    """One logged-in person."""

    person: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    created: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    streams: int = 0  # live streams open now


class Sessions:
    """The open sessions of the wall (in memory: a restart logs everyone out)."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle = idle_seconds
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, person: str) -> str:
        """A new session id for `person` (the oldest session goes when the table is full)."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._expire()
            if len(self._by_id) >= MAX_SESSIONS:
                oldest = min(self._by_id, key=lambda k: self._by_id[k].seen)
                del self._by_id[oldest]
            self._by_id[sid] = Session(person)
        return sid

    def get(self, sid: str | None) -> Session | None:
        """The live session of this cookie value, refreshed; None when unknown or idle."""
        if not sid:
            return None
        with self._lock:
            self._expire()
            session = self._by_id.get(sid)
            if session is not None:
                session.seen = time.monotonic()
            return session

    def close(self, sid: str | None) -> None:
        """Log out."""
        with self._lock:
            self._by_id.pop(sid or "", None)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid in [k for k, s in self._by_id.items() if now - s.seen > self.idle]:
            del self._by_id[sid]


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens (both present)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
