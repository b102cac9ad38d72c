"""Password checks that hold under attack (ACC-5, issue 10 §4): bounded argon2 concurrency,
per-account and per-address lockout with exponential backoff, the same cost for unknown names.

Shared by the API and the live relay (each process keeps its own counters).
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError

from recorder.config import ApiLimits, User
from recorder.passwords import check_password

MAX_TRACKED = 10_000  # keys remembered at most: a flood of names cannot grow memory unbounded


class Busy(Exception):
    """No hashing slot within the wait: answer 503 (Retry-After) instead of queueing."""


@dataclass
class Locked(Exception):
    """The account name or the address is locked out for `retry_after` more seconds."""

    retry_after: float

    @property
    def retry_after_header(self) -> str:
        """Whole seconds for a Retry-After header (at least 1)."""
        return str(max(1, math.ceil(self.retry_after)))


@dataclass
class _Failures:
    count: int
    last: float
    until: float


class Lockout:
    """Counts failures per key; from `threshold` on, each failure locks the key for
    base * 2**(failures - threshold) seconds (capped). Forgotten `cap` seconds after the last."""

    def __init__(self, threshold: int, base: float, cap: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.base, self.cap, self.clock = threshold, base, cap, clock
        self._keys: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def remaining(self, key: str) -> float:
        """Seconds this key stays locked (0 when it is not)."""
        with self._lock:
            f = self._keys.get(key)
            return max(0.0, f.until - self.clock()) if f else 0.0

    def failure(self, key: str) -> float:
        """Count one failure; the lock duration it starts, or 0."""
        now = self.clock()
        with self._lock:
            f = self._keys.get(key)
            if f is None or now - f.last > self.cap:
                f = self._keys[key] = _Failures(0, now, 0.0)
            f.count += 1
            f.last = now
            self._prune(now)
            if f.count < self.threshold:
                return 0.0
            duration = float(min(self.cap, self.base * 2.0 ** min(f.count - self.threshold, 32)))
            f.until = now + duration
            return duration

    def success(self, key: str) -> None:
        """A right password clears the key's failures."""
        with self._lock:
            self._keys.pop(key, None)

    def _prune(self, now: float) -> None:
        """Over MAX_TRACKED keys: forget unlocked ones, fewest failures and oldest first (a flood
        of one-off names does not wipe an account under attack), down to 90 % of the limit."""
        if len(self._keys) <= MAX_TRACKED:
            return
        unlocked = sorted((f.count, f.last, k) for k, f in self._keys.items() if f.until < now)
        for _, _, key in unlocked[:len(self._keys) - MAX_TRACKED * 9 // 10]:
            del self._keys[key]


@dataclass(frozen=True)
class Outcome:
    """Result of one credential check."""

    user: User | None
    lockout: dict[str, object] | None = None  # what to journal when a lock has just started
    claimed: str = ""  # the account name the client gave (for the journal)


class PasswordGuard:
    """Verifies a claimed account's password within the limits."""

    def __init__(self, users: tuple[User, ...], limits: ApiLimits) -> None:
        self.users = {u.id: u for u in users}
        self.limits = limits
        self.accounts = Lockout(limits.lockout_threshold, limits.lockout_base_seconds,
                                limits.lockout_max_seconds)
        self.addresses = Lockout(limits.address_lockout_threshold, limits.lockout_base_seconds,
                                 limits.lockout_max_seconds)
        self._slots = threading.BoundedSemaphore(limits.hash_concurrency)
        self._dummy = _dummy_hash(users)

    def check(self, user_id: str, password: str, client: str) -> Outcome:
        """The user when the password is right; raise Locked or Busy before any hashing."""
        remaining = max(self.accounts.remaining(user_id), self.addresses.remaining(client))
        if remaining:
            raise Locked(remaining)
        if not self._slots.acquire(timeout=self.limits.hash_wait_seconds):
            raise Busy()
        try:
            user = self.users.get(user_id)
            # An unknown name costs one verification against a dummy hash of the same
            # parameters: response time does not tell which accounts exist.
            ok = check_password(user.password_hash if user else self._dummy, password)
        finally:
            self._slots.release()
        if ok and user is not None:
            self.accounts.success(user_id)
            return Outcome(user)
        for_account = self.accounts.failure(user_id)
        for_address = self.addresses.failure(client)
        if not (for_account or for_address):
            return Outcome(None)
        lock: dict[str, object] = {"user_claimed": user_id[:64], "client": client,
                                   "locked": "account" if for_account else "address",
                                   "seconds": round(max(for_account, for_address), 1),
                                   "until": _utc_in(max(for_account, for_address))}
        if for_account and for_address:
            lock["locked"] = "account+address"
        return Outcome(None, lock)


def _utc_in(seconds: float) -> str:
    from recorder import timeutil

    return timeutil.iso(timeutil.now() + seconds)


def _dummy_hash(users: tuple[User, ...]) -> str:
    """An argon2id hash of a random secret, with the configured hashes' parameters."""
    hasher = PasswordHasher()
    for u in users:
        try:
            hasher = PasswordHasher.from_parameters(extract_parameters(u.password_hash))
            break
        except InvalidHashError:
            continue
    return hasher.hash(secrets.token_urlsafe(24))


class CredentialCache:
    """Verified `Basic` credentials remembered for `ttl` seconds (clients re-send them on every
    request; argon2 is deliberately slow). Concurrent checks of one header share a single
    verification instead of each taking a hashing slot."""

    def __init__(self, guard: PasswordGuard, ttl: float) -> None:
        self.guard = guard
        self.ttl = ttl
        self._cache: dict[str, tuple[str, float]] = {}
        self._inflight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def _hit(self, key: str) -> User | None:
        hit = self._cache.get(key)
        if hit and hit[1] > time.monotonic() and not self.guard.accounts.remaining(hit[0]):
            return self.guard.users.get(hit[0])
        return None

    def check(self, value: str, client: str) -> Outcome:
        """Outcome of the base64 `user:password` value; raises Locked or Busy like the guard."""
        key = hashlib.sha256(value.encode()).hexdigest()
        with self._lock:
            if (user := self._hit(key)) is not None:
                return Outcome(user)
            pending = self._inflight.get(key)
            if pending is None:
                self._inflight[key] = threading.Event()
        if pending is not None:  # the same header is being verified: wait for its result
            pending.wait(self.guard.limits.hash_wait_seconds + 10)
            with self._lock:
                if (user := self._hit(key)) is not None:
                    return Outcome(user)
            return self._verify(key, value, client)  # it failed: fail (and count) on our own
        try:
            return self._verify(key, value, client)
        finally:
            with self._lock:
                self._inflight.pop(key).set()

    def _verify(self, key: str, value: str, client: str) -> Outcome:
        try:
            user_id, _, password = base64.b64decode(value.strip(), validate=True).decode(
            ).partition(":")
        except (ValueError, UnicodeDecodeError):
            user_id, password = "?", ""
        outcome = self.guard.check(user_id, password, client)
        if outcome.user is not None:
            with self._lock:
                if len(self._cache) > MAX_TRACKED:
                    self._cache.clear()
                self._cache[key] = (outcome.user.id, time.monotonic() + self.ttl)
        return Outcome(outcome.user, outcome.lockout, user_id[:64])
