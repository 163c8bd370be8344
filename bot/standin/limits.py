"""Flood limits modelled on Telegram's: per chat, per group, overall.

Telegram does not publish exact numbers; the Bots FAQ says about one message
per second per chat (short bursts tolerated), 20 per minute per group or
channel and about 30 per second overall. Each is a token bucket here, read
from the stand-in's injectable clock, so a frozen test clock gives fully
deterministic 429s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FloodConfig:
    """Bucket sizes and refill rates (tokens per second)."""

    chat_rate: float = 1.0
    chat_burst: float = 3.0
    group_rate: float = 20 / 60
    group_burst: float = 20.0
    global_rate: float = 30.0
    global_burst: float = 30.0


@dataclass
class TokenBucket:
    """A classic token bucket; ``wait`` says how long until one token is there."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 if one is)."""
        self.refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class FloodLimiter:
    """Decides whether a message may go out now, or how long to wait.

    Args:
        clock: Seconds since the epoch (the stand-in's injectable clock).
        enabled: When False every message passes.
        config: Bucket sizes and rates.
    """

    clock: Callable[[], float]
    enabled: bool = True
    config: FloodConfig = field(default_factory=FloodConfig)
    _buckets: dict[tuple[str, int], TokenBucket] = field(default_factory=dict)

    def _bucket(self, key: tuple[str, int], rate: float, burst: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate, burst, burst, now)
        return bucket

    def acquire(self, chat_id: int, is_group: bool) -> int | None:
        """Take a token for one message to ``chat_id``.

        Returns:
            None when the message may go out, else the ``retry_after`` seconds
            (at least 1, like Telegram) and no token is taken.
        """
        if not self.enabled:
            return None
        now = self.clock()
        cfg = self.config
        buckets = [
            self._bucket(("global", 0), cfg.global_rate, cfg.global_burst, now),
            self._bucket(("chat", chat_id), cfg.chat_rate, cfg.chat_burst, now),
        ]
        if is_group:
            buckets.append(self._bucket(("group", chat_id), cfg.group_rate, cfg.group_burst, now))
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    def reset(self) -> None:
        """Forget all buckets (full bursts again)."""
        self._buckets.clear()
