"""The outbox: messages to send, written in the transaction of the change that causes them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import Priority
from storage.models import Answer, Case, OutboxMessage, utcnow
from storage.vault import OwnerKind, Vault, binding

FOLLOW_UP = "follow_up"  # the intake added a reporter's answer ("followup_NNN") to a case
FOLLOW_UP_PREFIX = "followup_"
CONTACT_REPLY = "contact_reply"  # that answer, for the staff member who wrote to the reporter
REPORTER = "reporter"  # the destination of a case's reporter
# A neutral notice about a case ("a lawyer has taken your case", "there is news"): every
# reporter of the person hears it, each under their own case's code (see `enqueue`).
REPORTER_NOTICE = "reporter_notice"


class OutboxRepository:
    """Enqueue messages; the alert worker (bot/alerts) sends them."""

    def __init__(
        self, session: AsyncSession, vault: Vault, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._session = session
        self._vault = vault
        self._clock = clock
        self.enqueued = 0  # how many messages this transaction added (to wake the worker)

    async def enqueue(
        self,
        *,
        kind: str,
        priority: Priority,
        destination: str,
        case_id: uuid.UUID | None = None,
        staff_id: uuid.UUID | None = None,
        payload: Any = None,
        dedupe_key: str | None = None,
    ) -> uuid.UUID:
        """Add a message; a payload is encrypted under the case's key.

        A reporter notice about a case goes to the reporters of its further reports too (one
        message each, under their own case, so under their own code); a follow-up is also
        queued for whoever last wrote to the reporter.
        """
        message_id = await self._add(
            kind=kind,
            priority=priority,
            destination=destination,
            case_id=case_id,
            staff_id=staff_id,
            payload=payload,
            dedupe_key=dedupe_key,
        )
        if kind == FOLLOW_UP and case_id is not None:
            await self._queue_contact_reply(case_id)
        if kind == REPORTER_NOTICE and destination == REPORTER and case_id is not None:
            await self._notify_further_reporters(case_id, priority, payload, dedupe_key)
        return message_id

    async def _add(
        self,
        *,
        kind: str,
        priority: Priority,
        destination: str,
        case_id: uuid.UUID | None,
        staff_id: uuid.UUID | None,
        payload: Any,
        dedupe_key: str | None,
    ) -> uuid.UUID:
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
                staff_id=staff_id,
                kind=kind,
                priority=int(priority),
                destination=destination,
                payload=sealed,
                dedupe_key=dedupe_key,
                available_at=self._clock(),
                created_at=self._clock(),
            )
        )
        await self._session.flush()
        self.enqueued += 1
        return message_id

    async def _notify_further_reporters(
        self, case_id: uuid.UUID, priority: Priority, payload: Any, dedupe_key: str | None
    ) -> None:
        """The same notice for the reporter of each further report of the case (linked by the
        intake or merged), once per reporter: the payload names no case, so delivery words it
        with the further report's own code and sends it to that report's reporter."""
        told = (
            await self._session.execute(select(Case.reporter_id).where(Case.id == case_id))
        ).scalar_one_or_none()
        rows = await self._session.execute(
            select(Case.id, Case.reporter_id)
            .where(Case.duplicate_of == case_id, Case.reporter_id.is_not(None))
            .order_by(Case.created_at)
        )
        seen = {told}
        for report_id, reporter_id in rows.all():
            if reporter_id in seen:
                continue  # one reporter who reported the person twice hears it once
            seen.add(reporter_id)
            await self._add(
                kind=REPORTER_NOTICE,
                priority=priority,
                destination=REPORTER,
                case_id=report_id,
                staff_id=None,
                payload=payload,
                dedupe_key=None if dedupe_key is None else f"{dedupe_key[:90]}:{report_id.hex}",
            )

    async def _queue_contact_reply(self, case_id: uuid.UUID) -> None:
        """The reporter answered (a follow-up): queue it for whoever last wrote to them.

        Every follow-up is queued through here, in the transaction that stores it, so the reply
        is exactly as durable as the answer. The payload names the answer, never its text:
        delivery decrypts the answer when it sends it, so a case erased meanwhile sends nothing.
        """
        writer = (
            await self._session.execute(select(Case.last_contact_by).where(Case.id == case_id))
        ).scalar_one_or_none()
        if writer is None:
            return
        newest = (
            await self._session.execute(
                select(Answer.question_id)
                .where(
                    Answer.case_id == case_id,
                    Answer.question_id.startswith(FOLLOW_UP_PREFIX, autoescape=True),
                )
                .order_by(func.length(Answer.question_id).desc(), Answer.question_id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if newest is None:
            return
        await self.enqueue(
            kind=CONTACT_REPLY,
            priority=Priority.NORMAL,  # ahead of replies to reporters, behind alerts
            destination=f"staff:{writer}",
            case_id=case_id,
            staff_id=writer,
            payload={"answer": newest},
        )

    async def exists(self, dedupe_key: str) -> bool:
        """Whether a pending message with this dedupe key is waiting."""
        result = await self._session.execute(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        return result.first() is not None

    async def payload_of(self, message_id: uuid.UUID) -> Any:
        """Decrypt the payload of a message by id (None if it has none)."""
        row = await self._session.get(OutboxMessage, message_id)
        return None if row is None else await self.payload(row)

    async def payload(self, message: OutboxMessage) -> Any:
        """Decrypt a message's payload (None if it has none)."""
        if message.payload is None or message.case_id is None:
            return None
        key = await self._vault.get(self._session, OwnerKind.CASE, message.case_id)
        return key.decrypt_json(
            message.payload,
            binding(OwnerKind.CASE, message.case_id, "outbox", "payload", message.id),
        )
