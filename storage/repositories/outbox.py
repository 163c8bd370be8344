"""The outbox: messages to send, written in the transaction of the change that causes them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import Priority
from storage.models import OutboxMessage
from storage.vault import OwnerKind, Vault, binding


class OutboxRepository:
    """Enqueue messages; the alert worker (bot/alerts) sends them."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self._session = session
        self._vault = vault

    async def enqueue(
        self,
        *,
        kind: str,
        priority: Priority,
        destination: str,
        case_id: uuid.UUID | None = None,
        payload: Any = None,
        dedupe_key: str | None = None,
    ) -> uuid.UUID:
        """Add a message; a payload is encrypted under the case's key."""
        message_id = uuid.uuid4()
        sealed: bytes | None = None
        if payload is not None:
            if case_id is None:
                raise ValueError("an outbox payload needs a case to be encrypted under")
            key = await self._vault.get(self._session, OwnerKind.CASE, case_id)
            sealed = key.encrypt_json(
                payload, binding(OwnerKind.CASE, case_id, "outbox", "payload", message_id)
            )
        self._session.add(
            OutboxMessage(
                id=message_id,
                case_id=case_id,
                kind=kind,
                priority=int(priority),
                destination=destination,
                payload=sealed,
                dedupe_key=dedupe_key,
            )
        )
        await self._session.flush()
        return message_id
