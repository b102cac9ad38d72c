"""Lockout arithmetic (recorder/guard.py) with an injected clock: threshold, doubling backoff,
cap, forgetting, bounded memory. The API and relay tests exercise it for real."""

from __future__ import annotations

import pytest

from recorder import guard
from recorder.guard import Lockout


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_lock_starts_at_the_threshold_and_doubles_with_each_failure_up_to_the_cap() -> None:
    clock = Clock()
    lock = Lockout(threshold=3, base=10, cap=60, clock=clock)
    assert [lock.failure("mdupont") for _ in range(2)] == [0.0, 0.0]
    assert lock.remaining("mdupont") == 0
    assert lock.failure("mdupont") == 10
    assert lock.remaining("mdupont") == 10
    assert [lock.failure("mdupont") for _ in range(4)] == [20, 40, 60, 60]
    assert lock.remaining("other") == 0


def test_failures_are_forgotten_a_cap_after_the_last_and_a_success_clears_them() -> None:
    clock = Clock()
    lock = Lockout(threshold=2, base=5, cap=30, clock=clock)
    lock.failure("a")
    clock.t += 31
    assert lock.failure("a") == 0.0  # the first failure was forgotten
    assert lock.failure("a") == 5
    lock.success("a")
    assert lock.remaining("a") == 0 and lock.failure("a") == 0.0


def test_a_flood_of_names_cannot_grow_memory_without_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """...and flooding it does not wipe the count of an account under attack."""
    monkeypatch.setattr(guard, "MAX_TRACKED", 100)
    clock = Clock()
    lock = Lockout(threshold=5, base=5, cap=3000, clock=clock)
    for _ in range(4):
        lock.failure("mdupont")
    for i in range(1000):
        clock.t += 0.01
        lock.failure(f"name{i}")
    assert len(lock._keys) <= 100
    assert lock.failure("mdupont") == 5  # its 5th failure locks: the count survived the flood
