"""Coordinators' triage: case lists, notes, status and assignment, statistics.

Lists, counts and statistics read only plaintext metadata columns (status, urgency, times,
claimed-by) through indexes; nothing is decrypted to filter or count, so a backlog of tens of
thousands of cases stays fast.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

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
        """Live cases of a filter. Only "all" lists further reports (``duplicate_of`` set): the
        others list what still needs work, and a further report's work is on its primary (its
        own status and claim stay where they were when it was linked)."""
        query = select(Case).where(Case.tier0_completed_at.is_not(None))
        if which is TriageFilter.ALL:
            return query
        query = query.where(Case.duplicate_of.is_(None))
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

    async def stats(self, since: datetime, until: datetime, *, zone: tzinfo = UTC) -> Stats:
        """Counts for cases that went live in [since, until), and who waits now.

        Reports and cases: a further report (``duplicate_of`` set: the same person reported
        again, linked by the intake or merged by a coordinator) is a report, not a case. Its own
        status, urgency and claim stay as they were when it was linked while its primary moves
        on, so:

        * reports per day count every report that went live, further reports included (the
          load of incoming reports);
        * cases by status and by urgency, the Tier-0-to-claim minutes and "unclaimed now" count
          cases only: a further report would otherwise stay "new" and unclaimed for ever (its
          primary's urgency is already raised to the highest of its reports, and a merge hands
          a further report's claim to its primary).

        Everything is counted in SQL. Reports per day are counted by days of `zone` (UTC unless
        given). Tier-0-to-claim minutes (a claim before Tier 0 ended is no wait) are exact to the
        microsecond: the median of an even count is the mean of the middle two, p90 is the wait at
        index int(0.9 * n) of the sorted waits.
        """
        reports = (Case.tier0_completed_at >= since) & (Case.tier0_completed_at < until)
        cases = reports & Case.duplicate_of.is_(None)
        by_status: dict[str, int] = {}
        by_urgency: dict[str, int] = {}
        counts = await self._session.execute(
            select(Case.status, Case.urgency, func.count())
            .where(cases)
            .group_by(Case.status, Case.urgency)
        )
        for status, urgency, count in counts:
            by_status[str(status)] = by_status.get(str(status), 0) + int(count)
            by_urgency[str(urgency)] = by_urgency.get(str(urgency), 0) + int(count)
        unclaimed = (
            await self._session.execute(
                select(func.count())
                .select_from(Case)
                .where(Case.status.in_([s.value for s in OPEN]), Case.claimed_by.is_(None),
                       Case.tier0_completed_at.is_not(None), Case.duplicate_of.is_(None))
            )
        ).scalar_one()  # fmt: skip
        median, p90 = await self._claim_minutes(cases)
        return Stats(
            by_status=by_status,
            by_urgency=by_urgency,
            reports_per_day=await self._per_day(reports, since, until, zone),
            claim_minutes_median=median,
            claim_minutes_p90=p90,
            unclaimed_now=int(unclaimed),
        )

    async def _per_day(
        self, live: ColumnElement[bool], since: datetime, until: datetime, zone: tzinfo
    ) -> dict[str, int]:
        """Reports per day of `zone`, oldest day first; days without a report are left out."""
        starts = _day_starts(since, until, zone)
        if not starts:
            return {}
        days = select(_day_of(Case.tier0_completed_at, starts).label("day")).where(live)
        day = days.subquery("days").c.day
        counts = await self._session.execute(select(day, func.count()).group_by(day))
        return {str(day): int(count) for day, count in sorted(counts.all())}

    async def _claim_minutes(self, live: ColumnElement[bool]) -> tuple[float | None, float | None]:
        """Median and p90 of the Tier-0-to-claim waits, read as whole microseconds."""
        waits = (
            select(
                _micros_between(
                    self._session.get_bind().dialect.name,
                    Case.tier0_completed_at,
                    Case.claimed_at,
                ).label("micros")
            )
            .where(
                live,
                Case.claimed_at.is_not(None),
                Case.claimed_at >= Case.tier0_completed_at,
            )
            .subquery("waits")
        )
        ranked = select(
            waits.c.micros,
            func.row_number().over(order_by=waits.c.micros).label("rank"),
            func.count().over().label("n"),
        ).subquery("ranked")
        # 1-based ranks of the two middle waits and of the p90 one. 9 * n // 10 equals the
        # int(0.9 * n) of the earlier Python code for every n, and is at most n - 1.
        n = ranked.c.n
        positions = [(n - 1) // 2 + 1, n // 2 + 1, 9 * n // 10 + 1]  # `//`: integer division
        wanted = (
            await self._session.execute(
                select(ranked.c.rank, ranked.c.n, ranked.c.micros).where(
                    ranked.c.rank.in_(positions)
                )
            )
        ).all()
        if not wanted:
            return None, None
        count = int(wanted[0].n)
        # As timedelta.total_seconds() / 60 would give: the same float, to the last bit.
        minutes = {int(row.rank): int(row.micros) / 10**6 / 60 for row in wanted}
        low, high = minutes[(count - 1) // 2 + 1], minutes[count // 2 + 1]
        median = low if count % 2 else (low + high) / 2
        return median, minutes[9 * count // 10 + 1]


def _day_of(
    moment: InstrumentedAttribute[datetime | None], starts: list[tuple[str, datetime]]
) -> ColumnElement[str]:
    """The day a moment falls on, for moments from the first day's start to the last day's end.

    A CASE that halves the days at each step: a balanced tree of comparisons with the days'
    first instants costs each row about log2(days) of them (5 for a month), on every backend.
    """
    if len(starts) == 1:
        return literal(starts[0][0], String)
    middle = len(starts) // 2
    return sql_case(
        (moment < starts[middle][1], _day_of(moment, starts[:middle])),
        else_=_day_of(moment, starts[middle:]),
    )


def _micros_between(
    dialect: str,
    start: InstrumentedAttribute[datetime | None],
    end: InstrumentedAttribute[datetime | None],
) -> ColumnElement[int]:
    """Whole microseconds from `start` to `end`, exactly (no float on the way)."""
    if dialect == "postgresql":
        # The epoch of an interval is numeric on PostgreSQL 14+, exact to the microsecond (and
        # a float on older ones, still exact for intervals this short).
        return cast(func.extract("epoch", end - start) * 1_000_000, BigInteger)

    # SQLite keeps SQLAlchemy's text form 'YYYY-MM-DD HH:MM:SS.ffffff' (naive UTC). Its date
    # functions keep only milliseconds, so whole seconds come from them and microseconds from text.
    def micros(column: InstrumentedAttribute[datetime | None]) -> ColumnElement[int]:
        whole = cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
        return whole * 1_000_000 + cast(func.substr(column, 21, 6), BigInteger)

    return micros(end) - micros(start)


def _day_starts(since: datetime, until: datetime, zone: tzinfo) -> list[tuple[str, datetime]]:
    """Each day of `zone` that [since, until) touches: its ISO date and first instant (UTC)."""
    if until <= since:
        return []
    day = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    starts: list[tuple[str, datetime]] = []
    while day <= last:
        starts.append((day.isoformat(), _day_start(day, zone)))
        day += timedelta(days=1)
    return starts


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC.

    Where clocks skip midnight, fold 0 reads it with the offset from before the change, which is
    the instant the gap ends: the day's first moment.
    """
    return datetime.combine(day, time(), zone).astimezone(UTC)


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
