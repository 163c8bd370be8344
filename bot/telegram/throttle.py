"""Per-reporter message rate limit, in memory (a restart forgives; that is acceptable)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `limit` messages per `window` seconds per user; says when to warn once."""

    def __init__(
        self, limit: int = 60, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn): warn is True for the first refused message of a burst."""
        now = self._clock()
        stamps = self._seen.setdefault(user_id, deque())
        while stamps and now - stamps[0] > self._window:
            stamps.popleft()
        if len(stamps) >= self._limit:
            warn = user_id not in self._warned
            self._warned.add(user_id)
            return False, warn
        stamps.append(now)
        self._warned.discard(user_id)
        if len(self._seen) > 50_000:  # forget idle users so memory stays bounded
            self._forget(now)
        return True, False

    def _forget(self, now: float) -> None:
        for user_id in [u for u, s in self._seen.items() if not s or now - s[-1] > self._window]:
            del self._seen[user_id]
