"""The alert loop: escalation rounds, surge mode, then delivery of the outbox.

Everything it decides is written to the database first (outbox rows, escalation timers), so a
restart resumes exactly where it stopped. The loop wakes when a transaction queued something
(`notify`) and at least once a second; tests drive `tick()` with an injected clock instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.alerts.delivery import Delivery
from bot.domain.alerting import ALERTABLE, Audience, EscalationPolicy
from bot.domain.cases import CaseStatus, Priority, Urgency, priority_for
from bot.domain.roster import Position, on_call
from bot.logging_setup import describe_exception
from storage.repositories.alerts import CaseAlertState
from storage.repositories.staff import StaffMember
from storage.store import SqlStore, SqlTransaction

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
OPEN = ALERTABLE
LAWYERS = "lawyers"
COORDINATORS = "coordinators"
# A digest sends a few messages per pass (the group takes 20 a minute); cases it had no room
# for go out this long after it rather than at the next regular digest.
DIGEST_CATCH_UP = timedelta(seconds=60)


def staff_destination(staff_id: uuid.UUID) -> str:
    """The outbox destination of a staff member's private chat."""
    return f"staff:{staff_id}"


class AlertService:
    """Escalates, switches surge mode and delivers; one per bot process."""

    def __init__(
        self,
        store: SqlStore,
        delivery: Delivery,
        clock: Callable[[], datetime],
        policy: EscalationPolicy | None = None,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.policy = policy or EscalationPolicy()
        self._wake = asyncio.Event()
        # One pass at a time in this process: a pass started by a handler's notify() and one
        # driven by a test (or a slow pass and the next poll) must not both post the same card.
        self._pass = asyncio.Lock()

    def notify(self) -> None:
        """Something was queued: run a tick now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; errors are logged (without content) and retried."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.tick()
            except Exception as exc:  # the loop must outlive any one failure
                log.error("alert tick failed", extra=describe_exception(exc))
            with contextlib.suppress(TimeoutError):
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait(
                        {waiter, stopper}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    waiter.cancel()
                    stopper.cancel()

    async def tick(self) -> int:
        """One pass: escalations due, surge switch and digest, then every due message.

        Returns how much it did (cases escalated, surge changes, messages handled): 0 means
        there was nothing to do at this moment.
        """
        async with self._pass:
            now = self.clock()
            work = await self.escalate(now)
            work += await self.update_surge(now)
            work += await self.delivery.deliver_due(now)
            return work

    # -- escalation ------------------------------------------------------------------------

    async def escalate(self, now: datetime) -> int:
        """Run every escalation round whose time has come; returns how many cases moved."""
        async with self.store.transaction() as tx:
            due = await tx.alerts.due_escalations(now)
            # In a surge only URGENT cases page privately; the rest are in the group's digest.
            surge = bool(due) and (await tx.alerts.surge_state()).surge
            for case in due:
                await self._escalate_case(tx, case, now, surge)
        if due:
            self.notify()
        return len(due)

    async def _escalate_case(
        self, tx: SqlTransaction, case: CaseAlertState, now: datetime, surge: bool = False
    ) -> None:
        if case.status not in OPEN or case.duplicate_of is not None:
            await tx.alerts.set_escalation(case.id, case.escalation_round, None, now)
            return
        policy = self.policy
        if case.claimed_by is not None:
            if case.progress is None and case.claimed_at is not None:
                # Taken but no sign of progress: the claim lapses and escalation resumes.
                # Its last round runs again at once, the pages saying why.
                resume = max(1, case.escalation_round - 1)
                await tx.alerts.release(case.id, now, resume)
                await self._queue_card(tx, case)
                await tx.audit.append("system", "claim.lapsed", case_code=case.code, at=now)
                released = dataclasses.replace(
                    case,
                    claimed_by=None,
                    claimed_at=None,
                    progress=None,
                    status=CaseStatus.NEW,
                    escalation_round=resume,
                )
                await self._run_round(tx, released, now, "lapsed", surge)
                return
            every = policy.reminder_every(case.urgency)
            await self._page(tx, case, [case.claimed_by], "reminder")
            await tx.alerts.set_escalation(
                case.id, case.escalation_round, now + every if every else None, now
            )
            return
        reason = "new" if case.escalation_round == 0 else "again"
        await self._run_round(tx, case, now, reason, surge)

    async def _run_round(
        self,
        tx: SqlTransaction,
        case: CaseAlertState,
        now: datetime,
        reason: str,
        surge: bool = False,
    ) -> None:
        """Page the audience of the case's current round and arm the next one."""
        policy = self.policy
        index = case.escalation_round
        current = policy.round_due(case.urgency, index)
        if current is None:
            await tx.alerts.set_escalation(case.id, index, None, now)
            return
        if not surge or case.urgency is Urgency.URGENT:
            recipients = await self._audience(tx, current.audience, now)
            await self._page(tx, case, [s.id for s in recipients], reason)
        following = policy.round_due(case.urgency, index + 1)
        at = None if following is None else now + (following.after - current.after)
        await tx.alerts.set_escalation(case.id, index + 1, at, now)

    async def _audience(
        self, tx: SqlTransaction, audience: frozenset[Audience], now: datetime
    ) -> list[StaffMember]:
        if not audience:
            return []
        local = now.astimezone(self.clock().tzinfo)
        holders = on_call(await tx.staff.shifts(), await tx.staff.substitutes(now), local)
        wanted: list[uuid.UUID] = []
        if Audience.PRIMARY in audience or Audience.ALL_ON_CALL in audience:
            wanted += holders[Position.PRIMARY]
        if Audience.SECONDARY in audience or Audience.ALL_ON_CALL in audience:
            wanted += holders[Position.SECONDARY]
        members = [m for m in [await tx.staff.get(i) for i in dict.fromkeys(wanted)] if m]
        lawyer_audience = audience - {Audience.COORDINATORS}
        if lawyer_audience and not members:
            # Nobody on the roster right now: page every lawyer rather than nobody.
            members = await tx.staff.with_role("lawyer")
        if Audience.COORDINATORS in audience:
            known = {m.id for m in members}
            members += [
                m for m in await tx.staff.with_role("coordinator", "admin") if m.id not in known
            ]
        return members

    async def _page(
        self, tx: SqlTransaction, case: CaseAlertState, staff_ids: list[uuid.UUID], reason: str
    ) -> None:
        for staff_id in staff_ids:
            await tx.outbox.enqueue(
                kind="page",
                priority=priority_for(case.urgency),
                destination=staff_destination(staff_id),
                case_id=case.id,
                payload={
                    "reason": reason,
                    "minutes": round(self.policy.claim_lapse.total_seconds() / 60),
                },
            )

    async def _queue_card(self, tx: SqlTransaction, case: CaseAlertState) -> None:
        await tx.outbox.enqueue(
            kind="card", priority=priority_for(case.urgency), destination=LAWYERS, case_id=case.id
        )

    # -- surge -----------------------------------------------------------------------------

    async def update_surge(self, now: datetime) -> int:
        """Switch surge mode by the number of new cases; queue a digest when one is due.

        Returns how many messages it queued.
        """
        policy = self.policy
        async with self.store.transaction() as tx:
            state = await tx.alerts.surge_state()
            recent = await tx.alerts.new_cases_since(now - policy.surge_window)
            if not state.surge and policy.surge(recent):
                state.surge, state.surge_since, state.last_digest_at = True, now, None
                await tx.outbox.enqueue(
                    kind="surge_on", priority=Priority.HIGH, destination=LAWYERS
                )
                await tx.audit.append("system", "surge.on", detail=f"{recent} cases", at=now)
            elif state.surge and recent <= policy.surge_cases // 2:
                state.surge = False
                await tx.outbox.enqueue(
                    kind="surge_off", priority=Priority.HIGH, destination=LAWYERS
                )
                await tx.outbox.enqueue(kind="digest", priority=Priority.HIGH, destination=LAWYERS)
                await tx.audit.append("system", "surge.off", at=now)
            last = state.last_digest_at
            due = (
                last is None
                or now - last >= policy.digest_every
                # More cases than one digest could carry: the rest follow soon, not in minutes.
                or (now - last >= DIGEST_CATCH_UP and await tx.alerts.left_out_of_digest(last))
            )
            if state.surge and due and not await tx.alerts.pending_for(LAWYERS, "digest"):
                state.last_digest_at = now
                await tx.outbox.enqueue(kind="digest", priority=Priority.HIGH, destination=LAWYERS)
            self.delivery.surge = state.surge
            return tx.outbox.enqueued
