"""The SQL implementation of the domain's `Store` port: one transaction per unit of work."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.conversation import ConversationState
from bot.domain.people import TelegramIdentity
from storage.models import ProcessedUpdate
from storage.repositories.audit import AuditLog
from storage.repositories.cases import CaseRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.reporters import ReporterRepository
from storage.vault import Vault


class SqlTransaction:
    """Repositories sharing one session; implements `bot.domain.ports.Transaction`."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.session = session
        self.reporters = ReporterRepository(session, vault)
        self.conversations = ConversationRepository(session, vault)
        self.cases = CaseRepository(session, vault)
        self.audit = AuditLog(session)

    async def claim_update(self, update_id: int) -> bool:
        """Record the update id; False when an earlier delivery already committed it."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(insert(ProcessedUpdate).values(update_id=update_id))
        except IntegrityError:
            return False
        return True

    async def reporter_id(self, identity: TelegramIdentity) -> uuid.UUID:
        """The reporter for this identity, created on first contact."""
        return await self.reporters.get_or_create(identity)

    async def load_conversation(self, reporter_id: uuid.UUID) -> ConversationState | None:
        """The reporter's conversation state."""
        return await self.conversations.load(reporter_id)

    async def save_conversation(self, reporter_id: uuid.UUID, state: ConversationState) -> None:
        """Store the reporter's conversation state."""
        await self.conversations.save(reporter_id, state)


class SqlStore:
    """Opens `SqlTransaction`s on a session factory."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], vault: Vault) -> None:
        self._sessions = sessions
        self.vault = vault

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """Commit on normal exit, roll back on an exception."""
        async with self._sessions() as session, session.begin():
            yield SqlTransaction(session, self.vault)
