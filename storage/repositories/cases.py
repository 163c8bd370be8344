"""Cases and their encrypted answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import flag_modified

from bot.domain.cases import CaseStatus, Urgency, new_case_code
from storage.models import Answer, Case, DataKeyRow, utcnow
from storage.session_memo import keep
from storage.vault import OwnerKind, Vault, binding

PERSON_PURPOSE = "person"
_URGENCY_RANK = {Urgency.NORMAL: 0, Urgency.HIGH: 1, Urgency.URGENT: 2}
DUPLICATE_WINDOW = timedelta(days=30)
CLOSED_STATUSES = frozenset(
    {CaseStatus.RELEASED, CaseStatus.DEPORTED, CaseStatus.CONVICTED, CaseStatus.CLOSED}
)

_CODE_ATTEMPTS = 5
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case's plaintext metadata, as the domain sees it."""

    id: uuid.UUID
    code: str
    status: CaseStatus
    urgency: Urgency
    questionnaire_version: str
    report_count: int
    created_at: datetime


def _record(row: Case, shown_status: str | None = None) -> CaseRecord:
    """The row's metadata; `shown_status` in place of its own status (a further report's
    reporter is shown the status of the case it belongs to)."""
    return CaseRecord(
        id=row.id,
        code=row.code,
        status=CaseStatus(shown_status or row.status),
        urgency=Urgency(row.urgency),
        questionnaire_version=row.questionnaire_version,
        report_count=row.report_count,
        created_at=row.created_at,
    )


def _stamp(row: Case | Answer, now: datetime) -> None:
    """Set a changed row's updated_at to `now`, even if it holds `now` already.

    The column's ``onupdate`` takes the wall clock whenever an UPDATE leaves updated_at out, and
    the ORM leaves out an attribute set to the value it had: so mark it changed regardless.
    """
    row.updated_at = now
    flag_modified(row, "updated_at")


class CaseRepository:
    """Create cases, store and read their answers, shred them.

    Every time this repository writes (``created_at``, ``updated_at``) comes from `clock`, the
    unit of work's clock: the runtime's in production (the real time), a test's fake clock in
    tests, so the 30-day duplicate window, the draft sweep and retention's "report after
    closing" compare times of one clock. Methods given `now` stamp with that `now`.
    """

    def __init__(
        self, session: AsyncSession, vault: Vault, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._session = session
        self._vault = vault
        self._clock = clock
        # Answer rows read in this unit of work, by case and question: an answer that replaces
        # one already read needs no second SELECT.
        self._rows: dict[uuid.UUID, dict[str, Answer]] = {}

    async def create(
        self,
        *,
        questionnaire_version: str,
        reporter_id: uuid.UUID | None = None,
        status: CaseStatus = CaseStatus.DRAFT,
        urgency: Urgency = Urgency.NORMAL,
    ) -> CaseRecord:
        """A new case with its own data key and a fresh public code."""
        case_id = uuid.uuid4()
        now = self._clock()
        await self._vault.create(self._session, OwnerKind.CASE, case_id)
        for _ in range(_CODE_ATTEMPTS):
            row = Case(
                id=case_id,
                code=new_case_code(),
                status=status.value,
                urgency=urgency.value,
                questionnaire_version=questionnaire_version,
                reporter_id=reporter_id,
                report_count=1,
                created_at=now,
                updated_at=now,
            )
            try:
                async with self._session.begin_nested():
                    self._session.add(row)
                    await self._session.flush()
            except IntegrityError:  # a code collision, about 1 in 2**60: draw again
                continue
            return _record(row)
        raise RuntimeError("could not draw a unique case code")

    async def get(self, case_id: uuid.UUID) -> CaseRecord | None:
        """A case's metadata by id."""
        row = await self._session.get(Case, case_id)
        return None if row is None else _record(row)

    async def by_code(self, code: str) -> CaseRecord | None:
        """A case's metadata by its public code."""
        result = await self._session.execute(select(Case).where(Case.code == code))
        row = result.scalar_one_or_none()
        return None if row is None else _record(row)

    async def put_answer(self, case_id: uuid.UUID, question_id: str, value: Any) -> None:
        """Store (or replace) one answer, encrypted and bound to its case, field and row."""
        key = await self._vault.get(self._session, OwnerKind.CASE, case_id)
        known = self._rows.get(case_id)
        if known is not None:
            row = known.get(question_id)
        else:
            result = await self._session.execute(
                select(Answer).where(Answer.case_id == case_id, Answer.question_id == question_id)
            )
            row = result.scalar_one_or_none()
        now = self._clock()
        if row is None:
            row = Answer(
                id=uuid.uuid4(), case_id=case_id, question_id=question_id, value=b"", created_at=now
            )
            self._session.add(row)
            if known is not None:
                known[question_id] = row
        row.value = key.encrypt_json(
            value, binding(OwnerKind.CASE, case_id, "answers", question_id, row.id)
        )
        _stamp(row, now)
        await self._session.flush()

    async def answers(self, case_id: uuid.UUID) -> dict[str, Any]:
        """Every answer of a case, decrypted; DecryptionError if any was tampered with."""
        key = await self._vault.get(self._session, OwnerKind.CASE, case_id)
        result = await self._session.execute(select(Answer).where(Answer.case_id == case_id))
        rows = {row.question_id: row for row in result.scalars()}
        self._rows[case_id] = rows
        return {
            question_id: key.decrypt_json(
                row.value, binding(OwnerKind.CASE, case_id, "answers", question_id, row.id)
            )
            for question_id, row in rows.items()
        }

    async def delete_answer(self, case_id: uuid.UUID, question_id: str) -> None:
        """Remove one answer (the reporter went back and skipped it)."""
        self._rows.get(case_id, {}).pop(question_id, None)
        await self._session.execute(
            delete(Answer).where(Answer.case_id == case_id, Answer.question_id == question_id)
        )

    async def complete_tier0(
        self, case_id: uuid.UUID, urgency: Urgency, person_key: str | None, now: datetime
    ) -> CaseRecord | None:
        """Make a draft live; attach it to an earlier case of the same person, if any."""
        row = await self._session.get(Case, case_id)
        if row is None:
            raise LookupError("no such case")
        row.status = CaseStatus.NEW.value
        row.urgency = urgency.value
        row.tier0_completed_at = now
        _stamp(row, now)
        # Arm escalation round 0 now; a duplicate report hands over to the first case instead.
        row.escalation_round = 0
        row.next_escalation_at = now
        if person_key is None:
            return None
        row.person_index = self._vault.lookup(PERSON_PURPOSE, person_key)
        earlier = (
            await self._session.execute(
                select(Case)
                .where(
                    Case.person_index == row.person_index,
                    Case.id != case_id,
                    Case.status != CaseStatus.DRAFT.value,
                    Case.created_at >= now - DUPLICATE_WINDOW,
                )
                .order_by(Case.created_at)
                .limit(1)
            )
        ).scalar_one_or_none()
        if earlier is None:
            return None
        first_id = earlier.duplicate_of or earlier.id
        row.duplicate_of = first_id
        row.next_escalation_at = None
        await self._session.execute(
            update(Case)
            .where(Case.id == first_id)
            .values(report_count=Case.report_count + 1, updated_at=now)
        )
        first = await self._session.get(Case, first_id)
        if first is None:
            return None
        if _URGENCY_RANK[urgency] > _URGENCY_RANK[Urgency(first.urgency)]:
            first.urgency = urgency.value  # a later report can make the person's case more urgent
            _stamp(first, now)
        return _record(first)

    async def set_urgency(self, case_id: uuid.UUID, urgency: Urgency) -> None:
        """Change a case's urgency."""
        await self._session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(urgency=urgency.value, updated_at=self._clock())
        )

    async def mark_submitted(self, case_id: uuid.UUID, now: datetime) -> None:
        """Record the reporter's final submission."""
        await self._session.execute(
            update(Case).where(Case.id == case_id).values(submitted_at=now, updated_at=now)
        )

    async def latest_for_reporter(self, reporter_id: uuid.UUID) -> CaseRecord | None:
        """The reporter's newest case past the draft stage, as its reporter sees it.

        A further report (``duplicate_of`` set: linked by the intake, or merged by a coordinator)
        stops moving: staff work on the person's first case. Its reporter is shown that case's
        status under their own case's code; nothing else of the other case (code, counts,
        reporter) leaves this method.
        """
        primary = aliased(Case)
        found = (
            await self._session.execute(
                select(Case, primary.status)
                .outerjoin(primary, primary.id == Case.duplicate_of)
                .where(Case.reporter_id == reporter_id, Case.status != CaseStatus.DRAFT.value)
                .order_by(Case.created_at.desc())
                .limit(1)
            )
        ).first()
        if found is None:
            return None
        row, primary_status = found
        return _record(row, primary_status)

    async def for_reporter(self, case_id: uuid.UUID) -> CaseRecord | None:
        """A case by id as its reporter sees it (see `latest_for_reporter`); `get` is the row's
        own metadata, as staff see it."""
        # The case's data key comes in the same query: the update that asked reads or writes
        # answers next. Both stay referenced for the unit of work (no second query for either).
        found = (
            await self._session.execute(
                select(Case, DataKeyRow)
                .outerjoin(DataKeyRow, DataKeyRow.id == Case.id)
                .where(Case.id == case_id)
            )
        ).first()
        if found is None:
            return None
        row = found[0]
        keep(self._session, row, found[1])
        if row.duplicate_of is None:
            return _record(row)
        primary = await self._session.get(Case, row.duplicate_of)
        return _record(row, None if primary is None else primary.status)

    async def ids_for_reporter(self, reporter_id: uuid.UUID) -> list[uuid.UUID]:
        """Every case of a reporter."""
        result = await self._session.execute(select(Case.id).where(Case.reporter_id == reporter_id))
        return list(result.scalars())

    async def count_for_reporter(
        self, reporter_id: uuid.UUID, *, since: datetime | None = None, open_only: bool = False
    ) -> int:
        """How many cases a reporter opened (since a moment, or still open).

        A further report is open while the case it belongs to is: its own status stays where
        it was when it was linked, so closing the person's case also closes it for this count.
        """
        query = select(func.count()).select_from(Case).where(Case.reporter_id == reporter_id)
        if since is not None:
            query = query.where(Case.created_at >= since)
        if open_only:
            primary = aliased(Case)
            status = func.coalesce(primary.status, Case.status)
            query = query.outerjoin(primary, primary.id == Case.duplicate_of).where(
                status.not_in([s.value for s in CLOSED_STATUSES])
            )
        return int((await self._session.execute(query)).scalar_one())

    async def stale_drafts(self, before: datetime, limit: int = 500) -> list[uuid.UUID]:
        """Drafts untouched since `before` (abandoned before Tier 0 was complete)."""
        result = await self._session.execute(
            select(Case.id)
            .where(Case.status == CaseStatus.DRAFT.value, Case.updated_at < before)
            .limit(limit)
        )
        return list(result.scalars())

    async def touch(self, case_id: uuid.UUID) -> None:
        """Note activity on a case (keeps an active draft from being swept).

        The sweep counts in hours, so a case touched within the last minute is left as it is:
        most answers then cost no UPDATE of the case row.
        """
        now = self._clock()
        row = await self._session.get(Case, case_id)  # usually already loaded: no query
        if row is not None and (row.updated_at is None or now - row.updated_at > TOUCH_EVERY):
            row.updated_at = now

    async def shred(self, case_id: uuid.UUID) -> bool:
        """Crypto-shred a case: destroy its data key, then delete its rows."""
        destroyed = await self._vault.shred(self._session, case_id)
        await self._session.execute(delete(Case).where(Case.id == case_id))
        return destroyed
