"""Conversation state, encrypted under the reporter's key, one row per reporter."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.conversation import ConversationState
from storage.crypto import Binding
from storage.models import Conversation
from storage.session_memo import keep
from storage.vault import OwnerKind, Vault, binding


class ConversationRepository:
    """Load and save where a reporter is in the conversation."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self._session = session
        self._vault = vault

    @staticmethod
    def _binding(reporter_id: uuid.UUID) -> Binding:
        return binding(OwnerKind.REPORTER, reporter_id, "conversations", "state")

    async def load(self, reporter_id: uuid.UUID) -> ConversationState | None:
        """The stored state, or None if the reporter has none yet."""
        row = await self._session.get(Conversation, reporter_id)
        if row is None:
            return None
        keep(self._session, row)  # saved at the end of the same update
        key = await self._vault.get(self._session, OwnerKind.REPORTER, reporter_id)
        return ConversationState.from_dict(key.decrypt_json(row.state, self._binding(reporter_id)))

    async def save(
        self, reporter_id: uuid.UUID, state: ConversationState, update_id: int | None = None
    ) -> None:
        """Store the state (encrypted, padded) in this transaction."""
        key = await self._vault.get(self._session, OwnerKind.REPORTER, reporter_id)
        ciphertext = key.encrypt_json(state.to_dict(), self._binding(reporter_id))
        row = await self._session.get(Conversation, reporter_id)
        if row is None:
            self._session.add(
                Conversation(
                    reporter_id=reporter_id,
                    state=ciphertext,
                    last_update_id=update_id or 0,
                    version=1,
                )
            )
        else:
            row.state = ciphertext
            row.version += 1
            if update_id is not None:
                row.last_update_id = max(row.last_update_id, update_id)
        await self._session.flush()
