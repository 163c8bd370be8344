"""Coordinators' commands and buttons: roles, the case list, one case, status, notes, stats.

Every command and press looks the sender up in the staff table and checks the role and the
kind of chat; a reporter gets nothing here (their update falls through to the reporter's
handlers, which answer "unknown command"), and a forged press is refused the same way.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.domain.alerting import EscalationPolicy
from bot.domain.cases import CaseStatus, Priority, normalise_case_code, priority_for
from bot.domain.people import TelegramIdentity
from bot.domain.workflow import MANAGERS, STAFF, Role, TriageFilter, can_move, may_grant
from bot.i18n import Catalogs, Translator, pick_language
from bot.staff.stats_chart import render_chart
from bot.staff.views import Views
from storage.repositories.staff import StaffMember
from storage.store import SqlStore, SqlTransaction

log = logging.getLogger(__name__)
PREFIX = "S"
MAX_NOTE = 3000

STAFF_COMMANDS = {
    Role.LAWYER: (("oncall", "Who is on call now"),),
    Role.COORDINATOR: (
        ("cases", "Cases to triage"),
        ("stats", "Statistics"),
        ("oncall", "Who is on call now"),
        ("roster", "On-call roster"),
        ("staff", "Staff and roles"),
    ),
}
STAFF_COMMANDS[Role.ADMIN] = STAFF_COMMANDS[Role.COORDINATOR]


@dataclass
class StaffDirectory:
    """Telegram ids of active staff, kept in memory so reporters' updates skip the lookup."""

    user_ids: set[int]

    async def load(self, store: SqlStore) -> None:
        """Read every active staff member's id (decrypting a handful of identities)."""
        async with store.transaction() as tx:
            members = await tx.staff.with_role(*(r.value for r in Role))
        self.user_ids = {m.identity.user_id for m in members}


class StaffHandlers:
    """Coordinator and admin commands, buttons and pending actions."""

    def __init__(
        self,
        *,
        store: SqlStore,
        catalogs: Catalogs,
        views: Views,
        clock: Callable[[], datetime],
        policy: EscalationPolicy,
        directory: StaffDirectory,
        notify: Callable[[], None],
    ) -> None:
        self.store = store
        self.catalogs = catalogs
        self.views = views
        self.clock = clock
        self.policy = policy
        self.directory = directory
        self.notify = notify

    def _tr(self, update: Update) -> Translator:
        user = update.effective_user
        return self.catalogs.translator(pick_language(user.language_code if user else None))

    async def _member(
        self, tx: SqlTransaction, update: Update, roles: frozenset[Role]
    ) -> StaffMember | None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return None
        if user.id not in self.directory.user_ids:
            return None
        member = await tx.staff.by_user(user.id)
        return member if member is not None and Role(member.role) in roles else None

    # -- commands --------------------------------------------------------------------------

    async def on_cases(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cases: the open cases, most urgent first."""
        async with self.store.transaction() as tx:
            if await self._member(tx, update, MANAGERS) is None:
                return
            text, markup = await self.views.case_list(tx, self._tr(update), TriageFilter.OPEN, 0)
        await self._reply(update, text, markup)

    async def on_case(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/case CODE: one case."""
        code = normalise_case_code("".join(context.args or []))
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, MANAGERS)
            if member is None:
                return
            text, markup = await self._case_view(tx, update, member, code)
        await self._reply(update, text, markup)

    async def on_stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats [days]: figures as text and a chart."""
        args = context.args or []
        days = int(args[0]) if args and args[0].isdigit() and 0 < int(args[0]) <= 366 else 30
        now = self.clock()
        tr = self._tr(update)
        async with self.store.transaction() as tx:
            if await self._member(tx, update, MANAGERS) is None:
                return
            stats = await tx.triage.stats(now - timedelta(days=days), now)
        text = self.views.stats_text(tr, stats, days)
        message = update.effective_message
        assert message is not None
        await message.reply_photo(render_chart(stats, tr.staff("stats_chart")), caption=text[:1024])
        raise ApplicationHandlerStop

    async def on_staff(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/staff: who has which role."""
        tr = self._tr(update)
        async with self.store.transaction() as tx:
            if await self._member(tx, update, MANAGERS) is None:
                return
            members = await tx.staff.with_role(*(r.value for r in Role))
        lines = [
            tr.staff(
                "staff_line",
                name=m.display_name,
                role=m.role,
                unreachable="" if m.reachable else tr.staff("staff_unreachable"),
            )
            for m in members
        ]
        await self._reply(update, "\n".join([*lines, "", tr.staff("roles_usage")]), None)

    async def on_grant(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/grant <telegram id> <role>."""
        args = context.args or []
        tr = self._tr(update)
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, MANAGERS)
            if member is None:
                return
            if len(args) != 2 or not args[0].isdigit() or args[1] not in {r.value for r in Role}:
                await self._reply(update, tr.staff("roles_usage"), None)
                return
            role = Role(args[1])
            if not may_grant(Role(member.role), role):
                await self._reply(update, tr.staff("role_refused"), None)
                return
            target = await tx.staff.ensure(TelegramIdentity(int(args[0]), int(args[0])), role.value)
            await tx.audit.append(
                f"staff:{member.id}", "role.grant", detail=f"staff:{target.id} {role.value}"
            )
        self.directory.user_ids.add(int(args[0]))
        await apply_menu(update.get_bot(), target, role)
        await self._reply(
            update, tr.staff("role_granted", name=target.display_name, role=role.value), None
        )

    async def on_revoke(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/revoke <telegram id>."""
        args = context.args or []
        tr = self._tr(update)
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, MANAGERS)
            if member is None:
                return
            if len(args) != 1 or not args[0].isdigit():
                await self._reply(update, tr.staff("roles_usage"), None)
                return
            target = await tx.staff.by_user(int(args[0]))
            if (
                target is None
                or target.id == member.id
                or not may_grant(Role(member.role), Role(target.role))
            ):
                await self._reply(update, tr.staff("role_refused"), None)
                return
            await tx.staff.deactivate(target.id)
            await tx.audit.append(f"staff:{member.id}", "role.revoke", detail=f"staff:{target.id}")
        self.directory.user_ids.discard(int(args[0]))
        await apply_menu(update.get_bot(), target, None)
        await self._reply(update, tr.staff("role_revoked", name=target.display_name), None)

    # -- pending actions (the next message is a note, or a message for the reporter) -------

    async def on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A staff member's plain message: a note or a message for a reporter, if one is due."""
        user, message = update.effective_user, update.effective_message
        if (
            user is None
            or message is None
            or not message.text
            or user.id not in self.directory.user_ids
        ):
            return
        tr = self._tr(update)
        now = self.clock()
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, STAFF)
            if member is None:
                return
            pending = await tx.staff.pop_pending(member.id)
            if not pending:
                return
            line = await tx.triage.line(str(pending.get("case", "")))
            if line is None:
                await self._reply(update, tr.staff("no_such_case"), None)
                return
            text = message.text.strip()[:MAX_NOTE]
            if pending.get("action") == "note":
                await tx.triage.add_note(line.id, member.id, text, now)
                await tx.audit.append(f"staff:{member.id}", "case.note", case_code=line.code)
                reply = tr.staff("note_saved")
            else:
                await tx.outbox.enqueue(
                    kind="reporter_message",
                    priority=Priority.REPLY,
                    destination="reporter",
                    case_id=line.id,
                    payload={"text": text, "from": str(member.id)},
                )
                await tx.audit.append(f"staff:{member.id}", "case.contact", case_code=line.code)
                reply = tr.staff("contact_sent")
        await self._reply(update, reply, None)

    # -- buttons ---------------------------------------------------------------------------

    async def on_press(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """List paging and filters, case view, status, assignment, note, contact."""
        query = update.callback_query
        if query is None:
            raise ApplicationHandlerStop
        data = query.data or ""
        tr = self._tr(update)
        now = self.clock()
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, MANAGERS)
            if member is None:
                await query.answer(tr.staff("not_allowed"))
                raise ApplicationHandlerStop
            result = await self._apply_press(tx, member, tr, data, now)
        if result is None:
            await query.answer(tr.staff("invalid"))
            raise ApplicationHandlerStop
        text, markup, toast = result
        await query.answer(toast)
        if text and query.message is not None:
            try:
                await update.get_bot().edit_message_text(
                    text,
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    parse_mode="HTML",
                    reply_markup=markup,
                )
            except TelegramError:
                await self._reply(update, text, markup, stop=False)
        self.notify()
        raise ApplicationHandlerStop

    async def _apply_press(
        self, tx: SqlTransaction, member: StaffMember, tr: Translator, data: str, now: datetime
    ) -> tuple[str, InlineKeyboardMarkup | None, str | None] | None:
        verb, rest = data[1:2], data[2:]
        if (
            verb == "l"
            and len(rest) >= 2
            and rest[0] in {f.value for f in TriageFilter}
            and rest[1:].isdigit()
        ):
            text, markup = await self.views.case_list(tx, tr, TriageFilter(rest[0]), int(rest[1:]))
            return text, markup, None
        code = normalise_case_code(rest[:12])
        line = await tx.triage.line(code) if code else None
        if line is None:
            return None
        arg = rest[12:]
        if verb == "v":
            text, markup = await self.views.case_view(tx, tr, line)
            return text, markup, None
        if verb == "s":
            return self.views.status_menu(tr, line), self.views.status_buttons(tr, line), None
        if verb == "t" and arg.isdigit():
            target = list(CaseStatus)[int(arg)] if int(arg) < len(CaseStatus) else None
            if target is None or not can_move(line.status, target):
                return None
            await tx.triage.set_status(line.id, target, now)
            await tx.audit.append(
                f"staff:{member.id}", "case.status", case_code=line.code, detail=target.value
            )
            await self._queue_card(tx, line.id, line.urgency)
            await tx.outbox.enqueue(
                kind="reporter_notice",
                priority=Priority.REPLY,
                destination="reporter",
                case_id=line.id,
                payload={"key": "reporter_status_changed"},
            )
            fresh = await tx.triage.line(line.code)
            assert fresh is not None
            text, markup = await self.views.case_view(tx, tr, fresh)
            return (
                text,
                markup,
                tr.staff("status_changed", code=line.code, status=tr.ui(f"status_{target.value}")),
            )
        if verb == "a":
            lawyers = await tx.staff.with_role(Role.LAWYER.value)
            return (
                self.views.assign_menu(tr, line),
                self.views.assign_buttons(tr, line, lawyers),
                None,
            )
        if verb == "A" and len(arg) == 32:
            lawyer = await tx.staff.get(uuid.UUID(hex=arg))
            if lawyer is None or lawyer.role != Role.LAWYER.value:
                return None
            await tx.triage.assign(line.id, lawyer.id, now, now + self.policy.claim_lapse)
            await tx.audit.append(
                f"staff:{member.id}",
                "case.assign",
                case_code=line.code,
                detail=f"staff:{lawyer.id}",
            )
            await self._queue_card(tx, line.id, line.urgency)
            await tx.outbox.enqueue(
                kind="page",
                priority=priority_for(line.urgency),
                destination=f"staff:{lawyer.id}",
                case_id=line.id,
                payload={"reason": "assigned"},
            )
            fresh = await tx.triage.line(line.code)
            assert fresh is not None
            text, markup = await self.views.case_view(tx, tr, fresh)
            return text, markup, tr.staff("assigned", code=line.code, name=lawyer.display_name)
        if verb in ("n", "c"):
            await tx.staff.set_pending(
                member.id, {"action": "note" if verb == "n" else "contact", "case": line.code}
            )
            key = "send_note" if verb == "n" else "send_contact"
            return tr.staff(key, code=line.code), None, None
        return None

    async def _queue_card(self, tx: SqlTransaction, case_id: uuid.UUID, urgency: object) -> None:
        await tx.outbox.enqueue(
            kind="card",
            priority=priority_for(urgency),  # type: ignore[arg-type]
            destination="lawyers",
            case_id=case_id,
        )

    async def _case_view(
        self, tx: SqlTransaction, update: Update, member: StaffMember, code: str | None
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        tr = self._tr(update)
        line = await tx.triage.line(code) if code else None
        if line is None:
            return tr.staff("no_such_case"), None
        await tx.audit.append(f"staff:{member.id}", "case.view", case_code=line.code)
        return await self.views.case_view(tx, tr, line)

    async def _reply(
        self, update: Update, text: str, markup: InlineKeyboardMarkup | None, *, stop: bool = True
    ) -> None:
        chat = update.effective_chat
        if chat is not None:
            await update.get_bot().send_message(
                chat.id, text, parse_mode="HTML", reply_markup=markup
            )
        if stop:
            raise ApplicationHandlerStop


async def apply_menu(bot: Bot, member: StaffMember, role: Role | None) -> None:
    """Show a staff member their role's commands (a reporter's menu once revoked)."""
    scope = BotCommandScopeChat(member.identity.chat_id)
    try:
        if role is None:
            await bot.delete_my_commands(scope=scope)
        else:
            commands = [BotCommand(c, d) for c, d in STAFF_COMMANDS[role]]
            await bot.set_my_commands(commands, scope=scope)
    except TelegramError as exc:  # they may never have opened the chat; the menu can wait
        log.info("could not set a staff menu", extra={"error_type": type(exc).__name__})


async def apply_menus(bot: Bot, store: SqlStore) -> None:
    """Every staff member's menu, at start-up."""
    async with store.transaction() as tx:
        members = await tx.staff.with_role(*(r.value for r in Role))
    for member in members:
        await apply_menu(bot, member, Role(member.role))


def register(application: Application, handlers: StaffHandlers) -> None:  # type: ignore[type-arg]
    """Coordinator handlers run before the reporter's (group -1) and stop what they handle."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for name, callback in (
        ("cases", handlers.on_cases),
        ("case", handlers.on_case),
        ("stats", handlers.on_stats),
        ("staff", handlers.on_staff),
        ("grant", handlers.on_grant),
        ("revoke", handlers.on_revoke),
    ):
        application.add_handler(CommandHandler(name, callback, filters=private), group=-1)
    application.add_handler(CallbackQueryHandler(handlers.on_press, pattern=f"^{PREFIX}"), group=-1)
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.on_text), group=-1
    )
