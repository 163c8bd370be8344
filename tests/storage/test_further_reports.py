"""Further reports (the same person reported again) and the clock cases are stamped with.

A further report points at the person's first case (``duplicate_of``): linked by the intake's
blind index, or merged by a coordinator. Staff work on the first case only, so the further
report's own status and claim stay where they were; these tests check that triage lists and
counts do not show it as work of its own, that its reporter sees the first case's status, and
that every time a case is stamped with comes from the unit of work's clock (a fake one here).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.cases import CaseStatus, Urgency
from bot.domain.people import TelegramIdentity
from bot.domain.ports import CaseInfo
from bot.domain.workflow import TriageFilter
from storage.db import make_engine, make_sessionmaker
from storage.keyring import Keyring, KeyringHolder
from storage.models import Answer, Case, ProcessedUpdate
from storage.repositories.casework import Casework
from storage.retention import RetentionPolicy, expiring
from storage.store import SqlStore
from storage.vault import Vault
from tests.databases import ScratchDatabase

# Years before any wall clock these tests will run under: a time taken from the wall clock
# instead of the store's clock is never mistaken for one of these.
T = datetime(2020, 3, 2, 9, 0, tzinfo=UTC)
PERSON = "ivan petrov|1990-04-12"
OTHER_PERSON = "anna orlova|1985-01-30"


@dataclass
class Clock:
    """A clock that moves only when a test sets it."""

    now: datetime = T

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def clocked(
    database: ScratchDatabase, keyring: Keyring, clock: Clock
) -> AsyncIterator[SqlStore]:
    """A SqlStore whose units of work run on `clock`, as the runtime's run on its clock."""
    engine = make_engine(database.url)
    yield SqlStore(make_sessionmaker(engine), Vault(KeyringHolder(keyring.path)), clock=clock)
    await engine.dispose()


async def report(
    store: SqlStore,
    clock: Clock,
    at: datetime,
    person: str | None = PERSON,
    urgency: Urgency = Urgency.URGENT,
    user_id: int | None = None,
) -> CaseInfo:
    """A report made live at `at` as the intake does it (draft, Tier 0 complete)."""
    clock.now = at
    async with store.transaction() as tx:
        reporter = None
        if user_id is not None:
            reporter = await tx.reporter_id(TelegramIdentity(user_id, user_id))
        case = await tx.cases.create(questionnaire_version="test-1", reporter_id=reporter)
        await tx.put_answer(case.id, "detained_name", "Ivan Petrov")
        await tx.complete_tier0(case.id, urgency, person, at)
    return CaseInfo(case.id, case.code, CaseStatus.NEW, urgency)


async def row(store: SqlStore, case_id: uuid.UUID) -> Case:
    async with store.transaction() as tx:
        found = await tx.session.get(Case, case_id)
    assert found is not None
    return found


async def pair(store: SqlStore, clock: Clock, how: str) -> tuple[CaseInfo, CaseInfo, datetime]:
    """(first case, further report, the time after both): linked by the intake, or merged."""
    first = await report(store, clock, T, user_id=101)
    if how == "linked":
        later = T + timedelta(hours=1)
        further = await report(store, clock, later, user_id=202)
        assert (await row(store, further.id)).duplicate_of == first.id
        return first, further, later
    # 40 days later the intake no longer links the report; a coordinator merges them.
    later = T + timedelta(days=40)
    further = await report(store, clock, later, user_id=202)
    assert (await row(store, further.id)).duplicate_of is None
    async with store.transaction() as tx:
        merged = await Casework(tx).merge(first.code, further.code, "staff:test", later)
    assert merged is not None
    assert merged.plan.primary.code == first.code
    assert (await row(store, further.id)).duplicate_of == first.id
    return first, further, later


# -- triage --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["linked", "merged"])
async def test_further_reports_are_listed_under_all_only_and_not_counted_as_not_taken(
    clocked: SqlStore, clock: Clock, how: str
) -> None:
    first, further, later = await pair(clocked, clock, how)
    lone = await report(clocked, clock, later, person=OTHER_PERSON)
    stale_now = later + timedelta(hours=25)
    async with clocked.transaction() as tx:
        for which in (TriageFilter.OPEN, TriageFilter.UNCLAIMED, TriageFilter.URGENT):
            lines, total = await tx.triage.page(which, later)
            assert {line.code for line in lines} == {first.code, lone.code}, which
            assert total == 2, which
        lines, total = await tx.triage.page(TriageFilter.STALE, stale_now)
        assert ({line.code for line in lines}, total) == ({first.code, lone.code}, 2)
        lines, total = await tx.triage.page(TriageFilter.ALL, later)
        assert {line.code for line in lines} == {first.code, further.code, lone.code}
        assert total == 3
        assert next(ln for ln in lines if ln.code == further.code).duplicate_of == first.id

        stats = await tx.triage.stats(T - timedelta(days=1), later + timedelta(days=1))
    # Every report came in; two cases (people) wait, both unclaimed.
    day, later_day = T.date().isoformat(), later.date().isoformat()
    assert stats.reports_per_day == ({day: 3} if how == "linked" else {day: 1, later_day: 2})
    assert stats.by_status == {"new": 2}
    assert stats.by_urgency == {"urgent": 2}
    assert stats.unclaimed_now == 2
    assert stats.claim_minutes_median is None


async def test_a_claimed_case_with_a_further_report_is_not_taken_by_nobody(
    clocked: SqlStore, clock: Clock
) -> None:
    first, _further, later = await pair(clocked, clock, "linked")
    async with clocked.transaction() as tx:
        lawyer = await tx.staff.ensure(TelegramIdentity(7001, 7001), "lawyer")
        await tx.triage.assign(first.id, lawyer.id, later, later + timedelta(minutes=30))
    async with clocked.transaction() as tx:
        assert await tx.triage.page(TriageFilter.UNCLAIMED, later) == ([], 0)
        assert [ln.code for ln in (await tx.triage.page(TriageFilter.OPEN, later))[0]] == [
            first.code
        ]
        stats = await tx.triage.stats(T - timedelta(days=1), later + timedelta(days=1))
    assert stats.unclaimed_now == 0
    assert stats.by_status == {"assigned": 1}
    assert stats.claim_minutes_median == 60.0  # claimed an hour after the first report


# -- what the further report's reporter sees -------------------------------------------------


@pytest.mark.parametrize("how", ["linked", "merged"])
async def test_the_reporter_of_a_further_report_sees_the_status_of_the_case_it_belongs_to(
    clocked: SqlStore, clock: Clock, how: str
) -> None:
    first, further, later = await pair(clocked, clock, how)
    async with clocked.transaction() as tx:
        reporter = await tx.reporter_id(TelegramIdentity(202, 202))
        assert await tx.latest_case(reporter) == CaseInfo(
            further.id, further.code, CaseStatus.NEW, Urgency.URGENT
        )
        await tx.triage.set_status(first.id, CaseStatus.IN_COURT, later)
    async with clocked.transaction() as tx:
        seen = await tx.latest_case(reporter)
        # Their own case's code and id, the person's case's status, nothing else of it.
        assert seen == CaseInfo(further.id, further.code, CaseStatus.IN_COURT, Urgency.URGENT)
        assert await tx.case_info(further.id) == seen
        assert await tx.count_cases(reporter, open_only=True) == 1
        # Staff still see the further report's own row as it is.
        own = await tx.cases.get(further.id)
        assert own is not None
        assert own.status is CaseStatus.NEW
        # The first reporter sees their case as before.
        first_reporter = await tx.reporter_id(TelegramIdentity(101, 101))
        mine = await tx.latest_case(first_reporter)
        assert mine is not None
        assert (mine.code, mine.status) == (first.code, CaseStatus.IN_COURT)

        await tx.triage.set_status(first.id, CaseStatus.RELEASED, later)
    async with clocked.transaction() as tx:
        seen = await tx.latest_case(reporter)
        assert seen is not None
        assert seen.status is CaseStatus.RELEASED
        # Closed with the person's case: no longer one of the reporter's open reports.
        assert await tx.count_cases(reporter, open_only=True) == 0
        assert await tx.count_cases(first_reporter, open_only=True) == 0


async def test_a_reporter_whose_report_is_on_its_own_sees_its_own_status(
    clocked: SqlStore, clock: Clock
) -> None:
    lone = await report(clocked, clock, T, user_id=303)
    async with clocked.transaction() as tx:
        await tx.triage.set_status(lone.id, CaseStatus.TRIAGED, T)
        reporter = await tx.reporter_id(TelegramIdentity(303, 303))
        seen = await tx.latest_case(reporter)
        assert seen == CaseInfo(lone.id, lone.code, CaseStatus.TRIAGED, Urgency.URGENT)
        assert await tx.case_info(lone.id) == seen
        assert await tx.count_cases(reporter, open_only=True) == 1


# -- the clock -------------------------------------------------------------------------------


async def test_cases_and_answers_are_stamped_with_the_units_clock(
    clocked: SqlStore, clock: Clock
) -> None:
    async with clocked.transaction() as tx:
        assert await tx.claim_update(4242)
        case = await tx.cases.create(questionnaire_version="test-1")
        await tx.put_answer(case.id, "detained_name", "Ivan Petrov")
    assert case.created_at == T
    stored = await row(clocked, case.id)
    assert (stored.created_at, stored.updated_at) == (T, T)
    async with clocked.transaction() as tx:
        answer = (
            await tx.session.execute(select(Answer).where(Answer.case_id == case.id))
        ).scalar_one()
        assert (answer.created_at, answer.updated_at) == (T, T)
        processed = await tx.session.get(ProcessedUpdate, 4242)
        assert processed is not None
        assert processed.processed_at == T

    # An answer two minutes later touches the case (at most once a minute) at that time.
    clock.now = T + timedelta(minutes=2)
    async with clocked.transaction() as tx:
        await tx.put_answer(case.id, "detained_name", "Ivan S. Petrov")
    assert (await row(clocked, case.id)).updated_at == clock.now

    clock.now = T + timedelta(minutes=5)
    async with clocked.transaction() as tx:
        await tx.complete_tier0(case.id, Urgency.HIGH, PERSON, clock.now)
    stored = await row(clocked, case.id)
    assert (stored.tier0_completed_at, stored.updated_at) == (clock.now, clock.now)

    clock.now = T + timedelta(minutes=9)
    async with clocked.transaction() as tx:
        await tx.set_urgency(case.id, Urgency.URGENT)
    assert (await row(clocked, case.id)).updated_at == clock.now

    # A further report stamps the first case (its count and urgency moved) at its time.
    later = T + timedelta(hours=3)
    further = await report(clocked, clock, later, urgency=Urgency.URGENT)
    assert (await row(clocked, further.id)).duplicate_of == case.id
    stored = await row(clocked, case.id)
    assert (stored.report_count, stored.updated_at) == (2, later)


async def test_the_duplicate_window_is_30_days_of_the_units_clock(
    clocked: SqlStore, clock: Clock
) -> None:
    first = await report(clocked, clock, T)
    other = await report(clocked, clock, T, person=OTHER_PERSON)
    within = await report(clocked, clock, T + timedelta(days=29), person=OTHER_PERSON)
    beyond = await report(clocked, clock, T + timedelta(days=31))
    assert (await row(clocked, within.id)).duplicate_of == other.id
    assert (await row(clocked, beyond.id)).duplicate_of is None
    assert (await row(clocked, first.id)).report_count == 1


async def test_the_per_day_report_limit_counts_on_the_units_clock(
    clocked: SqlStore, clock: Clock
) -> None:
    await report(clocked, clock, T, person=None, user_id=404)
    await report(clocked, clock, T + timedelta(days=2), person=None, user_id=404)
    async with clocked.transaction() as tx:
        reporter = await tx.reporter_id(TelegramIdentity(404, 404))
        since = T + timedelta(days=2) - timedelta(days=1)
        assert await tx.count_cases(reporter, since=since) == 1


async def test_retention_holds_a_case_only_for_a_report_after_it_was_closed(
    clocked: SqlStore, clock: Clock
) -> None:
    policy = RetentionPolicy.from_days({CaseStatus.CLOSED: 90})
    first = await report(clocked, clock, T)
    await report(clocked, clock, T + timedelta(hours=1))  # before closing
    closed_at = T + timedelta(hours=2)
    async with clocked.transaction() as tx:
        await tx.triage.set_status(first.id, CaseStatus.CLOSED, closed_at)
    due = closed_at + timedelta(days=91)
    [expiry] = await expiring(clocked, policy, due)
    assert (expiry.code, expiry.closed_at, expiry.held) == (first.code, closed_at, False)

    after = await report(clocked, clock, closed_at + timedelta(days=1))  # after closing
    assert (await row(clocked, after.id)).duplicate_of == first.id
    [expiry] = await expiring(clocked, policy, due)
    assert expiry.held
    assert after.code in expiry.linked_codes
