"""The bot's update queue: long polling, confirmation by offset, redelivery.

Semantics follow the Bot API: an update stays pending until a ``getUpdates``
call passes an ``offset`` greater than its ``update_id`` (or a webhook
delivery succeeds); a negative offset keeps only the last ``-offset``
updates; ``allowed_updates`` persists between calls, and updates of other
types are dropped rather than kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.standin.errors import conflict
from bot.standin.signals import Signal, wait_until

JsonDict = dict[str, Any]
# Telegram leaves these out unless they are asked for explicitly.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MAX_POLL_TIMEOUT = 50.0


def update_kind(payload: JsonDict) -> str:
    """The update's type: its one key besides ``update_id``."""
    return next((key for key in payload if key != "update_id"), "unknown")


@dataclass
class PendingUpdate:
    """An update waiting to be confirmed."""

    update_id: int
    payload: JsonDict
    redelivery: bool = False
    delivered: bool = False
    in_flight: bool = False

    @property
    def kind(self) -> str:
        """The update type, e.g. "message"."""
        return update_kind(self.payload)


class UpdateQueue:
    """Pending updates of one bot, shared by getUpdates and webhook delivery."""

    def __init__(self, signal: Signal | None = None, first_update_id: int = 100_000_001) -> None:
        self._pending: list[PendingUpdate] = []
        self._history: dict[int, JsonDict] = {}
        self._next_id = first_update_id
        # Shared with the state, so waiters on "idle" see queue changes too.
        self.signal = signal or Signal()
        self.waiting_polls = 0
        self.allowed: frozenset[str] | None = None
        self.webhook_active = False
        self.closed = False
        self._poll_generation = 0

    @property
    def pending_count(self) -> int:
        """Updates not yet confirmed."""
        return len(self._pending)

    def push(self, payload: JsonDict) -> int:
        """Enqueue an update, assigning a fresh ``update_id`` if it has none."""
        if "update_id" not in payload:
            payload = {"update_id": self._next_id, **payload}
        update_id = int(payload["update_id"])
        self._next_id = max(self._next_id, update_id + 1)
        self._history[update_id] = payload
        self._pending.append(PendingUpdate(update_id, payload))
        self.signal.notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Send an earlier update again with the same ``update_id``.

        Raises:
            KeyError: No update had that id.
        """
        self._pending.append(PendingUpdate(update_id, self._history[update_id], redelivery=True))
        self.signal.notify()

    def get(self, update_id: int) -> JsonDict:
        """An update ever enqueued, by id."""
        return self._history[update_id]

    def drop_pending(self) -> None:
        """Forget every pending update (``drop_pending_updates``)."""
        self._pending.clear()
        self.signal.notify()

    def _wanted(self, item: PendingUpdate) -> bool:
        if self.allowed is None:
            return item.kind not in NOT_BY_DEFAULT
        return item.kind in self.allowed

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [
                p
                for p in self._pending
                if p.update_id >= offset or (p.redelivery and not p.delivered)
            ]
        self.signal.notify()

    def _take(self, limit: int) -> list[JsonDict] | None:
        self._pending = [p for p in self._pending if self._wanted(p)]
        batch = [p for p in self._pending if not p.in_flight][:limit]
        for item in batch:
            item.delivered = True
        return [item.payload for item in batch] or None

    async def poll(
        self,
        offset: int | None,
        limit: int,
        timeout: float,  # noqa: ASYNC109 - the waiting API takes a timeout by design
        allowed: list[str] | None,
    ) -> list[JsonDict]:
        """``getUpdates``: confirm, then return pending updates or wait for some.

        Raises:
            ApiError: 409 while a webhook is set, or when a newer getUpdates
                call supersedes this one.
        """
        if self.webhook_active:
            raise conflict(
                "can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else None
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.signal.notify()

        def ready() -> list[JsonDict] | None:
            if generation != self._poll_generation:
                raise conflict(
                    "terminated by other getUpdates request; "
                    "make sure that only one bot instance is running"
                )
            if self.closed or self.webhook_active:
                return []
            return self._take(limit)

        self.waiting_polls += 1
        self.signal.notify()
        try:
            found = await wait_until(self.signal, ready, min(max(timeout, 0.0), MAX_POLL_TIMEOUT))
        finally:
            self.waiting_polls -= 1
        return found or []

    async def claim(self) -> PendingUpdate:
        """For webhook workers: wait for the next update nobody is delivering."""

        def ready() -> PendingUpdate | None:
            self._pending = [p for p in self._pending if self._wanted(p)]
            for item in self._pending:
                if not item.in_flight:
                    item.in_flight = True
                    return item
            return None

        found = await wait_until(self.signal, ready, None)
        assert found is not None  # no timeout: only returns with an update
        return found

    def done(self, item: PendingUpdate) -> None:
        """A webhook delivery succeeded: the update is confirmed."""
        if item in self._pending:
            self._pending.remove(item)
        self.signal.notify()

    def release(self, item: PendingUpdate) -> None:
        """A webhook worker gave up on an update; another may take it."""
        item.in_flight = False
        self.signal.notify()

    def close(self) -> None:
        """Answer every waiting long poll at once (server shutdown)."""
        self.closed = True
        self.signal.notify()
