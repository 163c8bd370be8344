"""Retention: closed cases are crypto-shredded when their window has passed, and audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.domain.cases import CaseStatus
from storage.models import AuditEntry, Case, DataKeyRow
from storage.repositories.audit import AuditAnchor, AuditLog
from storage.retention import (
    DEFAULT_POLICY,
    RetentionError,
    RetentionPolicy,
    expiring,
    extend,
    shred_expired,
)
from storage.store import SqlStore
from storage.vault import KeyShreddedError

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
POLICY = RetentionPolicy.from_days(
    {
        CaseStatus.CLOSED: 90,
        CaseStatus.RELEASED: 30,
        CaseStatus.DEPORTED: 90,
        CaseStatus.CONVICTED: None,  # kept until shredded by hand
    }
)


@pytest.fixture
def anchor(store: SqlStore) -> AuditAnchor:
    return AuditAnchor.beside(store.vault.keys)


async def make_case(
    store: SqlStore,
    status: CaseStatus,
    closed_days_ago: float | None = None,
    *,
    duplicate_of: uuid.UUID | None = None,
    created_days_ago: float = 200,
) -> tuple[str, uuid.UUID]:
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="test-1", status=status)
        await tx.cases.put_answer(case.id, "detained_name", "someone")
        values: dict[str, object] = {
            "created_at": NOW - timedelta(days=created_days_ago),
            "duplicate_of": duplicate_of,
        }
        if closed_days_ago is not None:
            values["closed_at"] = NOW - timedelta(days=closed_days_ago)
        await tx.session.execute(update(Case).where(Case.id == case.id).values(**values))
    return case.code, case.id


async def gone(store: SqlStore, case_id: uuid.UUID) -> bool:
    async with store.transaction() as tx:
        no_row = await tx.cases.get(case_id) is None
        no_key = await tx.session.get(DataKeyRow, case_id) is None
        try:
            await tx.cases.answers(case_id)
        except KeyShreddedError:
            unreadable = True
        else:
            unreadable = False
    assert no_row == no_key == unreadable
    return no_row


async def audit_rows(store: SqlStore) -> list[tuple[str, str | None, str | None]]:
    async with store.transaction() as tx:
        rows = (await tx.session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [(r.action, r.case_code, r.detail) for r in rows]


async def test_only_expired_closed_cases_are_shredded_and_each_is_audited(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    closed_old = await make_case(store, CaseStatus.CLOSED, 91)
    closed_recent = await make_case(store, CaseStatus.CLOSED, 89)
    released_old = await make_case(store, CaseStatus.RELEASED, 31)
    released_recent = await make_case(store, CaseStatus.RELEASED, 29)
    convicted_old = await make_case(store, CaseStatus.CONVICTED, 1000)
    open_old = await make_case(store, CaseStatus.IN_COURT, 1000)  # a stale closed_at: reopened
    new_old = await make_case(store, CaseStatus.NEW, created_days_ago=1000)
    draft_old = await make_case(store, CaseStatus.DRAFT, created_days_ago=1000)

    run = await shred_expired(store, POLICY, NOW, anchor=anchor)

    assert sorted(run.shredded_codes) == sorted([closed_old[0], released_old[0]])
    assert run.held == ()
    for _, case_id in (closed_old, released_old):
        assert await gone(store, case_id)
    for _, case_id in (
        closed_recent,
        released_recent,
        convicted_old,
        open_old,
        new_old,
        draft_old,
    ):
        assert not await gone(store, case_id)
    entries = await audit_rows(store)
    assert sorted((a, c) for a, c, _ in entries) == sorted(
        [("case.shredded", closed_old[0]), ("case.shredded", released_old[0])]
    )
    assert ("case.shredded", closed_old[0], "retention: closed +90d") in entries
    async with store.transaction() as tx:
        assert await AuditLog(tx.session, store.vault.keys, anchor).verify() == []
    # Running again finds nothing more.
    again = await shred_expired(store, POLICY, NOW, anchor=anchor)
    assert again.shredded == ()


async def test_time_moving_on_expires_a_case_on_the_day_its_window_ends(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    code, case_id = await make_case(store, CaseStatus.DEPORTED, 0)
    assert (
        await shred_expired(store, POLICY, NOW + timedelta(days=89), anchor=anchor)
    ).shredded == ()
    assert not await gone(store, case_id)
    run = await shred_expired(store, POLICY, NOW + timedelta(days=90), anchor=anchor)
    assert run.shredded_codes == (code,)
    assert await gone(store, case_id)


async def test_an_extended_case_survives_until_its_new_date_and_the_extension_is_audited(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    code, case_id = await make_case(store, CaseStatus.CLOSED, 85)  # expires in 5 days
    result = await extend(store, POLICY, code, 30, NOW, anchor=anchor, actor="staff:1")
    assert result.expires_at == NOW + timedelta(days=35)
    assert result.retain_until == NOW + timedelta(days=35)
    assert (
        await shred_expired(store, POLICY, NOW + timedelta(days=34), anchor=anchor)
    ).shredded == ()
    assert not await gone(store, case_id)
    run = await shred_expired(store, POLICY, NOW + timedelta(days=35), anchor=anchor)
    assert run.shredded_codes == (code,)
    entries = await audit_rows(store)
    assert entries[0] == (
        "case.retention_extended",
        code,
        f"+30d until {(NOW + timedelta(days=35)).date().isoformat()}",
    )
    assert entries[1][:2] == ("case.shredded", code)
    assert entries[1][2] is not None
    assert entries[1][2].endswith("(extended)")


async def test_extending_an_already_expired_case_counts_from_now(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    code, _ = await make_case(store, CaseStatus.CLOSED, 200)
    result = await extend(store, POLICY, code, 7, NOW, anchor=anchor, actor="staff:1")
    assert result.expires_at == NOW + timedelta(days=7)
    assert (await shred_expired(store, POLICY, NOW, anchor=anchor)).shredded == ()


async def test_extending_an_open_case_keeps_it_after_it_closes(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    code, case_id = await make_case(store, CaseStatus.IN_CONTACT)
    result = await extend(store, POLICY, code, 200, NOW, anchor=anchor, actor="staff:1")
    assert result.expires_at is None
    async with store.transaction() as tx:
        await tx.session.execute(
            update(Case).where(Case.id == case_id).values(status="closed", closed_at=NOW)
        )
    later = NOW + timedelta(days=150)  # past 90 days after closing, before the extension
    assert (await shred_expired(store, POLICY, later, anchor=anchor)).shredded == ()
    assert (await shred_expired(store, POLICY, NOW + timedelta(days=200), anchor=anchor)).shredded


async def test_an_unknown_case_a_linked_report_and_zero_days_cannot_be_extended(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    code, case_id = await make_case(store, CaseStatus.CLOSED, 10)
    linked, _ = await make_case(store, CaseStatus.NEW, duplicate_of=case_id)
    with pytest.raises(RetentionError, match="no case"):
        await extend(store, POLICY, "AAAA-BBBB-CCCC", 5, NOW, anchor=anchor, actor="ops")
    with pytest.raises(RetentionError, match=f"extend {code}"):
        await extend(store, POLICY, linked, 5, NOW, anchor=anchor, actor="ops")
    with pytest.raises(RetentionError, match="at least one day"):
        await extend(store, POLICY, code, 0, NOW, anchor=anchor, actor="ops")
    assert await audit_rows(store) == []


async def test_expiring_lists_cases_within_n_days_soonest_first(store: SqlStore) -> None:
    overdue = await make_case(store, CaseStatus.CLOSED, 95)
    in_three = await make_case(store, CaseStatus.CLOSED, 87)
    in_six = await make_case(store, CaseStatus.RELEASED, 24)
    await make_case(store, CaseStatus.CLOSED, 80)  # in ten days
    await make_case(store, CaseStatus.CONVICTED, 500)  # never
    await make_case(store, CaseStatus.ASSIGNED, 500)  # open: never
    found = await expiring(store, POLICY, NOW, timedelta(days=7))
    assert [e.code for e in found] == [overdue[0], in_three[0], in_six[0]]
    assert found[1].expires_at == NOW + timedelta(days=3)
    assert found[2].status is CaseStatus.RELEASED
    # Listing changes nothing.
    assert not await gone(store, overdue[1])


async def test_linked_reports_go_with_their_case_and_never_alone(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    code, case_id = await make_case(store, CaseStatus.CLOSED, 100)
    linked, linked_id = await make_case(
        store, CaseStatus.CLOSED, 100, duplicate_of=case_id, created_days_ago=150
    )
    _open_case, open_id = await make_case(store, CaseStatus.ASSIGNED)
    _lonely, lonely_id = await make_case(store, CaseStatus.CLOSED, 300, duplicate_of=open_id)
    run = await shred_expired(store, POLICY, NOW, anchor=anchor)
    assert run.shredded_codes == (code, linked)
    assert await gone(store, case_id)
    assert await gone(store, linked_id)
    assert not await gone(store, lonely_id)  # follows its open case
    entries = await audit_rows(store)
    assert ("case.shredded", linked, f"with {code}") in entries


async def test_a_case_with_a_report_newer_than_its_closing_is_held(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    code, case_id = await make_case(store, CaseStatus.CLOSED, 100)
    await make_case(store, CaseStatus.NEW, duplicate_of=case_id, created_days_ago=50)
    run = await shred_expired(store, POLICY, NOW, anchor=anchor)
    assert run.shredded == ()
    assert [h.code for h in run.held] == [code]
    assert not await gone(store, case_id)
    assert await audit_rows(store) == []


async def test_the_default_policy_keeps_closed_cases_ninety_days() -> None:
    for status in (
        CaseStatus.CLOSED,
        CaseStatus.RELEASED,
        CaseStatus.DEPORTED,
        CaseStatus.CONVICTED,
    ):
        assert DEFAULT_POLICY.window(status) == timedelta(days=90)
    for status in (CaseStatus.NEW, CaseStatus.IN_COURT, CaseStatus.DRAFT):
        assert DEFAULT_POLICY.window(status) is None
    with pytest.raises(ValueError, match="open status"):
        RetentionPolicy.from_days({CaseStatus.NEW: 5})
