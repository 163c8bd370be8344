"""What the domain needs from storage, as protocols (storage implements them)."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain.cases import CaseStatus, Priority, Urgency
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


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """A case's plaintext metadata."""

    id: uuid.UUID
    code: str
    status: CaseStatus
    urgency: Urgency


class IntakeTransaction(Transaction, Protocol):
    """What the reporter conversation needs from storage within one transaction."""

    async def create_case(self, reporter_id: uuid.UUID, questionnaire_version: str) -> CaseInfo:
        """A new draft case of this reporter, with its own data key."""
        ...

    async def case_info(self, case_id: uuid.UUID) -> CaseInfo | None:
        """A case's metadata, or None if it was shredded."""
        ...

    async def latest_case(self, reporter_id: uuid.UUID) -> CaseInfo | None:
        """The reporter's most recent case that is not a draft."""
        ...

    async def case_answers(self, case_id: uuid.UUID) -> dict[str, Any]:
        """Every answer of a case, decrypted."""
        ...

    async def put_answer(self, case_id: uuid.UUID, question_id: str, value: Any) -> None:
        """Store or replace an answer (encrypted)."""
        ...

    async def delete_answer(self, case_id: uuid.UUID, question_id: str) -> None:
        """Remove an answer."""
        ...

    async def attach_file(self, case_id: uuid.UUID, attachment_id: str) -> bool:
        """Keep an uploaded attachment with the case; False if it is not this case's."""
        ...

    async def complete_tier0(
        self, case_id: uuid.UUID, urgency: Urgency, person_key: str | None, now: datetime
    ) -> CaseInfo | None:
        """Mark Tier 0 complete (status NEW); link to an earlier case of the same person.

        Returns the earlier case this report was attached to, if the blind index matched one.
        """
        ...

    async def set_urgency(self, case_id: uuid.UUID, urgency: Urgency) -> None:
        """Change a case's urgency."""
        ...

    async def mark_submitted(self, case_id: uuid.UUID, now: datetime) -> None:
        """Record that the reporter sent the report from the review screen."""
        ...

    async def enqueue_case_event(self, case_id: uuid.UUID, kind: str, priority: Priority) -> None:
        """Put a message about this case in the outbox, in this transaction."""
        ...

    async def shred_case(self, case_id: uuid.UUID) -> None:
        """Crypto-shred a case."""
        ...

    async def erase_reporter(self, reporter_id: uuid.UUID) -> int:
        """Crypto-shred a reporter and all their cases; returns how many cases went."""
        ...

    async def count_cases(
        self, reporter_id: uuid.UUID, *, since: datetime | None = None, open_only: bool = False
    ) -> int:
        """How many cases the reporter opened (since a moment; or still open)."""
        ...
