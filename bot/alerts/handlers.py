"""Lawyers and coordinators in Telegram: card buttons, who is on call, the roster.

Every press and command checks the sender's role in the database; a forged, replayed or
unauthorised press changes nothing, and a refused Details request is written to the audit log.
These handlers run before the reporter's (group -1) and stop further handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.alerts.callbacks import CallbackCodec
from bot.alerts.card import CardRenderer, contact_button
from bot.alerts.roster_commands import RosterCommands
from bot.domain.alerting import ALERTABLE, TAKER_ONLY, ClaimAction, EscalationPolicy
from bot.domain.cases import Priority, priority_for
from bot.domain.people import TelegramIdentity
from bot.domain.questionnaire.schema import QuestionType
from bot.i18n import Translator
from bot.staff.handlers import StaffDirectory
from storage.repositories.alerts import CaseAlertState
from storage.repositories.staff import StaffMember
from storage.store import SqlStore, SqlTransaction

log = logging.getLogger(__name__)
STAFF_ROLES = frozenset({"lawyer", "coordinator", "admin"})
LAWYERS = "lawyers"


def anonymous_actor(store: SqlStore, user_id: int) -> str:
    """An audit reference for someone who is not staff: a keyed hash, so that the database
    alone cannot be searched for a Telegram id (a plain hash of an id is a short brute force)."""
    return "anon:" + store.vault.lookup("audit-anon", str(user_id)).hex()[:16]


class LawyerHandlers:
    """Card buttons and staff commands."""

    def __init__(
        self,
        *,
        store: SqlStore,
        codec: CallbackCodec,
        cards: CardRenderer,
        tr: Translator,
        clock: Callable[[], datetime],
        policy: EscalationPolicy,
        notify: Callable[[], None],
        directory: StaffDirectory,
        lawyers_chat_id: int | None = None,
    ) -> None:
        self.store = store
        self.codec = codec
        self.cards = cards
        self.tr = tr
        self.clock = clock
        self.policy = policy
        self.notify = notify
        # Everyone with a role now, /grant and /revoke included (shared with the staff handlers).
        self.directory = directory
        # The only group where cards are pressed and /oncall is answered (None: none at all).
        self.lawyers_chat_id = lawyers_chat_id
        self.roster = RosterCommands(store=store, tr=tr, clock=clock)

    # -- card buttons ----------------------------------------------------------------------

    async def on_card_press(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Take, Decline, Details, In contact, On site, Resolve."""
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None:
            raise ApplicationHandlerStop
        if not _ours(query):
            return  # a reporter's button in their private chat: the reporter's handlers
        decoded = self.codec.decode(query.data or "")
        if decoded is None:
            await query.answer(self.tr.alert("stale"))
            raise ApplicationHandlerStop
        action, code = decoded
        now = self.clock()
        identity = TelegramIdentity(user.id, user.id, user.username, user.first_name,
                                    user.last_name, user.language_code)  # fmt: skip
        in_place = self._card_chat(query, user.id)
        reply, details, markup = await self._apply(identity, action, code, now, in_place=in_place)
        self.notify()
        if details is not None:
            try:
                await update.get_bot().send_message(
                    user.id, details, parse_mode="HTML", reply_markup=markup
                )
            except Forbidden:
                reply = self.tr.alert("start_bot_first")
        await query.answer(reply, show_alert=action is ClaimAction.DETAILS)
        raise ApplicationHandlerStop

    def _card_chat(self, query: CallbackQuery, user_id: int) -> bool:
        """Whether a press is on a message where card buttons count: the card in the lawyers'
        group, or a page (or Details) in the presser's own private chat. Not a card left in a
        group that used to be the lawyers' chat, a forwarded card, or a message in someone
        else's chat."""
        message = query.message
        if message is None:
            return False
        chat = message.chat
        if self.lawyers_chat_id is not None and chat.id == self.lawyers_chat_id:
            return True
        return chat.type == ChatType.PRIVATE and chat.id == user_id

    async def _apply(
        self,
        identity: TelegramIdentity,
        action: ClaimAction,
        code: str,
        now: datetime,
        *,
        in_place: bool,
    ) -> tuple[str, str | None, InlineKeyboardMarkup | None]:
        """Apply a press in one transaction; returns the toast and, for Details, the text and
        its button (Write to reporter, for the one who holds the case).

        Someone without a role is refused (and the refusal audited) wherever they press; staff
        pressing outside the card's places (`in_place` false) are told the button is stale."""
        async with self.store.transaction() as tx:
            member = await tx.staff.by_user(identity.user_id)
            case = await tx.alerts.case_by_code(code)
            if member is None or member.role not in STAFF_ROLES:
                action_name = "details.denied" if action is ClaimAction.DETAILS else "card.denied"
                await tx.audit.append(
                    anonymous_actor(self.store, identity.user_id),
                    action_name,
                    case_code=code,
                    at=now,
                )
                return self.tr.alert("not_allowed"), None, None
            if not in_place:
                return self.tr.alert("stale"), None, None
            # The card names the taker: keep the names Telegram shows for them current.
            member = await tx.staff.refresh_names(identity) or member
            actor = f"staff:{member.id}"
            if case is None or case.status not in _OPEN:
                return self.tr.alert("stale"), None, None
            if action is ClaimAction.DETAILS:
                await tx.audit.append(actor, "case.details", case_code=code, at=now)
                answers = await tx.cases.answers(case.id)
                files = sum(
                    len(answers[q.id])
                    for q in self.cards.q.questions
                    if q.type is QuestionType.FILE and isinstance(answers.get(q.id), list)
                )
                markup = None
                if case.claimed_by == member.id:
                    button = contact_button(case.code, self.tr.staff("btn_contact"))
                    markup = InlineKeyboardMarkup([[button]])
                details = self.cards.details(case, answers, files)
                return self.tr.alert("details_sent"), details, markup
            if action is ClaimAction.TAKE:
                return await self._take(tx, member, case, now, actor), None, None
            if action is ClaimAction.DECLINE:
                return await self._decline(tx, member, case, now, actor), None, None
            if action in TAKER_ONLY and case.claimed_by != member.id:
                return self.tr.alert("not_taker"), None, None
            if action is ClaimAction.RESOLVE:
                if not await tx.alerts.resolve(case.id, member.id, now):
                    return self.tr.alert("not_taker"), None, None  # the claim lapsed meanwhile
                await tx.audit.append(actor, "case.resolved", case_code=code, at=now)
                await self._queue_card(tx, case)
                return self.tr.alert("resolved"), None, None
            progress = "in_contact" if action is ClaimAction.IN_CONTACT else "on_site"
            every = self.policy.reminder_every(case.urgency)
            recorded = await tx.alerts.record_progress(
                case.id, member.id, progress, now, now + every if every else None
            )
            if not recorded:
                return self.tr.alert("not_taker"), None, None  # the claim lapsed meanwhile
            await tx.audit.append(actor, f"case.{progress}", case_code=code, at=now)
            await self._queue_card(tx, case)
            return self.tr.alert("progress_saved"), None, None

    async def _decline(
        self,
        tx: SqlTransaction,
        member: StaffMember,
        case: CaseAlertState,
        now: datetime,
        actor: str,
    ) -> str:
        """Pass an unclaimed case on: its next round runs at once, once per lawyer and case
        (a double tap, or every lawyer declining twice, must not use up the schedule)."""
        if case.claimed_by is not None:
            return await self._held_by(tx, case, member)
        if not await tx.alerts.has_acted(actor, "case.declined", case.code):
            await tx.alerts.set_escalation(case.id, case.escalation_round, now, now)
            await tx.audit.append(actor, "case.declined", case_code=case.code, at=now)
        return self.tr.alert("declined")

    async def _held_by(self, tx: SqlTransaction, case: CaseAlertState, member: StaffMember) -> str:
        """The answer to a press on a case someone holds: theirs, or who has it."""
        fresh = await tx.alerts.case(case.id)
        holder_id = fresh.claimed_by if fresh else None
        if holder_id == member.id:
            return self.tr.alert("taken")
        holder = await tx.staff.get(holder_id) if holder_id else None
        return self.tr.alert("taken_by_other", name=holder.display_name if holder else "—")

    async def _take(
        self,
        tx: SqlTransaction,
        member: StaffMember,
        case: CaseAlertState,
        now: datetime,
        actor: str,
    ) -> str:
        if case.claimed_by == member.id:
            return self.tr.alert("taken")  # a replayed press: nothing changes
        won = await tx.alerts.take(case.id, member.id, now, now + self.policy.claim_lapse)
        if not won:
            return await self._held_by(tx, case, member)
        await tx.audit.append(actor, "case.taken", case_code=case.code, at=now)
        await self._queue_card(tx, case)
        await tx.outbox.enqueue(
            kind="reporter_notice",
            priority=Priority.REPLY,
            destination="reporter",
            case_id=case.id,
            payload={"key": "reporter_assigned", "name": member.display_name},
        )
        return self.tr.alert("taken")

    async def _queue_card(self, tx: SqlTransaction, case: CaseAlertState) -> None:
        await tx.outbox.enqueue(
            kind="card", priority=priority_for(case.urgency), destination=LAWYERS, case_id=case.id
        )

    # -- staff in private chats ----------------------------------------------------------------

    async def on_staff_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A staff member wrote privately: they can now be paged there (does not stop handling)."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        if user.id not in self.directory.user_ids:
            return
        identity = TelegramIdentity(user.id, chat.id, user.username, user.first_name,
                                    user.last_name, user.language_code)  # fmt: skip
        async with self.store.transaction() as tx:
            await tx.staff.mark_reachable(identity)

    async def on_oncall(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/oncall: who is on call now (staff only), privately or in the lawyers' group.

        Anywhere else the names of the lawyers on call would reach people who are not staff: the
        update goes on (without stopping) to the handlers after this one."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        private = chat.type == ChatType.PRIVATE and chat.id == user.id
        if not private and (self.lawyers_chat_id is None or chat.id != self.lawyers_chat_id):
            return
        text = await self.roster.who_is_on_call(self._user_id(update))
        if text is not None and update.effective_message is not None:
            await update.effective_message.reply_text(text)
            raise ApplicationHandlerStop

    async def on_roster(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/roster ...: manage the on-call roster (coordinators and admins, private chat)."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE or update.effective_message is None:
            return
        text = await self.roster.handle(self._user_id(update), list(context.args or []))
        if text is not None:
            await update.effective_message.reply_text(text)
            raise ApplicationHandlerStop

    @staticmethod
    def _user_id(update: Update) -> int:
        return update.effective_user.id if update.effective_user else 0


def _ours(query: CallbackQuery) -> bool:
    """Card data, or any press in a group: reporters' buttons live only in private chats."""
    if (query.data or "").startswith(CallbackCodec.prefix()):
        return True
    message = query.message
    return message is not None and message.chat.type != ChatType.PRIVATE


_OPEN = ALERTABLE


def register(application: Application, handlers: LawyerHandlers) -> None:  # type: ignore[type-arg]
    """Staff handlers run first (groups -2 and -1) and stop the update when they handled it.

    Every press on a card or in a group is ours, whatever its data: a reporter's questionnaire data
    pressed on a card must never reach the reporter's handlers.
    """
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE, handlers.on_staff_message), group=-2
    )
    application.add_handler(CallbackQueryHandler(handlers.on_card_press), group=-1)
    application.add_handler(CommandHandler("oncall", handlers.on_oncall), group=-1)
    application.add_handler(CommandHandler("roster", handlers.on_roster), group=-1)
