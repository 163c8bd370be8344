"""Statistics for a period: cases by status, urgency and day, Tier-0-to-claim minutes, unclaimed.

The figures are computed in SQL; `_reference` is the earlier Python computation over fetched
rows, kept here to show that both give the same `Stats`, float for float, on both backends.
"""

from __future__ import annotations

import random
import statistics
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.domain.cases import CaseStatus, Urgency, new_case_code
from bot.domain.people import TelegramIdentity
from bot.domain.workflow import OPEN
from storage.models import Case
from storage.repositories.triage import Stats
from storage.store import SqlStore

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5 all year
SANTIAGO = ZoneInfo("America/Santiago")  # changes its clocks at local midnight


@dataclass(frozen=True)
class Row:
    """What stats() reads of a case."""

    went_live: datetime | None
    status: CaseStatus = CaseStatus.TRIAGED
    urgency: Urgency = Urgency.NORMAL
    claimed_at: datetime | None = None
    claimed: bool = False


def claimed(went_live: datetime, after: timedelta) -> Row:
    """A case a lawyer claimed `after` it went live (negative: claimed before Tier 0 ended)."""
    return Row(went_live, claimed_at=went_live + after, claimed=True)


async def add(store: SqlStore, rows: Iterable[Row]) -> None:
    async with store.transaction() as tx:
        lawyer = await tx.staff.ensure(TelegramIdentity(7001, 7001), "lawyer")
        values = [
            {
                "id": uuid.uuid4(),
                "code": new_case_code(),
                "status": row.status.value,
                "urgency": row.urgency.value,
                "questionnaire_version": "test",
                "tier0_completed_at": row.went_live,
                "claimed_at": row.claimed_at,
                "claimed_by": lawyer.id if row.claimed else None,
            }
            for row in rows
        ]
        await tx.session.execute(insert(Case), values)


async def stats(
    store: SqlStore, since: datetime, until: datetime, zone: tzinfo | None = None
) -> Stats:
    async with store.transaction() as tx:
        if zone is None:
            return await tx.triage.stats(since, until)
        return await tx.triage.stats(since, until, zone=zone)


def _reference(rows: list[Row], since: datetime, until: datetime, zone: tzinfo = UTC) -> Stats:
    """The Python computation stats() used before it moved into SQL."""
    live = [r for r in rows if r.went_live is not None and since <= r.went_live < until]
    by_status: dict[str, int] = {}
    by_urgency: dict[str, int] = {}
    per_day: dict[str, int] = {}
    waits: list[float] = []
    for r in live:
        assert r.went_live is not None
        by_status[r.status.value] = by_status.get(r.status.value, 0) + 1
        by_urgency[r.urgency.value] = by_urgency.get(r.urgency.value, 0) + 1
        day = r.went_live.astimezone(zone).date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
        if r.claimed_at is not None and r.claimed_at >= r.went_live:
            waits.append((r.claimed_at - r.went_live).total_seconds() / 60)
    waits.sort()
    unclaimed = sum(
        1 for r in rows if r.status in OPEN and not r.claimed and r.went_live is not None
    )
    return Stats(
        by_status=by_status,
        by_urgency=by_urgency,
        reports_per_day=dict(sorted(per_day.items())),
        claim_minutes_median=statistics.median(waits) if waits else None,
        claim_minutes_p90=waits[min(len(waits) - 1, int(0.9 * len(waits)))] if waits else None,
        unclaimed_now=unclaimed,
    )


async def test_an_empty_period_has_no_figures_but_still_counts_who_waits_now(
    store: SqlStore,
) -> None:
    since = NOW - timedelta(days=30)
    await add(
        store,
        [
            Row(since - timedelta(microseconds=1), CaseStatus.NEW),  # just before the period
            Row(NOW, CaseStatus.TRIAGED),  # `until` itself is outside
            claimed(NOW - timedelta(days=40), timedelta(minutes=5)),
            Row(None, CaseStatus.DRAFT),
        ],
    )

    figures = await stats(store, since, NOW)

    assert figures == Stats(
        by_status={},
        by_urgency={},
        reports_per_day={},
        claim_minutes_median=None,
        claim_minutes_p90=None,
        unclaimed_now=2,
    )


async def test_an_empty_database(store: SqlStore) -> None:
    assert await stats(store, NOW - timedelta(days=30), NOW) == Stats({}, {}, {}, None, None, 0)


async def test_counts_by_status_urgency_and_day_in_a_half_open_period(store: SqlStore) -> None:
    since = datetime(2026, 3, 1, tzinfo=UTC)
    await add(
        store,
        [
            Row(since, CaseStatus.NEW, Urgency.URGENT),  # `since` itself is inside
            Row(since + timedelta(hours=3), CaseStatus.NEW, Urgency.HIGH),
            Row(datetime(2026, 3, 4, 9, tzinfo=UTC), CaseStatus.CLOSED, Urgency.URGENT),
            Row(datetime(2026, 3, 4, 10, tzinfo=UTC), CaseStatus.RELEASED),
            Row(datetime(2026, 3, 4, 11, tzinfo=UTC), CaseStatus.NEW),
            Row(NOW - timedelta(microseconds=1), CaseStatus.TRIAGED),
            Row(NOW, CaseStatus.TRIAGED, Urgency.URGENT),
        ],
    )

    figures = await stats(store, since, NOW)

    assert figures.by_status == {"new": 3, "closed": 1, "released": 1, "triaged": 1}
    assert figures.by_urgency == {"urgent": 2, "high": 1, "normal": 3}
    assert figures.reports_per_day == {"2026-03-01": 2, "2026-03-04": 3, "2026-03-10": 1}
    assert list(figures.reports_per_day) == sorted(figures.reports_per_day)
    assert figures.unclaimed_now == 5  # the NEW and TRIAGED ones, `until` or not


async def test_days_are_utc_days_unless_a_zone_is_given(store: SqlStore) -> None:
    # 18:59:59.999999 UTC is 23:59:59.999999 in Almaty; 19:00 UTC is already the next day there.
    before_local_midnight = datetime(2026, 3, 4, 18, 59, 59, 999999, tzinfo=UTC)
    await add(
        store,
        [
            Row(datetime(2026, 3, 4, 0, 0, tzinfo=UTC)),  # 05:00 on the 4th in Almaty
            Row(datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=UTC)),  # the 4th in Almaty
            Row(before_local_midnight),
            Row(before_local_midnight + timedelta(microseconds=1)),
            Row(datetime(2026, 3, 4, 23, 30, tzinfo=UTC)),
        ],
    )
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)

    utc_days = await stats(store, since, until)
    almaty_days = await stats(store, since, until, ALMATY)

    assert utc_days.reports_per_day == {"2026-03-03": 1, "2026-03-04": 4}
    assert almaty_days.reports_per_day == {"2026-03-04": 3, "2026-03-05": 2}


async def test_a_zone_that_changes_its_clocks_at_midnight(store: SqlStore) -> None:
    # Santiago: on 5 April 2026 midnight (03:00 UTC) becomes 23:00 of the 4th again, so the 5th
    # starts at 04:00 UTC; on 6 September midnight (04:00 UTC) is skipped to 01:00.
    rows = [
        Row(datetime(2026, 4, 5, 2, 59, 59, tzinfo=UTC)),  # 23:59:59 on the 4th, -03
        Row(datetime(2026, 4, 5, 3, 0, tzinfo=UTC)),  # 23:00 on the 4th again, -04
        Row(datetime(2026, 4, 5, 3, 59, 59, 999999, tzinfo=UTC)),  # still the 4th
        Row(datetime(2026, 4, 5, 4, 0, tzinfo=UTC)),  # 00:00 on the 5th
        Row(datetime(2026, 9, 6, 3, 59, 59, 999999, tzinfo=UTC)),  # 23:59:59.999999 on the 5th
        Row(datetime(2026, 9, 6, 4, 0, tzinfo=UTC)),  # 01:00 on the 6th
    ]
    await add(store, rows)
    since, until = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 9, 30, tzinfo=UTC)

    figures = await stats(store, since, until, SANTIAGO)

    assert figures.reports_per_day == {
        "2026-04-04": 3,
        "2026-04-05": 1,
        "2026-09-05": 1,
        "2026-09-06": 1,
    }
    assert figures == _reference(rows, since, until, SANTIAGO)


async def test_claim_minutes_median_and_p90_of_an_even_count(store: SqlStore) -> None:
    went_live = NOW - timedelta(days=2)
    waits = [7, 3, 20, 1, 15, 9, 2, 18, 4, 11, 6, 13, 5, 19, 8, 16, 10, 14, 12, 17]
    await add(
        store,
        [
            *(claimed(went_live + timedelta(seconds=i), timedelta(minutes=m)) for i, m in
              enumerate(waits)),
            claimed(went_live, -timedelta(minutes=1)),  # claimed before Tier 0: not a wait
            Row(went_live, CaseStatus.NEW),  # not claimed
            claimed(NOW - timedelta(days=31), timedelta(minutes=500)),  # outside the period
        ],
    )  # fmt: skip

    figures = await stats(store, NOW - timedelta(days=30), NOW)

    assert figures.claim_minutes_median == 10.5  # between the 10th and 11th of 20
    assert figures.claim_minutes_p90 == 19.0  # the 19th of 20 (index int(0.9 * 20) = 18)
    assert figures.unclaimed_now == 1


async def test_claim_minutes_of_an_odd_count_and_of_one_case(store: SqlStore) -> None:
    went_live = NOW - timedelta(days=1)
    waits = (4.0, 1.5, 3.0, 2.0, 1.5, 60.0, 2.5)
    await add(
        store,
        [
            claimed(went_live + timedelta(hours=i), timedelta(minutes=m))
            for i, m in enumerate(waits)
        ],
    )

    figures = await stats(store, NOW - timedelta(days=30), NOW)
    third = went_live + timedelta(hours=3)
    one = await stats(store, third, third + timedelta(microseconds=1))

    assert figures.claim_minutes_median == 2.5  # the 4th of 7
    assert figures.claim_minutes_p90 == 60.0  # index int(0.9 * 7) = 6, the largest
    assert one.by_status == {"triaged": 1}
    assert one.claim_minutes_median == one.claim_minutes_p90 == 2.0


async def test_claim_minutes_keep_microseconds(store: SqlStore) -> None:
    went_live = datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=UTC)
    after = [timedelta(seconds=90, microseconds=1), timedelta(days=1, microseconds=999999)]
    await add(store, [claimed(went_live, a) for a in after])

    figures = await stats(store, NOW - timedelta(days=30), NOW)

    in_minutes = sorted(a.total_seconds() / 60 for a in after)
    assert figures.claim_minutes_median == (in_minutes[0] + in_minutes[1]) / 2
    assert figures.claim_minutes_p90 == in_minutes[1]


async def test_figures_equal_the_earlier_python_computation(store: SqlStore) -> None:
    rng = random.Random(20260310)
    start = datetime(2026, 3, 28, tzinfo=UTC)  # across Santiago's change on 5 April

    def moment() -> datetime:
        return start + timedelta(microseconds=rng.randrange(14 * 86_400 * 10**6))

    rows: list[Row] = []
    for _ in range(300):
        went_live = moment() if rng.random() < 0.97 else None
        status = rng.choice([s for s in CaseStatus if s is not CaseStatus.DRAFT])
        urgency = rng.choice(list(Urgency))
        if went_live is None or rng.random() < 0.3:
            rows.append(Row(went_live, status, urgency))
            continue
        kind = rng.random()
        if kind < 0.1:
            after = -timedelta(microseconds=rng.randrange(1, 10**9))
        elif kind < 0.2:
            after = timedelta(minutes=rng.choice([0, 1, 5, 30]))  # ties
        else:
            after = timedelta(microseconds=rng.randrange(0, 3 * 3600 * 10**6))
        rows.append(Row(went_live, status, urgency, went_live + after, claimed=rng.random() < 0.9))
    await add(store, rows)

    periods = [
        (start, start + timedelta(days=14)),
        (start + timedelta(days=3, hours=7), start + timedelta(days=9, microseconds=17)),
    ]
    for since, until in periods:
        assert await stats(store, since, until) == _reference(rows, since, until)
        for zone in (ALMATY, SANTIAGO):
            assert await stats(store, since, until, zone) == _reference(rows, since, until, zone)
