"""Coordinators' commands and buttons: roles, cases, status, notes, merging, erasure, retention.

Every command and press looks the sender up in the staff table and checks the role and the
kind of chat; a reporter gets nothing here (their update falls through to the reporter's
handlers, which answer "unknown command"), and a forged press is refused the same way.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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

from bot.config import Settings
from bot.domain.alerting import EscalationPolicy
from bot.domain.cases import normalise_case_code
from bot.domain.people import TelegramIdentity
from bot.domain.workflow import MANAGERS, STAFF, Role, TriageFilter, may_grant
from bot.i18n import DEFAULT_LANGUAGE, Catalogs, Translator, pick_language
from bot.ops.cli import retention_policy
from bot.staff.presses import Outcome, Presses
from bot.staff.stats_chart import render_chart
from bot.staff.views import EXTEND_DAYS, Views
from storage.repositories.staff import StaffMember
from storage.retention import DEFAULT_POLICY, RetentionError, RetentionPolicy, expiring, extend
from storage.store import SqlStore, SqlTransaction

log = logging.getLogger(__name__)
PREFIX = "S"
PRESS_GROUP = -3  # ahead of the card buttons (-1) and the staff message hook (-2)
MAX_NOTE = 3000
MAX_NOTICE_DAYS = 366

# Each role's menu; the descriptions are the catalogs' `staff.cmd_<command>` texts.
STAFF_COMMANDS = {
    Role.LAWYER: ("oncall",),
    Role.COORDINATOR: ("cases", "stats", "expiring", "oncall", "roster", "staff"),
}
STAFF_COMMANDS[Role.ADMIN] = STAFF_COMMANDS[Role.COORDINATOR]


@dataclass(frozen=True)
class StaffConfig:
    """What coordinators' screens need from the settings."""

    retention: RetentionPolicy = DEFAULT_POLICY
    notice_days: int = 7
    lawyers_chat_id: int | None = None
    lawyers_language: str = "ru"

    @classmethod
    def from_settings(cls, settings: Settings) -> StaffConfig:
        """Retention windows, how far ahead /expiring looks, and the lawyers' chat."""
        return cls(
            retention_policy(settings),
            settings.retention_notice_days,
            settings.lawyers_chat_id,
            settings.lawyers_language,
        )


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
        config: StaffConfig | None = None,
    ) -> None:
        self.store = store
        self.catalogs = catalogs
        self.views = views
        self.clock = clock
        self.policy = policy
        self.directory = directory
        self.notify = notify
        self.config = config or StaffConfig()
        self.presses = Presses(views, policy)

    def _tr(self, update: Update) -> Translator:
        user = update.effective_user
        return self.catalogs.translator(pick_language(user.language_code if user else None))

    async def _member(
        self, tx: SqlTransaction, update: Update, roles: frozenset[Role]
    ) -> StaffMember | None:
        """The sender, if they have one of `roles` and act in their own private chat (an update
        claiming someone else's private chat is nobody's, as on the reporter's side)."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE or chat.id != user.id:
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
            # Days are the deployment's days (the clock's zone), as coordinators live them.
            stats = await tx.triage.stats(now - timedelta(days=days), now, zone=now.tzinfo or UTC)
        text = self.views.stats_text(tr, stats, days)
        message = update.effective_message
        assert message is not None
        await message.reply_photo(render_chart(stats, tr.staff("stats_chart")), caption=text[:1024])
        raise ApplicationHandlerStop

    async def on_expiring(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/expiring [days]: cases the retention job will erase soon, each with a Keep button."""
        args = context.args or []
        days = self.config.notice_days
        if args and args[0].isdigit() and 0 < int(args[0]) <= MAX_NOTICE_DAYS:
            days = int(args[0])
        async with self.store.transaction() as tx:
            if await self._member(tx, update, MANAGERS) is None:
                return
        text, markup = await self._expiring_screen(self._tr(update), days, self.clock())
        await self._reply(update, text, markup)

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
        await self._say(update, "\n".join([*lines, "", tr.staff("roles_usage")]))

    async def on_grant(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/grant <telegram id> <role>."""
        args = context.args or []
        tr = self._tr(update)
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, MANAGERS)
            if member is None:
                return
            if len(args) != 2 or not args[0].isdigit() or args[1] not in {r.value for r in Role}:
                await self._say(update, tr.staff("roles_usage"))
                return
            role = Role(args[1])
            user_id = int(args[0])
            # The target's present role counts as much as the new one (as for /revoke): a
            # coordinator makes lawyers, but cannot turn an admin or a coordinator into one.
            current = await tx.staff.by_user(user_id)
            if (
                not may_grant(Role(member.role), role)
                or (current is not None and not may_grant(Role(member.role), Role(current.role)))
                or (current is not None and current.id == member.id)
            ):
                await self._say(update, tr.staff("role_refused"))
                return
            target = await tx.staff.ensure(TelegramIdentity(user_id, user_id), role.value)
            await tx.audit.append(
                f"staff:{member.id}",
                "role.grant",
                detail=f"staff:{target.id} {role.value}",
                at=self.clock(),
            )
        self.directory.user_ids.add(user_id)
        await apply_menu(
            update.get_bot(), target, role, self.catalogs, self.config.lawyers_language
        )
        await self._say(update, tr.staff("role_granted", name=target.display_name, role=role.value))

    async def on_revoke(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/revoke <telegram id>."""
        args = context.args or []
        tr = self._tr(update)
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, MANAGERS)
            if member is None:
                return
            if len(args) != 1 or not args[0].isdigit():
                await self._say(update, tr.staff("roles_usage"))
                return
            target = await tx.staff.by_user(int(args[0]))
            if (
                target is None
                or target.id == member.id
                or not may_grant(Role(member.role), Role(target.role))
            ):
                await self._say(update, tr.staff("role_refused"))
                return
            await tx.staff.deactivate(target.id)
            await tx.audit.append(
                f"staff:{member.id}", "role.revoke", detail=f"staff:{target.id}", at=self.clock()
            )
        self.directory.user_ids.discard(int(args[0]))
        await apply_menu(update.get_bot(), target, None)
        await self._say(update, tr.staff("role_revoked", name=target.display_name))

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
                await self._say(update, tr.staff("no_such_case"))
                return
            text = message.text.strip()[:MAX_NOTE]
            if pending.get("action") == "note":
                await tx.triage.add_note(line.id, member.id, text, now)
                await tx.audit.append(
                    f"staff:{member.id}", "case.note", case_code=line.code, at=now
                )
                reply = tr.staff("note_saved")
            else:
                reply = await self.presses.contact(tx, member, tr, line, text=text, now=now)
        await self._say(update, reply)

    # -- buttons ---------------------------------------------------------------------------

    async def on_press(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every coordinator button (see `bot.staff.presses` for what each does)."""
        query = update.callback_query
        if query is None:
            raise ApplicationHandlerStop
        data = query.data or ""
        if not data.startswith(PREFIX):
            # python-telegram-bot hands a press with empty data to every pattern: not ours.
            return
        tr = self._tr(update)
        now = self.clock()
        async with self.store.transaction() as tx:
            member = await self._member(tx, update, STAFF)
            if member is not None and not self.presses.permits(member, data):
                member = None  # lawyers press only Write to reporter
            outcome = (
                None
                if member is None or data[1:2] == "x"
                else await self.presses.apply(tx, member, tr, data, now)
            )
        if member is None:
            await query.answer(tr.staff("not_allowed"))
            raise ApplicationHandlerStop
        if data[1:2] == "x":  # retention runs transactions of its own, after ours
            outcome = await self._extend(member, tr, data[2:], now)
        if outcome is None:
            await query.answer(tr.staff("invalid"))
            raise ApplicationHandlerStop
        await query.answer(outcome.toast)
        if outcome.text and query.message is not None:
            try:
                await update.get_bot().edit_message_text(
                    outcome.text,
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    parse_mode="HTML",
                    reply_markup=outcome.markup,
                )
            except TelegramError:
                await self._reply(update, outcome.text, outcome.markup, stop=False)
        await self._after(update.get_bot(), outcome)
        self.notify()
        raise ApplicationHandlerStop

    async def _after(self, bot: Bot, outcome: Outcome) -> None:
        """What a committed press still has to say privately (best effort)."""
        for member, text in outcome.tell:
            try:
                await bot.send_message(member.identity.chat_id, text)
            except TelegramError as exc:
                log.info("could not tell a staff member", extra={"error_type": type(exc).__name__})

    async def _extend(
        self, member: StaffMember, tr: Translator, rest: str, now: datetime
    ) -> Outcome | None:
        """Keep a case longer, then redraw the expiring list it was pressed on."""
        code = normalise_case_code(rest[:12]) if len(rest) > 12 else None
        days = rest[12:]
        if code is None or not days.isdigit() or not 0 < int(days) <= MAX_NOTICE_DAYS:
            return None
        try:
            extension = await extend(
                self.store,
                self.config.retention,
                code,
                EXTEND_DAYS,
                now,
                anchor=self.store.audit_anchor,
                actor=f"staff:{member.id}",
            )
        except RetentionError:
            return None
        text, markup = await self._expiring_screen(tr, int(days), now)
        date = extension.retain_until.astimezone(now.tzinfo).strftime("%d.%m.%Y")
        return Outcome(text, markup, tr.staff("extended", code=code, date=date))

    async def _expiring_screen(
        self, tr: Translator, days: int, now: datetime
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        found = await expiring(self.store, self.config.retention, now, timedelta(days=days))
        return self.views.expiring(tr, found, days)

    async def _case_view(
        self, tx: SqlTransaction, update: Update, member: StaffMember, code: str | None
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        tr = self._tr(update)
        line = await tx.triage.line(code) if code else None
        if line is None:
            return html.escape(tr.staff("no_such_case")), None
        await tx.audit.append(
            f"staff:{member.id}", "case.view", case_code=line.code, at=self.clock()
        )
        return await self.views.case_view(tx, tr, line)

    async def _say(self, update: Update, text: str) -> None:
        """Reply with plain text (escaped: the replies go out as HTML, and "<telegram id>" or a
        name with "<" in it is no tag), and stop."""
        await self._reply(update, html.escape(text), None)

    async def _reply(
        self, update: Update, text: str, markup: InlineKeyboardMarkup | None, *, stop: bool = True
    ) -> None:
        """Reply with HTML (`text` must be escaped already)."""
        chat = update.effective_chat
        if chat is not None:
            await update.get_bot().send_message(
                chat.id, text, parse_mode="HTML", reply_markup=markup
            )
        if stop:
            raise ApplicationHandlerStop


async def apply_menu(
    bot: Bot,
    member: StaffMember,
    role: Role | None,
    catalogs: Catalogs | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> None:
    """Show a staff member their role's commands (a reporter's menu once revoked), in their
    Telegram language if known, else in `language`."""
    scope = BotCommandScopeChat(member.identity.chat_id)
    known = member.identity.language_code
    tr = (catalogs or Catalogs()).translator(pick_language(known) if known else language)
    try:
        if role is None:
            await bot.delete_my_commands(scope=scope)
        else:
            commands = [BotCommand(c, tr.staff(f"cmd_{c}")) for c in STAFF_COMMANDS[role]]
            await bot.set_my_commands(commands, scope=scope)
    except TelegramError as exc:  # they may never have opened the chat; the menu can wait
        log.info("could not set a staff menu", extra={"error_type": type(exc).__name__})


async def apply_menus(bot: Bot, store: SqlStore, language: str = DEFAULT_LANGUAGE) -> None:
    """Every staff member's menu, at start-up (`language` for those whose language is unknown:
    the lawyers' chat's)."""
    async with store.transaction() as tx:
        members = await tx.staff.with_role(*(r.value for r in Role))
    catalogs = Catalogs()
    for member in members:
        await apply_menu(bot, member, Role(member.role), catalogs, language)


def register(application: Application, handlers: StaffHandlers) -> None:  # type: ignore[type-arg]
    """Coordinator handlers run before the reporter's and stop what they handle.

    Their buttons have a group of their own, ahead of the card buttons' handler (group -1),
    which looks at every press: in one group only the first matching handler ever runs.
    """
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for name, callback in (
        ("cases", handlers.on_cases),
        ("case", handlers.on_case),
        ("stats", handlers.on_stats),
        ("expiring", handlers.on_expiring),
        ("staff", handlers.on_staff),
        ("grant", handlers.on_grant),
        ("revoke", handlers.on_revoke),
    ):
        application.add_handler(CommandHandler(name, callback, filters=private), group=-1)
    application.add_handler(
        CallbackQueryHandler(handlers.on_press, pattern=f"^{PREFIX}"), group=PRESS_GROUP
    )
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.on_text), group=-1
    )
