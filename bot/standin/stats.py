"""Counters of everything the stand-in answered."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    """What the stand-in did, for assertions and benchmarks.

    Attributes:
        calls: Bot API method calls by method name (every call, failed ones too).
        too_many_requests: 429 answers sent (flood limits and injected storms).
        too_many_requests_by_chat: 429 answers by the request's ``chat_id``.
        server_errors: 5xx answers sent.
        dropped_connections: Connections aborted by a "drop" fault.
        delivered: Bot messages delivered, by chat id.
        webhook_deliveries: Updates the webhook receiver accepted.
        webhook_failures: Failed webhook attempts (each retry counts).
    """

    calls: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    too_many_requests_by_chat: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    dropped_connections: int = 0
    delivered: Counter[int] = field(default_factory=Counter)
    webhook_deliveries: int = 0
    webhook_failures: int = 0

    @property
    def messages_delivered(self) -> int:
        """Bot messages delivered in all chats."""
        return sum(self.delivered.values())

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot (chat ids become string keys)."""
        return {
            "calls": dict(self.calls),
            "too_many_requests": self.too_many_requests,
            "too_many_requests_by_chat": {
                str(k): v for k, v in self.too_many_requests_by_chat.items()
            },
            "server_errors": self.server_errors,
            "dropped_connections": self.dropped_connections,
            "delivered": {str(k): v for k, v in self.delivered.items()},
            "messages_delivered": self.messages_delivered,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
        }

    def reset(self) -> None:
        """Zero every counter."""
        fresh = Stats()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))
