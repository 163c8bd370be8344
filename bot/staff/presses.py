"""What a coordinator's button press does, in one transaction; the screen it leads to.

Button data is ``S`` + a verb + its arguments (case codes without dashes, 12 characters each):

======  ==========================  ======  ======================================
``l``   list: filter, page          ``v``   view a case
``s``   status menu                 ``t``   set a status (its index)
``a``   lawyer menu                 ``A``   assign (the lawyer's staff id, hex)
``n``   next message is a note      ``c``   next message goes to the reporter
``m``   ask to merge two cases      ``M``   merge them (primary, secondary)
``e``   ask to erase a case         ``E``   erase it
``x``   keep a case longer (and redraw the expiring list of N days; handled outside a
        transaction, see `StaffHandlers`)
======  ==========================  ======  ======================================

Coordinators and admins may press every one. A lawyer may press only ``c``, on a case they
hold: that button comes on their private pages and Details, with a trailing ``p`` (the prompt
then comes as a new message, leaving the page as it was).

Anything else, or data naming a case or a change that is not possible now, is refused.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.alerts.card import CONTACT_FROM_MESSAGE
from bot.alerts.delivery import may_contact
from bot.alerts.service import staff_destination
from bot.domain.alerting import EscalationPolicy
from bot.domain.cases import CaseStatus, Priority, Urgency, normalise_case_code, priority_for
from bot.domain.workflow import MANAGERS, OPEN, Role, TriageFilter, can_move
from bot.i18n import Translator
from bot.staff.views import Views
from storage.repositories.casework import Casework
from storage.repositories.staff import StaffMember
from storage.repositories.triage import CaseLine
from storage.store import SqlTransaction

CODE_SYMBOLS = 12
_STATUSES = list(CaseStatus)


@dataclass
class Outcome:
    """A press's result: the screen to show, a toast, and what to do once it is committed."""

    text: str | None
    markup: InlineKeyboardMarkup | None
    toast: str | None = None
    # (staff member, text) to tell privately, in a new message
    tell: list[tuple[StaffMember, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Press:
    """One press on one case: who, when, in which language, in which transaction."""

    tx: SqlTransaction
    tr: Translator
    actor: str
    line: CaseLine
    now: datetime


def _code(symbols: str) -> str | None:
    return normalise_case_code(symbols) if len(symbols) == CODE_SYMBOLS else None


class Presses:
    """Applies presses for `StaffHandlers`."""

    def __init__(self, views: Views, policy: EscalationPolicy) -> None:
        self.views = views
        self.policy = policy

    @staticmethod
    def permits(member: StaffMember, data: str) -> bool:
        """Whether a staff member may press this kind of button at all (a lawyer: only Write
        to reporter; whether on this case, `apply` decides)."""
        return Role(member.role) in MANAGERS or data[1:2] == "c"

    async def apply(
        self, tx: SqlTransaction, member: StaffMember, tr: Translator, data: str, now: datetime
    ) -> Outcome | None:
        """Apply a press; None if the data is not a press that is possible now."""
        verb, rest = data[1:2], data[2:]
        if not self.permits(member, data):
            return None
        if verb == "l":
            return await self._list(tx, tr, rest)
        code = _code(rest[:CODE_SYMBOLS])
        line = await tx.triage.line(code) if code else None
        if line is None or line.status is CaseStatus.DRAFT:
            return None
        arg = rest[CODE_SYMBOLS:]
        actor = f"staff:{member.id}"
        press = _Press(tx, tr, actor, line, now)
        if verb == "v" and not arg:
            await tx.audit.append(actor, "case.view", case_code=line.code, at=now)
            text, markup = await self.views.case_view(tx, tr, line)
            return Outcome(text, markup)
        if verb == "s" and not arg and await self._workable(tx, line):
            return Outcome(self.views.status_menu(tr, line), self.views.status_buttons(tr, line))
        if verb == "t" and arg.isdigit() and await self._workable(tx, line):
            return await self._status(press, int(arg))
        if verb == "a" and not arg and await self._workable(tx, line):
            lawyers = await tx.staff.with_role(Role.LAWYER.value)
            return Outcome(
                self.views.assign_menu(tr, line), self.views.assign_buttons(tr, line, lawyers)
            )
        if verb == "A" and len(arg) == 32 and await self._workable(tx, line):
            return await self._assign(press, arg)
        if verb == "n" and not arg:
            await tx.staff.set_pending(member.id, {"action": "note", "case": line.code})
            return Outcome(html.escape(tr.staff("send_note", code=line.code)), None)
        if verb == "c" and arg in ("", CONTACT_FROM_MESSAGE):
            return await self._ask_contact(press, member, from_message=bool(arg))
        if verb in ("m", "M"):
            return await self._merge(press, arg, confirmed=verb == "M")
        if verb == "e" and not arg:
            linked = [r.code for r in (await Casework(tx).related(line.id)).reports]
            text, markup = self.views.erase_confirmation(tr, line.code, linked)
            return Outcome(text, markup)
        if verb == "E" and not arg:
            return await self._erase(press)
        return None

    async def _list(self, tx: SqlTransaction, tr: Translator, rest: str) -> Outcome | None:
        if len(rest) < 2 or rest[0] not in {f.value for f in TriageFilter}:
            return None
        if not rest[1:].isdigit() or int(rest[1:]) > 10_000:
            return None
        text, markup = await self.views.case_list(tx, tr, TriageFilter(rest[0]), int(rest[1:]))
        return Outcome(text, markup)

    async def _workable(self, tx: SqlTransaction, line: CaseLine) -> bool:
        """Status and lawyer belong to the primary once a case was merged into it."""
        related = await Casework(tx).related(line.id)
        return related.primary is None or not related.primary.confirmed

    async def _queue_card(self, tx: SqlTransaction, case_id: uuid.UUID, urgency: Urgency) -> None:
        await tx.outbox.enqueue(
            kind="card", priority=priority_for(urgency), destination="lawyers", case_id=case_id
        )

    async def _redrawn(
        self, tx: SqlTransaction, tr: Translator, code: str, toast: str
    ) -> Outcome | None:
        fresh = await tx.triage.line(code)
        if fresh is None:
            return None
        text, markup = await self.views.case_view(tx, tr, fresh)
        return Outcome(text, markup, toast)

    async def _status(self, press: _Press, index: int) -> Outcome | None:
        tx, tr, actor, line, now = press.tx, press.tr, press.actor, press.line, press.now
        target = _STATUSES[index] if index < len(_STATUSES) else None
        if target is None or not can_move(line.status, target):
            return None
        await tx.triage.set_status(line.id, target, now)
        await tx.audit.append(
            actor, "case.status", case_code=line.code, detail=target.value, at=now
        )
        await self._queue_card(tx, line.id, line.urgency)
        await tx.outbox.enqueue(
            kind="reporter_notice",
            priority=Priority.REPLY,
            destination="reporter",
            case_id=line.id,
            payload={"key": "reporter_status_changed"},
        )
        toast = tr.staff("status_changed", code=line.code, status=tr.ui(f"status_{target.value}"))
        return await self._redrawn(tx, tr, line.code, toast)

    async def _assign(self, press: _Press, arg: str) -> Outcome | None:
        tx, tr, actor, line, now = press.tx, press.tr, press.actor, press.line, press.now
        try:
            lawyer = await tx.staff.get(uuid.UUID(hex=arg))
        except ValueError:
            return None
        if lawyer is None or lawyer.role != Role.LAWYER.value:
            return None
        if line.status not in OPEN:
            return None  # a closed case is reopened through its status first
        await tx.triage.assign(line.id, lawyer.id, now, now + self.policy.claim_lapse)
        await tx.audit.append(
            actor, "case.assign", case_code=line.code, detail=f"staff:{lawyer.id}", at=now
        )
        await self._queue_card(tx, line.id, line.urgency)
        # The lawyer is paged like any page: retried, and dropped if the case has moved on.
        await tx.outbox.enqueue(
            kind="page",
            priority=priority_for(line.urgency),
            destination=staff_destination(lawyer.id),
            case_id=line.id,
            payload={"reason": "assigned"},
        )
        if lawyer.reachable:
            toast = tr.staff("assigned", code=line.code, name=lawyer.display_name)
        else:
            toast = tr.staff("assigned_not_told", code=line.code, name=lawyer.display_name)
        return await self._redrawn(tx, tr, line.code, toast)

    async def _ask_contact(
        self, press: _Press, member: StaffMember, *, from_message: bool
    ) -> Outcome | None:
        """Write to reporter: the staff member's next message goes to the case's reporter."""
        tx, tr, line = press.tx, press.tr, press.line
        if not await may_contact(tx, member, line.id):
            return Outcome(None, None, tr.alert("contact_not_yours"))
        await tx.staff.set_pending(member.id, {"action": "contact", "case": line.code})
        prompt = tr.staff("send_contact", code=line.code)
        if from_message:  # pressed on a page or on Details: keep it, ask in a new message
            return Outcome(None, None, prompt, tell=[(member, prompt)])
        return Outcome(html.escape(prompt), None)

    async def contact(
        self,
        tx: SqlTransaction,
        member: StaffMember,
        tr: Translator,
        line: CaseLine,
        *,
        text: str,
        now: datetime,
    ) -> str:
        """Relay a staff member's message to a case's reporter (who never learns who wrote),
        and remember who wrote, so that the reporter's answer goes back to them; the reply."""
        if not await may_contact(tx, member, line.id):
            return tr.alert("contact_not_yours")  # taken off the case since they pressed
        await tx.outbox.enqueue(
            kind="reporter_message",
            priority=Priority.REPLY,
            destination="reporter",
            case_id=line.id,
            payload={"text": text, "from": str(member.id)},
        )
        await tx.alerts.record_contact(line.id, member.id, now)
        await tx.audit.append(f"staff:{member.id}", "case.contact", case_code=line.code, at=now)
        return tr.staff("contact_sent")

    async def _merge(self, press: _Press, arg: str, *, confirmed: bool) -> Outcome | None:
        tx, tr, actor, line, now = press.tx, press.tr, press.actor, press.line, press.now
        other = _code(arg)
        if other is None:
            return None
        work = Casework(tx)
        if not confirmed:
            plan = await work.plan_merge(line.code, other)
            if plan is None:
                return None
            text, markup = self.views.merge_confirmation(tr, line.code, plan)
            return Outcome(text, markup)
        merged = await work.merge(line.code, other, actor, now)
        if merged is None:
            return None
        plan = merged.plan
        await self._queue_card(tx, plan.primary.id, merged.primary_urgency)
        if merged.secondary_card is not None:
            # The old card says where the work goes on and loses its buttons (the outbox
            # retries it: a card left with Take on it would be taken by mistake).
            await tx.outbox.enqueue(
                kind="card_merged",
                priority=priority_for(merged.primary_urgency),
                destination="lawyers",
                case_id=plan.secondary.id,
            )
        toast = tr.staff("merged", primary=plan.primary.code, secondary=plan.secondary.code)
        return await self._redrawn(tx, tr, plan.primary.code, toast)

    async def _erase(self, press: _Press) -> Outcome | None:
        tx, tr, actor, line, now = press.tx, press.tr, press.actor, press.line, press.now
        erased = await Casework(tx).erase(line.code, actor, now)
        if erased is None:
            return None
        # A further report's case was redrawn by the shredding itself (one report fewer).
        text, markup = self.views.erased(tr, erased.code, erased.linked_codes)
        return Outcome(text, markup, tr.staff("erased", code=erased.code))
