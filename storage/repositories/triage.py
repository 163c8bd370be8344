"""Coordinators' triage: case lists, notes, status and assignment, statistics.

Lists, counts and statistics read only plaintext metadata columns (status, urgency, times,
claimed-by) through indexes; nothing is decrypted to filter or count, so a backlog of tens of
thousands of cases stays fast.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import CaseStatus, Urgency
from bot.domain.workflow import OPEN, TriageFilter
from storage.models import AuditEntry, Case, CaseNote
from storage.vault import OwnerKind, Vault, binding

STALE_AFTER = timedelta(hours=24)
_RANK = sql_case(
    (Case.urgency == Urgency.URGENT.value, 0), (Case.urgency == Urgency.HIGH.value, 1), else_=2
)


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One row of a triage list (metadata only)."""

    id: uuid.UUID
    code: str
    status: CaseStatus
    urgency: Urgency
    report_count: int
    claimed_by: uuid.UUID | None
    tier0_completed_at: datetime | None
    updated_at: datetime
    duplicate_of: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Note:
    """A decrypted note."""

    at: datetime
    staff_id: uuid.UUID | None
    text: str


@dataclass(frozen=True, slots=True)
class Stats:
    """Figures for a period."""

    by_status: dict[str, int]
    by_urgency: dict[str, int]
    reports_per_day: dict[str, int]
    claim_minutes_median: float | None
    claim_minutes_p90: float | None
    unclaimed_now: int


class TriageRepository:
    """Queries and changes behind the coordinators' commands."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self._session = session
        self._vault = vault

    def _filtered(self, which: TriageFilter, now: datetime) -> Select[Case]:
        query = select(Case).where(Case.tier0_completed_at.is_not(None))
        open_values = [s.value for s in OPEN]
        if which is TriageFilter.OPEN:
            query = query.where(Case.status.in_(open_values))
        elif which is TriageFilter.UNCLAIMED:
            query = query.where(Case.status.in_(open_values), Case.claimed_by.is_(None))
        elif which is TriageFilter.URGENT:
            query = query.where(Case.status.in_(open_values), Case.urgency == Urgency.URGENT.value)
        elif which is TriageFilter.STALE:
            query = query.where(Case.status.in_(open_values), Case.updated_at < now - STALE_AFTER)
        return query

    async def page(
        self, which: TriageFilter, now: datetime, offset: int = 0, limit: int = 8
    ) -> tuple[list[CaseLine], int]:
        """One page of a filtered list (most urgent, then newest first) and the total count."""
        query = self._filtered(which, now)
        total = (
            await self._session.execute(select(func.count()).select_from(query.subquery()))
        ).scalar_one()
        rows = (
            await self._session.execute(
                query.order_by(_RANK, Case.tier0_completed_at.desc()).offset(offset).limit(limit)
            )
        ).scalars()
        return [_line(row) for row in rows], int(total)

    async def line(self, code: str) -> CaseLine | None:
        """A case's metadata by code."""
        row = (
            await self._session.execute(select(Case).where(Case.code == code))
        ).scalar_one_or_none()
        return None if row is None else _line(row)

    async def set_status(self, case_id: uuid.UUID, status: CaseStatus, now: datetime) -> None:
        """Move a case to a status; closing it stops escalation and starts its retention clock."""
        values: dict[str, object] = {"status": status.value, "updated_at": now}
        if status not in OPEN:
            values.update(next_escalation_at=None, closed_at=now)
        await self._session.execute(update(Case).where(Case.id == case_id).values(**values))

    async def assign(
        self, case_id: uuid.UUID, staff_id: uuid.UUID, now: datetime, lapse_at: datetime
    ) -> None:
        """Give a case to a lawyer (a coordinator's decision; replaces any claim)."""
        await self._session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(
                claimed_by=staff_id,
                claimed_at=now,
                progress=None,
                progress_at=None,
                status=CaseStatus.ASSIGNED.value,
                next_escalation_at=lapse_at,
                updated_at=now,
            )
        )

    async def add_note(
        self, case_id: uuid.UUID, staff_id: uuid.UUID, text: str, now: datetime
    ) -> None:
        """Store a note, encrypted under the case's key and bound to its row."""
        note_id = uuid.uuid4()
        key = await self._vault.get(self._session, OwnerKind.CASE, case_id)
        body = key.encrypt_text(
            text, binding(OwnerKind.CASE, case_id, "case_notes", "body", note_id)
        )
        self._session.add(
            CaseNote(id=note_id, case_id=case_id, staff_id=staff_id, body=body, created_at=now)
        )
        await self._session.flush()

    async def notes(self, case_id: uuid.UUID) -> list[Note]:
        """A case's notes, oldest first."""
        rows = list(
            (
                await self._session.execute(
                    select(CaseNote)
                    .where(CaseNote.case_id == case_id)
                    .order_by(CaseNote.created_at)
                )
            ).scalars()
        )
        if not rows:
            return []
        key = await self._vault.get(self._session, OwnerKind.CASE, case_id)
        return [
            Note(
                row.created_at,
                row.staff_id,
                key.decrypt_text(
                    row.body, binding(OwnerKind.CASE, case_id, "case_notes", "body", row.id)
                ),
            )
            for row in rows
        ]

    async def history(self, code: str, limit: int = 20) -> list[tuple[datetime, str]]:
        """What happened to a case, from the audit log (newest last)."""
        rows = (
            await self._session.execute(
                select(AuditEntry.at, AuditEntry.action)
                .where(AuditEntry.case_code == code)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
        ).all()
        return [(at, action) for at, action in reversed(rows)]

    async def stats(self, since: datetime, until: datetime) -> Stats:
        """Counts for cases that went live in [since, until), and who waits now."""
        live = (Case.tier0_completed_at >= since) & (Case.tier0_completed_at < until)
        by_status = dict(
            (
                await self._session.execute(
                    select(Case.status, func.count()).where(live).group_by(Case.status)
                )
            ).all()
        )
        by_urgency = dict(
            (
                await self._session.execute(
                    select(Case.urgency, func.count()).where(live).group_by(Case.urgency)
                )
            ).all()
        )
        times = (
            await self._session.execute(
                select(Case.tier0_completed_at, Case.claimed_at).where(live)
            )
        ).all()
        per_day: dict[str, int] = {}
        waits: list[float] = []
        for went_live, claimed in times:
            if went_live is None:
                continue
            day = went_live.date().isoformat()
            per_day[day] = per_day.get(day, 0) + 1
            if claimed is not None and claimed >= went_live:
                waits.append((claimed - went_live).total_seconds() / 60)
        unclaimed = (
            await self._session.execute(
                select(func.count())
                .select_from(Case)
                .where(Case.status.in_([s.value for s in OPEN]), Case.claimed_by.is_(None),
                       Case.tier0_completed_at.is_not(None))
            )
        ).scalar_one()  # fmt: skip
        waits.sort()
        return Stats(
            by_status={str(k): int(v) for k, v in by_status.items()},
            by_urgency={str(k): int(v) for k, v in by_urgency.items()},
            reports_per_day=dict(sorted(per_day.items())),
            claim_minutes_median=statistics.median(waits) if waits else None,
            claim_minutes_p90=waits[min(len(waits) - 1, int(0.9 * len(waits)))] if waits else None,
            unclaimed_now=int(unclaimed),
        )


def _line(row: Case) -> CaseLine:
    return CaseLine(
        id=row.id,
        code=row.code,
        status=CaseStatus(row.status),
        urgency=Urgency(row.urgency),
        report_count=row.report_count,
        claimed_by=row.claimed_by,
        tier0_completed_at=row.tier0_completed_at,
        updated_at=row.updated_at,
        duplicate_of=row.duplicate_of,
    )
