"""Reporters: found by a blind index of their Telegram user id, identity encrypted."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.people import TelegramIdentity
from storage.models import Conversation, DataKeyRow, Reporter
from storage.session_memo import keep
from storage.vault import OwnerKind, Vault, binding

LOOKUP_PURPOSE = "telegram-user"


class ReporterRepository:
    """Create and find reporters without storing who they are in the clear."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self._session = session
        self._vault = vault

    def _lookup(self, user_id: int) -> bytes:
        return self._vault.lookup(LOOKUP_PURPOSE, str(user_id))

    async def find(self, user_id: int) -> uuid.UUID | None:
        """The reporter id for a Telegram user id, if they have written before.

        Their conversation and data key come in the same query, into the session: the update
        that asked reads both next, and then needs no query of its own.
        """
        result = await self._session.execute(
            select(Reporter.id, Conversation, DataKeyRow)
            .outerjoin(Conversation, Conversation.reporter_id == Reporter.id)
            .outerjoin(DataKeyRow, DataKeyRow.id == Reporter.id)
            .where(Reporter.lookup == self._lookup(user_id))
        )
        row = result.first()
        if row is None:
            return None
        keep(self._session, row[1], row[2])
        return row[0]

    async def get_or_create(self, identity: TelegramIdentity) -> uuid.UUID:
        """The reporter for this identity, created (with its own data key) on first contact."""
        existing = await self.find(identity.user_id)
        if existing is not None:
            return existing
        reporter_id = uuid.uuid4()
        key = await self._vault.create(self._session, OwnerKind.REPORTER, reporter_id)
        ciphertext = key.encrypt_json(
            identity.to_dict(), binding(OwnerKind.REPORTER, reporter_id, "reporters", "identity")
        )
        self._session.add(
            Reporter(id=reporter_id, lookup=self._lookup(identity.user_id), identity=ciphertext)
        )
        await self._session.flush()
        return reporter_id

    async def identity(self, reporter_id: uuid.UUID) -> TelegramIdentity:
        """Decrypt a reporter's Telegram identity (to send them a message)."""
        row = await self._session.get(Reporter, reporter_id)
        if row is None:
            raise LookupError("no such reporter")
        key = await self._vault.get(self._session, OwnerKind.REPORTER, reporter_id)
        data = key.decrypt_json(
            row.identity, binding(OwnerKind.REPORTER, reporter_id, "reporters", "identity")
        )
        return TelegramIdentity.from_dict(data)
