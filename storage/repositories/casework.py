"""Casework beyond the triage list: cases of the same person, merging them, erasing one, history.

Everything here reads plaintext metadata only (codes, links, the person blind index, audit
actions); answers are decrypted by the caller, through the case repository, when a view shows
them.

Same person
-----------
The intake links a later report to an earlier case of the same person (``duplicate_of``, same
``person_index`` within 30 days) and counts it on that case. Such a link is a *suggestion* until
a coordinator confirms it; cases with the same blind index that the intake did not link (two
reports racing each other, or an older case) are suggested too. A coordinator's merge:

* makes the later (or the closed) case a further report of the other: ``duplicate_of`` points at
  the primary, the secondary's own further reports move with it, the primary counts them all
  (``report_count``), takes the higher urgency, and takes over the secondary's claim when it had
  none of its own;
* deletes nothing: every report keeps its answers, notes and files under its own key, and the
  primary's view shows them;
* is written to the audit log as ``case.merge``, once for each case (codes and staff ids only).

Shredding keeps the links
-------------------------
Whoever shreds a case (its reporter's erasure, a coordinator, retention), `SqlTransaction.
shred_case` first calls :func:`before_shred`, in the same transaction:

* a further report leaves its case, which counts one report fewer (and its card is redrawn);
* a case with further reports hands the person's case over to the oldest of them, which is
  *promoted*: it stops being a further report and takes over status, the higher urgency,
  the claim (taker, claim and progress times), the closing and retention times and the report
  count (less the shredded one); the other further reports point at it; an unclaimed case that
  still needs a lawyer is escalated afresh from round 0, and an open one gets a card of its own
  in the lawyers' chat (the old card is blanked). Written to the audit log as ``case.promoted``
  (the heir, ``in place of`` the shredded code) and ``case.relinked`` (each further report, ``to``
  the heir): codes only.

Coordinators' erasure and retention shred the further reports first, so they take them along as
before; a reporter's erasure takes only the reporter's own cases, so another reporter's report
of the same person carries on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import flag_modified

from bot.domain.alerting import ALERTABLE
from bot.domain.cases import CaseStatus, Urgency, priority_for
from bot.domain.workflow import OPEN
from storage.models import AuditEntry, Case

if TYPE_CHECKING:  # the store calls `before_shred`: import it for types only
    from storage.store import SqlTransaction

MERGE_ACTION = "case.merge"
ERASE_ACTION = "case.erased"
PROMOTE_ACTION = "case.promoted"
RELINK_ACTION = "case.relinked"
# Reading a case is audited, but a case's history shows what was done to it, not who looked.
QUIET_ACTIONS = ("case.view", "case.details")
MAX_SUGGESTIONS = 5
_RANK = {Urgency.NORMAL: 0, Urgency.HIGH: 1, Urgency.URGENT: 2}


@dataclass(frozen=True, slots=True)
class CaseRef:
    """Another case, by id and code; `confirmed` once a coordinator merged it."""

    id: uuid.UUID
    code: str
    status: CaseStatus
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class Related:
    """The cases a case view mentions: what it belongs to, what belongs to it, what may."""

    primary: CaseRef | None  # this case is a further report of `primary` (confirmed: merged)
    reports: tuple[CaseRef, ...]  # further reports of this case
    suggestions: tuple[CaseRef, ...]  # other cases the blind index says may be the same person


@dataclass(frozen=True, slots=True)
class MergePlan:
    """Which case is merged into which; `linked` when the intake had already linked them."""

    primary: CaseRef
    secondary: CaseRef
    linked: bool


@dataclass(frozen=True, slots=True)
class Merged:
    """What a merge did: the cases, and the secondary's card to update in the lawyers' chat."""

    plan: MergePlan
    primary_urgency: Urgency
    secondary_card: int | None


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure shredded: the case, its further reports, and the case that counted it."""

    code: str
    linked_codes: tuple[str, ...]
    primary_id: uuid.UUID | None
    primary_urgency: Urgency | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One thing done to a case (from the audit log)."""

    at: datetime
    actor: str
    action: str
    detail: str | None


def _ref(row: Case, confirmed: bool = False) -> CaseRef:
    return CaseRef(row.id, row.code, CaseStatus(row.status), confirmed)


def _order(a: Case, b: Case) -> tuple[Case, Case]:
    """(primary, secondary): the open one if only one is open, else the one that went live first."""
    a_open, b_open = CaseStatus(a.status) in OPEN, CaseStatus(b.status) in OPEN
    if a_open != b_open:
        return (a, b) if a_open else (b, a)

    def key(row: Case) -> tuple[datetime, datetime]:
        return (row.tier0_completed_at or row.created_at, row.created_at)

    return (a, b) if key(a) <= key(b) else (b, a)


class Casework:
    """Same-person suggestions, merges, coordinator erasure and case history, in one transaction."""

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx
        self._session = tx.session

    async def _row(self, code: str, *, lock: bool = False) -> Case | None:
        query = select(Case).where(Case.code == code)
        if lock:
            query = query.with_for_update()
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None or row.status == CaseStatus.DRAFT.value else row

    async def _confirmed(self, codes: list[str]) -> set[str]:
        if not codes:
            return set()
        rows = await self._session.execute(
            select(AuditEntry.case_code).where(
                AuditEntry.action == MERGE_ACTION, AuditEntry.case_code.in_(codes)
            )
        )
        return {str(code) for code in rows.scalars()}

    async def related(self, case_id: uuid.UUID) -> Related:
        """The case's primary, its further reports, and other cases of the same person."""
        row = await self._session.get(Case, case_id)
        if row is None:
            return Related(None, (), ())
        if row.duplicate_of is not None:
            primary = await self._session.get(Case, row.duplicate_of)
            if primary is None:
                return Related(None, (), ())
            return Related(_ref(primary, bool(await self._confirmed([row.code]))), (), ())
        reports = list(
            (
                await self._session.execute(
                    select(Case).where(Case.duplicate_of == row.id).order_by(Case.created_at)
                )
            ).scalars()
        )
        confirmed = await self._confirmed([r.code for r in reports])
        suggestions: list[Case] = []
        if row.person_index is not None:
            suggestions = list(
                (
                    await self._session.execute(
                        select(Case)
                        .where(
                            Case.person_index == row.person_index,
                            Case.id != row.id,
                            Case.duplicate_of.is_(None),
                            Case.status != CaseStatus.DRAFT.value,
                        )
                        .order_by(Case.created_at)
                        .limit(MAX_SUGGESTIONS)
                    )
                ).scalars()
            )
        return Related(
            None,
            tuple(_ref(r, r.code in confirmed) for r in reports),
            tuple(_ref(s) for s in suggestions),
        )

    async def codes(self, case_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The codes of some cases."""
        if not case_ids:
            return {}
        rows = await self._session.execute(select(Case.id, Case.code).where(Case.id.in_(case_ids)))
        return {case_id: str(code) for case_id, code in rows.all()}

    # -- merging ---------------------------------------------------------------------------

    async def _pair(
        self, code_a: str, code_b: str, *, lock: bool = False
    ) -> tuple[Case, Case, bool] | None:
        if code_a == code_b:
            return None
        # Locked in one order whoever presses, so two opposite merges cannot deadlock.
        rows = {code: await self._row(code, lock=lock) for code in sorted((code_a, code_b))}
        a, b = rows[code_a], rows[code_b]
        if a is None or b is None:
            return None
        for primary, secondary in ((a, b), (b, a)):
            if secondary.duplicate_of == primary.id:
                if await self._confirmed([secondary.code]):
                    return None
                return primary, secondary, True
        if a.duplicate_of is not None or b.duplicate_of is not None:
            return None  # a further report of a third case: merge with that case instead
        if a.person_index is None or a.person_index != b.person_index:
            return None
        primary, secondary = _order(a, b)
        return primary, secondary, False

    async def plan_merge(self, code_a: str, code_b: str) -> MergePlan | None:
        """Which of two cases would be merged into which; None unless they are suggested as the
        same person (linked by the intake, or the same blind index) and not merged already."""
        pair = await self._pair(code_a, code_b)
        if pair is None:
            return None
        primary, secondary, linked = pair
        return MergePlan(_ref(primary), _ref(secondary), linked)

    async def merge(self, code_a: str, code_b: str, actor: str, now: datetime) -> Merged | None:
        """Merge two cases suggested as the same person (see the module's notes); None if the
        pair cannot be merged (any more)."""
        pair = await self._pair(code_a, code_b, lock=True)
        if pair is None:
            return None
        primary, secondary, linked = pair
        plan = MergePlan(_ref(primary), _ref(secondary), linked)
        if not plan.linked:
            await self._session.execute(
                update(Case)
                .where(Case.duplicate_of == secondary.id)
                .values(duplicate_of=primary.id, updated_at=now)
            )
            primary.report_count += secondary.report_count
            if _RANK[Urgency(secondary.urgency)] > _RANK[Urgency(primary.urgency)]:
                primary.urgency = secondary.urgency
            if (
                primary.claimed_by is None
                and secondary.claimed_by is not None
                and CaseStatus(secondary.status) in OPEN
            ):
                # The lawyer on the merged case carries on with the person's case.
                primary.claimed_by, primary.claimed_at = secondary.claimed_by, secondary.claimed_at
                primary.progress, primary.progress_at = secondary.progress, secondary.progress_at
                primary.status = secondary.status
                primary.escalation_round = secondary.escalation_round
                primary.next_escalation_at = secondary.next_escalation_at
            secondary.duplicate_of = primary.id
            primary.updated_at = now
        secondary.next_escalation_at = None
        secondary.updated_at = now
        await self._session.flush()
        await self._tx.audit.append(
            actor, MERGE_ACTION, case_code=primary.code, detail=f"from {secondary.code}", at=now
        )
        await self._tx.audit.append(
            actor, MERGE_ACTION, case_code=secondary.code, detail=f"into {primary.code}", at=now
        )
        return Merged(plan, Urgency(primary.urgency), secondary.card_message_id)

    # -- erasure ---------------------------------------------------------------------------

    async def erase(self, code: str, actor: str, now: datetime) -> Erased | None:
        """Crypto-shred a case and its further reports (their cards blanked), audited; a further
        report on its own leaves its primary, which counts one report fewer and has its card
        redrawn (see `before_shred`). None if no case."""
        row = await self._row(code, lock=True)
        if row is None:
            return None
        linked = list(
            (await self._session.execute(select(Case).where(Case.duplicate_of == row.id))).scalars()
        )
        primary = (
            None if row.duplicate_of is None else await self._session.get(Case, row.duplicate_of)
        )
        for report in linked:
            await self._tx.shred_case(report.id)
            await self._tx.audit.append(
                actor, ERASE_ACTION, case_code=report.code, detail=f"with {row.code}", at=now
            )
        # Shredding a further report makes its case count one report fewer (`before_shred`).
        code, case_id = row.code, row.id
        await self._tx.shred_case(case_id)
        await self._tx.audit.append(actor, ERASE_ACTION, case_code=code, at=now)
        return Erased(
            code,
            tuple(r.code for r in linked),
            None if primary is None else primary.id,
            None if primary is None else Urgency(primary.urgency),
        )

    # -- history ---------------------------------------------------------------------------

    async def history(self, code: str, limit: int = 12) -> list[HistoryEntry]:
        """What was done to a case, newest last (views of it left out)."""
        rows = await self._session.execute(
            select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.case_code == code, AuditEntry.action.not_in(QUIET_ACTIONS))
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        return [
            HistoryEntry(at, actor, action, detail) for at, actor, action, detail in rows.all()
        ][::-1]


# -- shredding keeps the links (see the module's notes) --------------------------------------


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


async def _queue_card(tx: SqlTransaction, row: Case) -> None:
    await tx.outbox.enqueue(
        kind="card",
        priority=priority_for(Urgency(row.urgency)),
        destination="lawyers",
        case_id=row.id,
    )


async def before_shred(tx: SqlTransaction, case_id: uuid.UUID, now: datetime) -> Case | None:
    """Keep the person's case whole before a case is shredded: a further report leaves its case
    (one report fewer), a case with further reports hands over to the oldest of them. Returns
    the promoted case, if any. Called by `SqlTransaction.shred_case`, so every way of shredding
    a case does it, in the shredding transaction."""
    session = tx.session
    row = (
        await session.execute(
            select(Case)
            .where(Case.id == case_id)
            .with_for_update()  # SQLite has no row locks and leaves this out
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None or row.status == CaseStatus.DRAFT.value:
        return None
    reports = list(
        (
            await session.execute(
                select(Case)
                .where(Case.duplicate_of == row.id)
                .with_for_update()
                .order_by(Case.created_at, Case.tier0_completed_at, Case.code)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    if row.duplicate_of is not None:
        await _leave_case(tx, row, reports, now)
        return None
    if not reports:
        return None
    heir, rest = reports[0], reports[1:]
    status = CaseStatus(row.status)
    heir.duplicate_of = None
    heir.status = row.status
    heir.urgency = max((Urgency(r.urgency) for r in (row, *reports)), key=_RANK.__getitem__).value
    heir.report_count = max(1, row.report_count - 1)
    heir.claimed_by, heir.claimed_at = row.claimed_by, row.claimed_at
    heir.progress, heir.progress_at = row.progress, row.progress_at
    heir.closed_at = row.closed_at
    heir.retain_until = _later(row.retain_until, heir.retain_until)
    # Announced afresh: a card of its own (or the next digest), not an old "merged" card.
    heir.card_message_id = None
    heir.digest_message_id = None
    if status in ALERTABLE and row.claimed_by is None:
        # Still nobody on it: the lawyers are paged again from the first round.
        heir.escalation_round, heir.next_escalation_at = 0, now
    else:
        # Held (lapse or reminder timer), in court or closed: the timer carries on as it was.
        heir.escalation_round = row.escalation_round
        heir.next_escalation_at = row.next_escalation_at
    heir.updated_at = now
    flag_modified(heir, "updated_at")
    await session.flush()
    if rest:
        await session.execute(
            update(Case)
            .where(Case.id.in_([r.id for r in rest]))
            .values(duplicate_of=heir.id, updated_at=now)
        )
    if status in OPEN:
        await _queue_card(tx, heir)
    await tx.audit.append(
        "system", PROMOTE_ACTION, case_code=heir.code, detail=f"in place of {row.code}", at=now
    )
    for report in rest:
        await tx.audit.append(
            "system", RELINK_ACTION, case_code=report.code, detail=f"to {heir.code}", at=now
        )
    return heir


async def _leave_case(tx: SqlTransaction, row: Case, reports: list[Case], now: datetime) -> None:
    """A further report is shredded: its case counts one report fewer, and its card says so."""
    primary_id = row.duplicate_of
    assert primary_id is not None
    if reports:  # not made by the intake or a merge; never left dangling all the same
        await tx.session.execute(
            update(Case)
            .where(Case.id.in_([r.id for r in reports]))
            .values(duplicate_of=primary_id, updated_at=now)
        )
    fewer = Case.report_count - 1  # in SQL: a concurrent report or merge may add
    await tx.session.execute(
        update(Case)
        .where(Case.id == primary_id)
        .values(report_count=sql_case((fewer < 1, 1), else_=fewer), updated_at=now)
    )
    primary = await tx.session.get(Case, primary_id, populate_existing=True)
    if primary is not None and primary.card_message_id is not None:
        await _queue_card(tx, primary)
