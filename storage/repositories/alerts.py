"""Claims, escalation timers and outbox delivery state: the storage side of alerting."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.alerting import ALERTABLE
from bot.domain.cases import CaseStatus, Priority, Urgency
from storage.models import AlertState, AuditEntry, Case, OutboxMessage

LEASE = timedelta(seconds=60)
ERASED_PREFIX = "erased:"
OPEN_FOR_ALERTS = tuple(sorted(s.value for s in ALERTABLE))
# A live case announced neither by a card nor by a digest yet (further reports ride on theirs).
_UNANNOUNCED = (
    Case.card_message_id.is_(None),
    Case.digest_message_id.is_(None),
    Case.duplicate_of.is_(None),
    Case.status.in_(OPEN_FOR_ALERTS),
)


@dataclass(frozen=True, slots=True)
class CaseAlertState:
    """What the alerting side needs to know about a case (plaintext metadata only)."""

    id: uuid.UUID
    code: str
    status: CaseStatus
    urgency: Urgency
    report_count: int
    card_message_id: int | None
    digest_message_id: int | None
    claimed_by: uuid.UUID | None
    claimed_at: datetime | None
    progress: str | None
    escalation_round: int
    next_escalation_at: datetime | None
    tier0_completed_at: datetime | None
    reporter_id: uuid.UUID | None
    duplicate_of: uuid.UUID | None
    last_contact_by: uuid.UUID | None = None  # who last wrote to the reporter through the bot


def _state(row: Case) -> CaseAlertState:
    return CaseAlertState(
        id=row.id,
        code=row.code,
        status=CaseStatus(row.status),
        urgency=Urgency(row.urgency),
        report_count=row.report_count,
        card_message_id=row.card_message_id,
        digest_message_id=row.digest_message_id,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        progress=row.progress,
        escalation_round=row.escalation_round,
        next_escalation_at=row.next_escalation_at,
        tier0_completed_at=row.tier0_completed_at,
        reporter_id=row.reporter_id,
        duplicate_of=row.duplicate_of,
        last_contact_by=row.last_contact_by,
    )


class AlertRepository:
    """Case claims and escalation timers; outbox leases and results."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- cases -----------------------------------------------------------------------------

    async def case(self, case_id: uuid.UUID) -> CaseAlertState | None:
        """A case's alert state."""
        row = await self._session.get(Case, case_id, populate_existing=True)
        return None if row is None else _state(row)

    async def case_by_code(self, code: str) -> CaseAlertState | None:
        """A case's alert state by its public code."""
        row = (
            await self._session.execute(select(Case).where(Case.code == code))
        ).scalar_one_or_none()
        return None if row is None else _state(row)

    async def due_escalations(self, now: datetime, limit: int = 200) -> list[CaseAlertState]:
        """Cases whose escalation timer has run out, locked for this transaction."""
        query = (
            select(Case)
            .where(Case.next_escalation_at.is_not(None), Case.next_escalation_at <= now)
            .order_by(Case.next_escalation_at)
            .limit(limit)
        )
        if self._session.bind is not None and self._session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_state(row) for row in (await self._session.execute(query)).scalars()]

    async def has_acted(self, actor: str, action: str, case_code: str) -> bool:
        """Whether the audit log holds this action by this actor on this case."""
        result = await self._session.execute(
            select(AuditEntry.id)
            .where(
                AuditEntry.actor == actor,
                AuditEntry.action == action,
                AuditEntry.case_code == case_code,
            )
            .limit(1)
        )
        return result.first() is not None

    async def next_escalation(self) -> datetime | None:
        """When the next escalation timer runs out."""
        result = await self._session.execute(select(func.min(Case.next_escalation_at)))
        return result.scalar_one_or_none()

    async def set_escalation(
        self, case_id: uuid.UUID, round_index: int, at: datetime | None, now: datetime
    ) -> None:
        """Move a case's escalation to a round and a time (None: no more rounds), at `now` by
        the bot's clock."""
        await self._session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(escalation_round=round_index, next_escalation_at=at, updated_at=now)
        )

    async def start_escalation(self, case_id: uuid.UUID, now: datetime) -> None:
        """Arm round 0 now (a case just went live)."""
        await self.set_escalation(case_id, 0, now, now)

    async def held_by(self, case_id: uuid.UUID, staff_id: uuid.UUID) -> bool:
        """Whether a staff member holds a case (or the case it was merged into)."""
        row = await self._session.get(Case, case_id, populate_existing=True)
        if row is None:
            return False
        if row.claimed_by == staff_id:
            return True
        primary = await self._session.get(Case, row.duplicate_of) if row.duplicate_of else None
        return primary is not None and primary.claimed_by == staff_id

    async def record_contact(self, case_id: uuid.UUID, staff_id: uuid.UUID, now: datetime) -> None:
        """A staff member wrote to the case's reporter: the reporter's answers go back to them."""
        await self._session.execute(
            update(Case).where(Case.id == case_id).values(last_contact_by=staff_id, updated_at=now)
        )

    async def take(
        self, case_id: uuid.UUID, staff_id: uuid.UUID, now: datetime, lapse_at: datetime
    ) -> bool:
        """Claim a case atomically: True for the one taker who wins."""
        result = await self._session.execute(
            update(Case)
            .where(
                Case.id == case_id,
                Case.claimed_by.is_(None),
                Case.status.in_(OPEN_FOR_ALERTS),
            )
            .values(
                claimed_by=staff_id,
                claimed_at=now,
                progress=None,
                progress_at=None,
                status=CaseStatus.ASSIGNED.value,
                next_escalation_at=lapse_at,
                updated_at=now,
            )
            .returning(Case.id)
        )
        return result.first() is not None

    async def record_progress(
        self,
        case_id: uuid.UUID,
        staff_id: uuid.UUID,
        progress: str,
        now: datetime,
        remind_at: datetime | None,
    ) -> bool:
        """The taker reports progress (in contact, on site); reminders replace the lapse."""
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.claimed_by == staff_id)
            .values(
                progress=progress,
                progress_at=now,
                status=CaseStatus.IN_CONTACT.value,
                next_escalation_at=remind_at,
                updated_at=now,
            )
            .returning(Case.id)
        )
        return result.first() is not None

    async def resolve(self, case_id: uuid.UUID, staff_id: uuid.UUID, now: datetime) -> bool:
        """The taker closes the case; escalation stops."""
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.claimed_by == staff_id)
            .values(
                status=CaseStatus.CLOSED.value,
                closed_at=now,
                next_escalation_at=None,
                updated_at=now,
            )
            .returning(Case.id)
        )
        return result.first() is not None

    async def release(self, case_id: uuid.UUID, now: datetime, round_index: int) -> None:
        """A claim lapsed: unclaim and resume escalation now at `round_index`."""
        await self._session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(
                claimed_by=None,
                claimed_at=None,
                progress=None,
                progress_at=None,
                status=CaseStatus.NEW.value,
                escalation_round=round_index,
                next_escalation_at=now,
                updated_at=now,
            )
        )

    async def queue_card_erasure(self, case_id: uuid.UUID, now: datetime) -> bool:
        """Before a case is shredded: queue the edit that blanks its card in the lawyers' chat.

        The row outlives the case (no case id, no payload): it carries the card's message id and
        the public code (in its dedupe key, which also keeps it single). False if there is no
        card to blank.
        """
        row = await self._session.get(Case, case_id)
        if row is None or row.card_message_id is None:
            return False
        key = f"{ERASED_PREFIX}{row.code}"
        exists = await self._session.execute(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
        )
        if exists.first() is not None:
            return False
        self._session.add(
            OutboxMessage(
                id=uuid.uuid4(),
                kind="card_erased",
                priority=int(Priority.HIGH),
                destination="lawyers",
                telegram_message_id=row.card_message_id,
                dedupe_key=key,
                available_at=now,
                created_at=now,
            )
        )
        await self._session.flush()
        return True

    async def set_card(self, case_id: uuid.UUID, message_id: int) -> None:
        """Remember the card's message in the lawyers' chat."""
        await self._session.execute(
            update(Case).where(Case.id == case_id).values(card_message_id=message_id)
        )

    async def new_cases_since(self, since: datetime) -> int:
        """How many cases went live since a moment (surge detection)."""
        result = await self._session.execute(
            select(func.count()).select_from(Case).where(Case.tier0_completed_at >= since)
        )
        return int(result.scalar_one())

    async def set_digest(self, case_ids: list[uuid.UUID], message_id: int) -> None:
        """Remember that these cases were announced in a digest message."""
        await self._session.execute(
            update(Case).where(Case.id.in_(case_ids)).values(digest_message_id=message_id)
        )

    async def undigested(self, limit: int = 40) -> list[CaseAlertState]:
        """Live cases announced neither by a card nor a digest yet, most urgent and oldest first."""
        rows = (
            await self._session.execute(
                select(Case).where(*_UNANNOUNCED).order_by(Case.tier0_completed_at).limit(limit)
            )
        ).scalars()
        order = {Urgency.URGENT: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}
        return sorted((_state(row) for row in rows), key=lambda c: order[c.urgency])

    async def left_out_of_digest(self, digest_at: datetime) -> bool:
        """Whether a live case that was waiting when the digest of `digest_at` ran is still in
        no card and no digest (the digest had no room for it)."""
        row = (
            await self._session.execute(
                select(Case.id).where(*_UNANNOUNCED, Case.tier0_completed_at <= digest_at).limit(1)
            )
        ).first()
        return row is not None

    # -- surge state -----------------------------------------------------------------------

    async def surge_state(self) -> AlertState:
        """The single alert-state row (created on first use)."""
        row = await self._session.get(AlertState, 1)
        if row is None:
            row = AlertState(id=1, surge=False)
            self._session.add(row)
            await self._session.flush()
        return row

    # -- outbox delivery -------------------------------------------------------------------

    async def due_messages(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        """Pending messages whose time has come, most urgent first, leased to this worker."""
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.available_at <= now,
                or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
            )
            .order_by(OutboxMessage.priority, OutboxMessage.created_at)
            .limit(limit)
        )
        if self._session.bind is not None and self._session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list((await self._session.execute(query)).scalars())
        for row in rows:
            # A lease left by a worker that died mid-send means the outcome is unknown.
            if row.lease_until is not None:
                row.uncertain = True
            row.lease_until = now + LEASE
            row.attempts += 1
        await self._session.flush()
        return rows

    async def next_due(self) -> datetime | None:
        """When the next pending message becomes due."""
        result = await self._session.execute(
            select(
                func.min(func.coalesce(OutboxMessage.lease_until, OutboxMessage.available_at))
            ).where(OutboxMessage.status == "pending")
        )
        return result.scalar_one_or_none()

    async def mark_sent(
        self, message_ids: list[uuid.UUID], telegram_id: int | None, now: datetime
    ) -> None:
        """Record delivery (and the Telegram message id, to edit it later)."""
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(status="sent", sent_at=now, telegram_message_id=telegram_id, lease_until=None,
                    dedupe_key=None)
        )  # fmt: skip

    async def retry_later(
        self, message_id: uuid.UUID, at: datetime, error: str | None = None
    ) -> None:
        """Put a message back for another try at `at`."""
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(available_at=at, lease_until=None, error_code=error)
        )

    async def mark_failed(self, message_id: uuid.UUID, error: str, now: datetime) -> None:
        """Give up on a message (a permanent error); it stays for the record."""
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status="failed", error_code=error, lease_until=None, sent_at=now, dedupe_key=None
            )
        )

    async def fold(self, message_ids: list[uuid.UUID], reason: str, now: datetime) -> None:
        """Mark messages as handled by another (a digest, a newer card edit)."""
        if message_ids:
            await self._session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(message_ids))
                .values(
                    status="folded",
                    error_code=reason,
                    lease_until=None,
                    sent_at=now,
                    dedupe_key=None,
                )
            )

    async def pending_for(self, destination: str, kind: str) -> int:
        """How many messages of a kind wait for a destination."""
        result = await self._session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(and_(OutboxMessage.status == "pending", OutboxMessage.destination == destination,
                        OutboxMessage.kind == kind))
        )  # fmt: skip
        return int(result.scalar_one())
