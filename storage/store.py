"""The SQL implementation of the domain's `Store` port: one transaction per unit of work."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.cases import Priority, Urgency
from bot.domain.conversation import ConversationState
from bot.domain.people import TelegramIdentity
from bot.domain.ports import CaseInfo
from storage.models import Case, ProcessedUpdate, Reporter, utcnow
from storage.repositories.alerts import AlertRepository
from storage.repositories.attachments import AttachmentRepository
from storage.repositories.audit import AuditAnchor, AuditLog
from storage.repositories.cases import CaseRecord, CaseRepository
from storage.repositories.casework import before_shred
from storage.repositories.conversations import ConversationRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.reporters import ReporterRepository
from storage.repositories.staff import StaffRepository
from storage.repositories.triage import TriageRepository
from storage.vault import Vault


class SqlTransaction:
    """Repositories sharing one session; implements `bot.domain.ports.Transaction`."""

    def __init__(
        self,
        session: AsyncSession,
        vault: Vault,
        clock: Callable[[], datetime] = utcnow,
        audit_anchor: AuditAnchor | None = None,
    ) -> None:
        self.session = session
        self.reporters = ReporterRepository(session, vault)
        self.conversations = ConversationRepository(session, vault)
        # Cases are stamped with this clock (the runtime's: the real time, or a test's fake one).
        self.cases = CaseRepository(session, vault, clock)
        self.audit = AuditLog(session, vault.keys, audit_anchor)
        self.outbox = OutboxRepository(session, vault, clock)
        self._clock = clock
        self.attachments = AttachmentRepository(session, vault)
        self.alerts = AlertRepository(session)
        self.staff = StaffRepository(session, vault)
        self.triage = TriageRepository(session, vault)
        self._vault = vault

    async def claim_update(self, update_id: int) -> bool:
        """Record the update id; False when an earlier delivery already committed it.

        One statement, no savepoint: this runs for every update a reporter sends.
        """
        bind = self.session.bind
        # The two backends we run on spell the upsert alike, in different dialect modules.
        upsert: Callable[[type[ProcessedUpdate]], Any] = (
            pg_insert if bind is not None and bind.dialect.name == "postgresql" else sqlite_insert
        )
        statement = (
            upsert(ProcessedUpdate)
            .values(update_id=update_id, processed_at=self._clock())
            .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
            .returning(ProcessedUpdate.update_id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def reporter_id(self, identity: TelegramIdentity) -> uuid.UUID:
        """The reporter for this identity, created on first contact."""
        return await self.reporters.get_or_create(identity)

    async def load_conversation(self, reporter_id: uuid.UUID) -> ConversationState | None:
        """The reporter's conversation state."""
        return await self.conversations.load(reporter_id)

    async def save_conversation(self, reporter_id: uuid.UUID, state: ConversationState) -> None:
        """Store the reporter's conversation state."""
        await self.conversations.save(reporter_id, state)

    # -- the reporter conversation (bot.domain.ports.IntakeTransaction) ------------------------

    async def create_case(self, reporter_id: uuid.UUID, questionnaire_version: str) -> CaseInfo:
        """A new draft case of this reporter."""
        record = await self.cases.create(
            questionnaire_version=questionnaire_version, reporter_id=reporter_id
        )
        return _info(record)

    async def case_info(self, case_id: uuid.UUID) -> CaseInfo | None:
        """A case's metadata as its reporter sees it (a further report shows the status of the
        case it belongs to), or None once shredded."""
        record = await self.cases.for_reporter(case_id)
        return None if record is None else _info(record)

    async def latest_case(self, reporter_id: uuid.UUID) -> CaseInfo | None:
        """The reporter's newest case past the draft stage, as they see it (see case_info)."""
        record = await self.cases.latest_for_reporter(reporter_id)
        return None if record is None else _info(record)

    async def case_answers(self, case_id: uuid.UUID) -> dict[str, Any]:
        """Every answer of a case, decrypted."""
        return await self.cases.answers(case_id)

    async def put_answer(self, case_id: uuid.UUID, question_id: str, value: Any) -> None:
        """Store or replace an answer, and mark the case active."""
        await self.cases.put_answer(case_id, question_id, value)
        await self.cases.touch(case_id)

    async def delete_answer(self, case_id: uuid.UUID, question_id: str) -> None:
        """Remove an answer."""
        await self.cases.delete_answer(case_id, question_id)
        await self.cases.touch(case_id)

    async def attach_file(self, case_id: uuid.UUID, attachment_id: str) -> bool:
        """Keep an uploaded attachment with its case."""
        try:
            parsed = uuid.UUID(attachment_id)
        except ValueError:
            return False
        return await self.attachments.accept(case_id, parsed)

    async def complete_tier0(
        self, case_id: uuid.UUID, urgency: Urgency, person_key: str | None, now: datetime
    ) -> CaseInfo | None:
        """Make the case live; link it to an earlier report of the same person."""
        earlier = await self.cases.complete_tier0(case_id, urgency, person_key, now)
        return None if earlier is None else _info(earlier)

    async def set_urgency(self, case_id: uuid.UUID, urgency: Urgency) -> None:
        """Change a case's urgency."""
        await self.cases.set_urgency(case_id, urgency)

    async def mark_submitted(self, case_id: uuid.UUID, now: datetime) -> None:
        """Record the final submission."""
        await self.cases.mark_submitted(case_id, now)

    async def enqueue_case_event(self, case_id: uuid.UUID, kind: str, priority: Priority) -> None:
        """Queue a message about the case for the lawyers' chat."""
        await self.outbox.enqueue(
            kind=kind, priority=priority, destination="lawyers", case_id=case_id
        )

    async def shred_case(self, case_id: uuid.UUID) -> None:
        """Crypto-shred a case (and blank its card in the lawyers' chat).

        Its links are kept first (`storage.repositories.casework.before_shred`): a further
        report leaves its case, and a case with further reports hands over to the oldest of them,
        so another reporter's report of the same person is never left on its own.
        """
        now = self._clock()
        await self.alerts.queue_card_erasure(case_id, now)
        await before_shred(self, case_id, now)
        await self.cases.shred(case_id)

    async def erase_reporter(self, reporter_id: uuid.UUID) -> int:
        """Crypto-shred a reporter and every case they opened.

        Their further reports go first, so that a case of theirs with a further report of their
        own is not handed over to a report that goes with it.
        """
        rows = await self.session.execute(
            select(Case.id)
            .where(Case.reporter_id == reporter_id)
            .order_by(Case.duplicate_of.is_(None), Case.created_at)
        )
        case_ids = list(rows.scalars())
        for case_id in case_ids:
            await self.shred_case(case_id)
        await self._vault.shred(self.session, reporter_id)
        await self.session.execute(delete(Reporter).where(Reporter.id == reporter_id))
        return len(case_ids)

    async def count_cases(
        self, reporter_id: uuid.UUID, *, since: datetime | None = None, open_only: bool = False
    ) -> int:
        """How many cases the reporter opened."""
        return await self.cases.count_for_reporter(reporter_id, since=since, open_only=open_only)


def _info(record: CaseRecord) -> CaseInfo:
    return CaseInfo(record.id, record.code, record.status, record.urgency)


class SqlStore:
    """Opens `SqlTransaction`s on a session factory."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        vault: Vault,
        clock: Callable[[], datetime] = utcnow,
        audit_anchor: AuditAnchor | None = None,
    ) -> None:
        self._sessions = sessions
        self.vault = vault
        self.clock = clock  # the time outbox messages become due (tests move it)
        # The audit log's head, kept outside the database (beside the key file by default).
        self.audit_anchor = audit_anchor or AuditAnchor.beside(vault.keys)
        self._outbox_listeners: list[Callable[[], None]] = []

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The session factory (for work outside a unit of work, such as streaming uploads)."""
        return self._sessions

    def on_outbox(self, listener: Callable[[], None]) -> None:
        """Call `listener` after any transaction that queued outbox messages has committed."""
        self._outbox_listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """Commit on normal exit, roll back on an exception."""
        async with self._sessions() as session:
            async with session.begin():
                tx = SqlTransaction(session, self.vault, self.clock, self.audit_anchor)
                yield tx
            if tx.outbox.enqueued:
                for listener in self._outbox_listeners:
                    listener()
            # After the commit, never before: a rolled-back entry must not be anchored.
            await self.audit_anchor.advance(tx.audit.head)
