"""What the domain needs from storage, as protocols (storage implements them)."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.domain.conversation import ConversationState
from bot.domain.people import TelegramIdentity


class Transaction(Protocol):
    """One atomic unit of work: everything in it commits together or not at all."""

    async def claim_update(self, update_id: int) -> bool:
        """Record a Telegram update id; False if it was already handled (redelivery)."""
        ...

    async def reporter_id(self, identity: TelegramIdentity) -> uuid.UUID:
        """The reporter for this Telegram identity, created on first contact."""
        ...

    async def load_conversation(self, reporter_id: uuid.UUID) -> ConversationState | None:
        """The reporter's conversation state, or None before the first step."""
        ...

    async def save_conversation(self, reporter_id: uuid.UUID, state: ConversationState) -> None:
        """Store the reporter's conversation state."""
        ...


class Store(Protocol):
    """Opens transactions."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A new transaction, committed on normal exit and rolled back on an exception."""
        ...
