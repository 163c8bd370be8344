"""Deliver due outbox messages: cards, pages, digests, notices; retry, back off, give up loudly.

Rows are leased in one short transaction, sent with no transaction open, and their outcome
recorded in another. Destinations are served concurrently, each in priority order, so a slow
group (20 messages a minute) never holds back a private page to the on-call lawyer.
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.alerts.callbacks import CallbackCodec
from bot.alerts.card import CardRenderer, contact_button
from bot.domain.alerting import ALERTABLE, CardLevel, ClaimAction, EscalationPolicy
from bot.domain.cases import Priority
from bot.domain.people import TelegramIdentity
from bot.domain.questionnaire.flow import Questionnaire
from bot.i18n import Catalogs, Translator, pick_language
from storage.models import OutboxMessage
from storage.repositories.alerts import ERASED_PREFIX, CaseAlertState
from storage.repositories.outbox import CONTACT_REPLY
from storage.repositories.staff import StaffMember
from storage.store import SqlStore, SqlTransaction

log = logging.getLogger(__name__)
LAWYERS = "lawyers"
COORDINATORS = "coordinators"
CARD_KINDS = frozenset({"alert", "card", "urgency_raised", "submitted", "follow_up"})
MAX_BACKOFF = timedelta(seconds=30)
MAX_DIGEST_PARTS = 8  # messages per digest pass; the group takes 20 a minute
MAX_DIGEST = 30  # every case in a digest gets a Take button: 15 rows of two
# A private page about several cases gives each unclaimed case a Take button, two a row, like a
# digest; more cases than one message holds (this many, or MAX_TEXT) come in several messages.
MAX_PAGE_TAKES = 30
MAX_TEXT = 4096  # Telegram's limit for a message, in UTF-16 code units
# Why a page was sent, when the case is held by the one paged (else it is still unclaimed).
HELD_REASONS = frozenset({"reminder", "assigned"})


@dataclass(frozen=True, slots=True)
class Job:
    """A leased outbox row, detached from its session."""

    id: uuid.UUID
    kind: str
    destination: str
    case_id: uuid.UUID | None
    staff_id: uuid.UUID | None
    attempts: int
    uncertain: bool
    message_id: int | None = None  # a message to edit (an erased case's card)
    dedupe_key: str | None = None

    @classmethod
    def of(cls, row: OutboxMessage) -> Job:
        """Copy what delivery needs out of an ORM row."""
        return cls(row.id, row.kind, row.destination, row.case_id, row.staff_id, row.attempts,
                   row.uncertain, row.telegram_message_id, row.dedupe_key)  # fmt: skip


@dataclass
class DeliveryStats:
    """Counters for benchmarks and operators."""

    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    failed: int = 0
    reached: dict[uuid.UUID, datetime] = field(default_factory=dict)


class Delivery:
    """Sends what the outbox holds, through the alerts bot (its own rate limiter)."""

    def __init__(
        self,
        *,
        store: SqlStore,
        bot: Bot,
        questionnaire: Questionnaire,
        catalogs: Catalogs,
        codec: CallbackCodec,
        lawyers_chat_id: int | None,
        language: str,
        card_level: CardLevel,
        name_lawyer_to_reporter: bool = False,
        policy: EscalationPolicy | None = None,
    ) -> None:
        self.store = store
        self.bot = bot
        self.catalogs = catalogs
        self.lawyers_chat_id = lawyers_chat_id
        self.tr = catalogs.translator(language)
        self.cards = CardRenderer(questionnaire, self.tr, codec, card_level)
        self.codec = codec
        self.name_lawyer_to_reporter = name_lawyer_to_reporter
        self.policy = policy or EscalationPolicy()
        self.surge = False
        # Destinations Telegram told to wait (429 retry_after), until when.
        self._blocked: dict[str, datetime] = {}
        self.stats = DeliveryStats()

    # -- the pass --------------------------------------------------------------------------

    async def deliver_due(self, now: datetime) -> int:
        """Lease every due message and deliver, destinations in parallel; returns how many."""
        async with self.store.transaction() as tx:
            jobs = [Job.of(row) for row in await tx.alerts.due_messages(now, limit=200)]
        lanes: dict[str, list[Job]] = defaultdict(list)
        for job in jobs:
            lanes[job.destination].append(job)
        await asyncio.gather(*(self._lane(dest, lane, now) for dest, lane in lanes.items()))
        return len(jobs)

    async def _lane(self, destination: str, jobs: list[Job], now: datetime) -> None:
        if destination == LAWYERS:
            await self._lawyers_lane(jobs, now)
        elif destination.startswith("staff:"):
            staff_id = uuid.UUID(destination.removeprefix("staff:"))
            pages = [job for job in jobs if job.kind == "page"]
            if pages:
                await self._pages(staff_id, pages, now)
            for job in jobs:
                if job.kind == CONTACT_REPLY:
                    await self._contact_reply(staff_id, job, now)
                elif job.kind != "page":
                    await self._record_failure([job], "unknown_kind", now, None)
        elif destination == COORDINATORS:
            for job in jobs:
                await self._coordinators(job, now)
        elif destination == "reporter":
            for job in jobs:
                await self._reporter(job, now)
        else:
            await self._record_failure(jobs, "unknown_destination", now, None)

    async def _lawyers_lane(self, jobs: list[Job], now: datetime) -> None:
        by_case: dict[uuid.UUID, list[Job]] = {}
        for job in jobs:
            if job.kind in CARD_KINDS and job.case_id is not None:
                by_case.setdefault(job.case_id, []).append(job)
        done: set[uuid.UUID] = set()
        for job in jobs:  # in priority order
            if job.kind in CARD_KINDS and job.case_id is not None:
                if job.case_id not in done:
                    done.add(job.case_id)
                    await self._card(job.case_id, by_case[job.case_id], now)
            elif job.kind == "digest":
                await self._digest(job, now)
            elif job.kind == "card_erased":
                await self._erased_card(job, now)
            elif job.kind == "card_merged":
                await self._merged_card(job, now)
            elif job.kind in ("surge_on", "surge_off"):
                minutes = round(self.policy.digest_every.total_seconds() / 60)
                text = (
                    self.tr.alert(job.kind, minutes=minutes)
                    if job.kind == "surge_on"
                    else self.tr.alert(job.kind)
                )
                await self._send_to_group([job], text, None, now)
            else:
                await self._record_failure([job], "unknown_kind", now, None)

    # -- sending with retries ----------------------------------------------------------------

    async def _attempt(
        self,
        jobs: list[Job],
        now: datetime,
        call: Any,
        case_code: str | None,
        forbidden: Callable[[], Awaitable[None]] | None = None,
    ) -> Any:
        """Run a Bot API call; on failure schedule a retry or give up. None if it failed.

        `forbidden` handles a 403 instead of the general failure path (a private chat the
        recipient never opened or blocked).
        """
        blocked = self._blocked.get(jobs[0].destination) if jobs else None
        if blocked is not None and blocked > now:
            # Telegram asked this chat to wait: do not even ask before the time is up.
            await self._retry(jobs, blocked, "retry_after")
            return None
        try:
            return await call()
        except RetryAfter as exc:
            self.stats.rate_limited += 1
            wait = (
                exc.retry_after
                if isinstance(exc.retry_after, timedelta)
                else timedelta(seconds=exc.retry_after)
            )
            self._blocked[jobs[0].destination] = now + wait
            await self._retry(jobs, now + wait, "retry_after")
        except Forbidden:
            if forbidden is not None:
                await forbidden()
            else:
                await self._record_failure(jobs, "forbidden", now, case_code)
        except BadRequest as exc:
            await self._record_failure(jobs, _bad_request_code(exc), now, case_code)
        except TelegramError as exc:  # network errors, timeouts, 5xx: transient
            attempt = max(job.attempts for job in jobs)
            delay = min(MAX_BACKOFF.total_seconds(), 2 ** min(attempt, 10)) * random.uniform(
                0.5, 1.0
            )
            await self._retry(jobs, now + timedelta(seconds=delay), type(exc).__name__)
        return None

    async def _retry(self, jobs: list[Job], at: datetime, error: str) -> None:
        self.stats.retried += len(jobs)
        async with self.store.transaction() as tx:
            for job in jobs:
                await tx.alerts.retry_later(job.id, at, error)

    async def _record_failure(
        self, jobs: list[Job], error: str, now: datetime, case_code: str | None
    ) -> None:
        self.stats.failed += len(jobs)
        log.warning("delivery failed", extra={"case_code": case_code, "error_code": error,
                                              "kind": jobs[0].kind if jobs else None})  # fmt: skip
        async with self.store.transaction() as tx:
            for job in jobs:
                await tx.alerts.mark_failed(job.id, error, now)
            if jobs and jobs[0].destination != COORDINATORS:
                # Tell the coordinators; never about their own notices (that could loop).
                await tx.outbox.enqueue(
                    kind="delivery_failed", priority=Priority.HIGH, destination=COORDINATORS,
                    case_id=jobs[0].case_id, payload={"error": error} if jobs[0].case_id else None,
                )  # fmt: skip

    async def _sent(
        self, jobs: list[Job], message_id: int | None, now: datetime, case_ids: list[uuid.UUID]
    ) -> None:
        self.stats.sent += len(jobs)
        for case_id in case_ids:
            self.stats.reached.setdefault(case_id, now)
        async with self.store.transaction() as tx:
            await tx.alerts.mark_sent([job.id for job in jobs], message_id, now)

    async def _send_to_group(
        self, jobs: list[Job], text: str, markup: InlineKeyboardMarkup | None, now: datetime
    ) -> Message | None:
        chat = self.lawyers_chat_id
        if chat is None:
            await self._record_failure(jobs, "no_lawyers_chat", now, None)
            return None
        message: Message | None = await self._attempt(
            jobs,
            now,
            lambda: self.bot.send_message(chat, text, parse_mode="HTML", reply_markup=markup),
            None,
        )
        if message is not None:
            await self._sent(jobs, message.message_id, now, [])
        return message

    # -- cards -----------------------------------------------------------------------------

    async def _card(self, case_id: uuid.UUID, jobs: list[Job], now: datetime) -> None:
        async with self.store.transaction() as tx:
            case = await tx.alerts.case(case_id)
            if case is not None and case.duplicate_of is not None:
                case = await tx.alerts.case(case.duplicate_of)
            if case is None:
                await tx.alerts.fold([j.id for j in jobs], "case_gone", now)
                return
            if case.card_message_id is None and (
                case.digest_message_id is not None or await self._surging(tx, now)
            ):
                await tx.alerts.fold([j.id for j in jobs], "in_digest", now)
                return
            answers = await tx.cases.answers(case.id)
            taker = await self._taker(tx, case)
        chat = self.lawyers_chat_id
        if chat is None:
            await self._record_failure(jobs, "no_lawyers_chat", now, case.code)
            return
        text, markup = self.cards.card(case, answers, now, taker)
        if case.card_message_id is not None:
            card_id = case.card_message_id

            async def edit() -> object:
                try:
                    await self.bot.edit_message_text(
                        text,
                        chat_id=chat,
                        message_id=card_id,
                        parse_mode="HTML",
                        reply_markup=markup,
                    )
                except BadRequest as exc:
                    lowered = str(exc).lower()
                    if "not modified" in lowered:
                        return True
                    if "not found" in lowered:
                        return _CARD_GONE
                    raise
                return True

            edited = await self._attempt(jobs, now, edit, case.code)
            if edited is None:
                return
            if edited is not _CARD_GONE:
                await self._sent(jobs, card_id, now, [case.id])
                return
            # The card was deleted from the chat: post a fresh one.
        message: Message | None = await self._attempt(
            jobs,
            now,
            lambda: self.bot.send_message(chat, text, parse_mode="HTML", reply_markup=markup),
            case.code,
        )
        if message is None:
            return
        async with self.store.transaction() as tx:
            await tx.alerts.set_card(case.id, message.message_id)
        await self._sent(jobs, message.message_id, now, [case.id])

    async def _erased_card(self, job: Job, now: datetime) -> None:
        """The case was erased (by its reporter, a coordinator or the retention job): the card
        keeps its code and says so, nothing more."""
        code = (job.dedupe_key or "").removeprefix(ERASED_PREFIX)
        await self._final_card(
            job, job.message_id, code, self.tr.alert("card_erased", code=code), now
        )

    async def _merged_card(self, job: Job, now: datetime) -> None:
        """A case merged into another: its card says where the work goes on, with no buttons."""
        async with self.store.transaction() as tx:
            case = await tx.alerts.case(job.case_id) if job.case_id else None
            primary = (
                await tx.alerts.case(case.duplicate_of)
                if case is not None and case.duplicate_of is not None
                else None
            )
        if case is None or primary is None:
            async with self.store.transaction() as tx:
                await tx.alerts.fold([job.id], "not_merged", now)
            return
        text = self.tr.staff("card_merged", code=case.code, into=primary.code)
        await self._final_card(job, case.card_message_id, case.code, text, now)

    async def _final_card(
        self, job: Job, card_id: int | None, code: str, text: str, now: datetime
    ) -> None:
        """Replace a card with a last line of plain text and no buttons."""
        chat = self.lawyers_chat_id
        if chat is None or card_id is None:
            async with self.store.transaction() as tx:
                await tx.alerts.fold([job.id], "no_card", now)
            return

        async def edit() -> object:
            try:
                await self.bot.edit_message_text(text, chat_id=chat, message_id=card_id)
            except BadRequest as exc:
                lowered = str(exc).lower()
                if "not modified" not in lowered and "not found" not in lowered:
                    raise
            return True

        if await self._attempt([job], now, edit, code) is not None:
            await self._sent([job], card_id, now, [])

    async def _surging(self, tx: SqlTransaction, now: datetime) -> bool:
        """Surge mode, or a surge the loop has not switched on yet (cases arrive between passes):
        either way a new case goes into the digest rather than a card of its own."""
        if self.surge:
            return True
        recent = await tx.alerts.new_cases_since(now - self.policy.surge_window)
        return self.policy.surge(recent)

    async def _taker(self, tx: SqlTransaction, case: CaseAlertState) -> str | None:
        if case.claimed_by is None:
            return None
        member = await tx.staff.get(case.claimed_by)
        return member.display_name if member else "—"

    async def _digest(self, job: Job, now: datetime) -> None:
        """Every case not yet announced, in as many messages as it takes (a few per pass)."""
        for part in range(MAX_DIGEST_PARTS):
            async with self.store.transaction() as tx:
                cases = await tx.alerts.undigested(MAX_DIGEST)
                heads = [self.cards.headline(c, await tx.cases.answers(c.id)) for c in cases]
            # What does not fit in one message waits for the next one (Telegram counts UTF-16).
            while len(cases) > 1 and _utf16(self._digest_plain(cases, heads)) > MAX_TEXT:
                cases, heads = cases[:-1], heads[:-1]
            if not cases:
                if part == 0:
                    async with self.store.transaction() as tx:
                        await tx.alerts.fold([job.id], "empty", now)
                return
            text, markup = self._digest_message(cases, heads)
            if part == 0:
                message = await self._send_to_group([job], text, markup, now)
            else:  # the rest rides on the same job; a failure leaves them for the next digest
                try:
                    message = await self.bot.send_message(
                        self.lawyers_chat_id or 0, text, parse_mode="HTML", reply_markup=markup
                    )
                except TelegramError:
                    return
            if message is None:
                return
            async with self.store.transaction() as tx:
                await tx.alerts.set_digest([c.id for c in cases], message.message_id)
            for case in cases:
                self.stats.reached.setdefault(case.id, now)

    def _digest_plain(self, cases: list[CaseAlertState], heads: list[str]) -> str:
        """A digest's text as Telegram counts it (without tags)."""
        return "\n".join([self.tr.alert("digest_title", n=len(cases)), *heads])

    def _digest_message(
        self, cases: list[CaseAlertState], heads: list[str]
    ) -> tuple[str, InlineKeyboardMarkup]:
        text = "\n".join(
            [f"<b>{_esc(self.tr.alert('digest_title', n=len(cases)))}</b>", *map(_esc, heads)]
        )
        takes = [
            InlineKeyboardButton(
                self.tr.alert("btn_take_code", code=c.code),
                callback_data=self.codec.encode(ClaimAction.TAKE, c.code),
            )
            for c in cases
            if c.claimed_by is None
        ]
        return text, InlineKeyboardMarkup([takes[i : i + 2] for i in range(0, len(takes), 2)])

    # -- private pages -----------------------------------------------------------------------

    async def _pages(self, staff_id: uuid.UUID, jobs: list[Job], now: datetime) -> None:
        async with self.store.transaction() as tx:
            member = await tx.staff.get(staff_id)
            by_case: dict[uuid.UUID, _PageEntry] = {}
            stale: list[uuid.UUID] = []
            for job in jobs:
                case = await tx.alerts.case(job.case_id) if job.case_id else None
                payload = await tx.outbox.payload_of(job.id) or {}
                if case is None or not _still_news(case, payload, staff_id):
                    # Gone, closed or taken since it was queued (after an outage, say).
                    stale.append(job.id)
                    continue
                # One entry per case: the latest reason wins ("again" over "new").
                by_case[case.id] = (case, await tx.cases.answers(case.id), payload)
            if stale:
                await tx.alerts.fold(stale, "no_longer_news", now)
        entries = list(by_case.values())
        jobs = [j for j in jobs if j.id not in stale]
        if not jobs:
            return
        if member is None or not member.reachable:
            # The coordinators were told once, when Telegram first refused (see below).
            async with self.store.transaction() as tx:
                await tx.alerts.fold([j.id for j in jobs], "staff_unreachable", now)
            return
        # One message, or several when the cases do not fit in one: each with the jobs of its
        # own cases, so a message that fails is retried alone and none is sent twice.
        if len(entries) == 1:
            parts = [(entries, *self._single_page(staff_id, entries[0], now))]
        else:
            parts = [(part, *self._many_page(part)) for part in self._split_page(entries)]
        chat_id = member.identity.chat_id
        unsent = list(jobs)
        refused = False

        async def unreachable() -> None:
            # They never opened a private chat with the bot, or blocked it: tell the
            # coordinators once, and stop trying until they write to the bot.
            nonlocal refused
            refused = True
            async with self.store.transaction() as tx:
                await tx.alerts.fold([j.id for j in unsent], "forbidden", now)
                if await tx.staff.mark_unreachable(staff_id):
                    await queue_unreachable_notice(tx, staff_id)

        for part, text, markup in parts:
            ids = {case.id for case, _, _ in part}
            part_jobs = [job for job in jobs if job.case_id in ids]
            message: Message | None = await self._attempt(
                part_jobs,
                now,
                lambda t=text, m=markup: self.bot.send_message(
                    chat_id, t, parse_mode="HTML", reply_markup=m
                ),
                part[0][0].code,
                unreachable,
            )
            if refused:
                return  # every job not sent yet was folded with the first refusal
            if message is not None:
                await self._sent(part_jobs, message.message_id, now, list(ids))
                unsent = [job for job in unsent if job.case_id not in ids]

    def _single_page(
        self, staff_id: uuid.UUID, entry: _PageEntry, now: datetime
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        """A page about one case: why, the card's facts, and the card's buttons (for the one
        who holds the case, also the way to write to its reporter)."""
        case, answers, payload = entry
        body = "\n".join(self.cards.lines(case, answers, now))
        text = f"<b>{_esc(self._page_title(payload))}</b>\n{_esc(body)}"
        markup = self.cards.buttons(case, case.claimed_by is not None)
        if markup is not None and case.claimed_by == staff_id:
            row = [contact_button(case.code, self.tr.staff("btn_contact"))]
            markup = InlineKeyboardMarkup([*markup.inline_keyboard, row])
        return text, markup

    def _page_sections(
        self, entries: list[_PageEntry], heads: dict[uuid.UUID, str] | None = None
    ) -> list[tuple[str, list[str]]]:
        """A page about several cases in sections, as (title, headlines): those that need a
        lawyer, those assigned to the one paged, and reminders of those they hold. `heads`:
        headlines already rendered, by case."""
        unclaimed = [e for e in entries if e[0].claimed_by is None]
        held = [e for e in entries if e[0].claimed_by is not None]
        assigned = [e for e in held if e[2].get("reason") == "assigned"]
        reminders = [e for e in held if e[2].get("reason") != "assigned"]
        sections: list[tuple[str, list[_PageEntry]]] = []
        if len(unclaimed) == 1:
            sections.append((self._page_title(unclaimed[0][2]), unclaimed))
        elif unclaimed:
            sections.append((self.tr.alert("page_many", n=len(unclaimed)), unclaimed))
        if assigned:
            sections.append((self.tr.alert("page_many_assigned", n=len(assigned)), assigned))
        if reminders:
            sections.append((self.tr.alert("page_many_reminder", n=len(reminders)), reminders))
        known = heads or {}
        return [
            (title, [known.get(c.id) or self.cards.headline(c, a) for c, a, _ in part])
            for title, part in sections
        ]

    def _many_page(self, entries: list[_PageEntry]) -> tuple[str, InlineKeyboardMarkup | None]:
        """A page about several cases (see `_page_sections`), a Take button for each that needs
        a lawyer; no keyboard without a Take button (Telegram refuses an empty one)."""
        text = "\n\n".join(
            f"<b>{_esc(title)}</b>\n" + _esc("\n".join(lines))
            for title, lines in self._page_sections(entries)
        )
        takes = [
            InlineKeyboardButton(self.tr.alert("btn_take_code", code=c.code),
                                 callback_data=self.codec.encode(ClaimAction.TAKE, c.code))
            for c, _, _ in entries
            if c.claimed_by is None
        ]  # fmt: skip
        rows = [takes[i : i + 2] for i in range(0, len(takes), 2)]
        return text, InlineKeyboardMarkup(rows) if rows else None

    def _page_fits(self, entries: list[_PageEntry], heads: dict[uuid.UUID, str]) -> bool:
        """Whether a page about these cases fits in one message: Telegram's length limit (its
        text as Telegram counts it, tags aside) and at most MAX_PAGE_TAKES Take buttons."""
        if sum(1 for c, _, _ in entries if c.claimed_by is None) > MAX_PAGE_TAKES:
            return False
        plain = "\n\n".join(
            f"{title}\n" + "\n".join(lines) for title, lines in self._page_sections(entries, heads)
        )
        return _utf16(plain) <= MAX_TEXT

    def _split_page(self, entries: list[_PageEntry]) -> list[list[_PageEntry]]:
        """Cases for as many pages as it takes, in the order a page lists them (those that need
        a lawyer first); every case in exactly one, so every one keeps its Take button."""
        order = sorted(
            entries,
            key=lambda e: (
                0 if e[0].claimed_by is None else 1 if e[2].get("reason") == "assigned" else 2
            ),
        )
        heads = {c.id: self.cards.headline(c, a) for c, a, _ in entries}
        parts: list[list[_PageEntry]] = []
        current: list[_PageEntry] = []
        for entry in order:
            if current and not self._page_fits([*current, entry], heads):
                parts.append(current)
                current = []
            current.append(entry)
        if current:
            parts.append(current)
        return parts

    def _page_title(self, payload: dict[str, Any]) -> str:
        """The first line of a private page, by why it was sent."""
        reason = str(payload.get("reason", "new"))
        if reason == "lapsed":
            return self.tr.alert("page_lapsed", minutes=payload.get("minutes", 30))
        keys = {
            "new": "page_new",
            "again": "page_again",
            "reminder": "page_reminder",
            "assigned": "page_assigned",
        }
        return self.tr.alert(keys.get(reason, "page_new"))

    async def _contact_reply(self, staff_id: uuid.UUID, job: Job, now: datetime) -> None:
        """The reporter's answer, privately to the staff member who wrote to them: the case code
        and the reporter's own words (decrypted now, from the case), nobody's identity.

        Only while the writer may still work the case: a coordinator, or the lawyer holding it
        (a lawyer taken off the case gets nothing; the answer stays in the case).
        """
        async with self.store.transaction() as tx:
            member = await tx.staff.get(staff_id)
            case = await tx.alerts.case(job.case_id) if job.case_id else None
            payload = await tx.outbox.payload_of(job.id) or {}
            answers = await tx.cases.answers(case.id) if case is not None else {}
            item = answers.get(str(payload.get("answer", "")))
            reason = None
            if case is None or not isinstance(item, dict):
                reason = "answer_gone"
            elif member is None or not await may_contact(tx, member, case.id):
                reason = "writer_off_the_case"
            elif not member.reachable:
                reason = "staff_unreachable"
            if reason is not None:
                await tx.alerts.fold([job.id], reason, now)
                return
        assert case is not None
        assert member is not None
        assert isinstance(item, dict)
        tr = self._staff_tr(member)
        if item.get("kind") == "text":
            head = tr.alert("contact_reply", code=case.code, text="")
            words = _clip_utf16(str(item.get("value", "")), MAX_TEXT - _utf16(head))
            text = tr.alert("contact_reply", code=case.code, text=words)
        else:
            text = tr.alert("contact_reply_file", code=case.code)
        chat_id = member.identity.chat_id

        async def unreachable() -> None:
            async with self.store.transaction() as tx:
                await tx.alerts.fold([job.id], "forbidden", now)
                if await tx.staff.mark_unreachable(staff_id):
                    await queue_unreachable_notice(tx, staff_id)

        message: Message | None = await self._attempt(
            [job], now, lambda: self.bot.send_message(chat_id, text), case.code, unreachable
        )
        if message is not None:
            await self._sent([job], message.message_id, now, [])

    def _staff_tr(self, member: StaffMember) -> Translator:
        """A staff member's language if Telegram told us, else the lawyers' chat's."""
        code = member.identity.language_code
        return self.catalogs.translator(pick_language(code)) if code else self.tr

    # -- coordinators and reporters ----------------------------------------------------------

    async def _coordinators(self, job: Job, now: datetime) -> None:
        async with self.store.transaction() as tx:
            coordinators = [
                m for m in await tx.staff.with_role("coordinator", "admin") if m.reachable
            ]
            if job.kind == "unreachable" and job.staff_id is not None:
                member = await tx.staff.get(job.staff_id)
                text = ""
            else:
                case = await tx.alerts.case(job.case_id) if job.case_id else None
                payload = await tx.outbox.payload_of(job.id) or {}
                text = self.tr.alert("delivery_failed", code=case.code if case else "—",
                                     error=str(payload.get("error", "?")))  # fmt: skip
        if not coordinators:
            async with self.store.transaction() as tx:
                await tx.alerts.fold([job.id], "no_coordinators", now)
            return
        if job.kind == "unreachable":
            if member is not None and not member.named:
                member = await self._learn_names(member)
            text = self.tr.alert("unreachable_lawyer", name=member.display_name if member else "?")
        sent: Message | None = None
        for member in coordinators:
            chat_id = member.identity.chat_id
            sent = (
                await self._attempt(
                    [job], now, lambda c=chat_id: self.bot.send_message(c, text), None
                )
                or sent
            )
        if sent is not None:
            await self._sent([job], sent.message_id, now, [])

    async def _learn_names(self, member: StaffMember) -> StaffMember:
        """Ask the lawyers' chat who someone is (staff from settings start with an id only)."""
        if self.lawyers_chat_id is None:
            return member
        try:
            found = await self.bot.get_chat_member(self.lawyers_chat_id, member.identity.user_id)
        except TelegramError:
            return member
        user = found.user
        identity = TelegramIdentity(user.id, user.id, user.username, user.first_name,
                                    user.last_name, user.language_code)  # fmt: skip
        async with self.store.transaction() as tx:
            return await tx.staff.refresh_names(identity) or member

    async def _reporter(self, job: Job, now: datetime) -> None:
        async with self.store.transaction() as tx:
            case = await tx.alerts.case(job.case_id) if job.case_id else None
            if case is None or case.reporter_id is None:
                await tx.alerts.fold([job.id], "reporter_gone", now)
                return
            identity = await tx.reporters.identity(case.reporter_id)
            state = await tx.conversations.load(case.reporter_id)
            payload = await tx.outbox.payload_of(job.id) or {}
        tr: Translator = self.catalogs.translator(
            (state.language if state and state.language else None)
            or pick_language(identity.language_code)
        )
        key = str(payload.get("key", "reporter_assigned"))
        name = payload.get("name") if self.name_lawyer_to_reporter else None
        if isinstance(payload.get("text"), str):
            # A coordinator's or lawyer's own words, relayed without their identity.
            text = tr.staff("contact_to_reporter", code=case.code, text=payload["text"])
        elif name and key == "reporter_assigned":
            text = tr.alert("reporter_assigned_named", code=case.code, name=name)
        else:
            text = tr.alert(key, code=case.code)
        message: Message | None = await self._attempt(
            [job], now, lambda: self.bot.send_message(identity.chat_id, text), case.code
        )
        if message is not None:
            await self._sent([job], message.message_id, now, [])


_CARD_GONE = object()
OPEN = ALERTABLE
_PageEntry = tuple[CaseAlertState, dict[str, Any], dict[str, Any]]


def _still_news(case: CaseAlertState, payload: dict[str, Any], staff_id: uuid.UUID) -> bool:
    """Whether a queued page still says something true: an open case that is still unclaimed
    (or, for a reminder or an assignment, still held by the one paged)."""
    if case.status not in OPEN:
        return False
    if payload.get("reason") in HELD_REASONS:
        return case.claimed_by == staff_id
    return case.claimed_by is None


async def may_contact(tx: SqlTransaction, member: StaffMember, case_id: uuid.UUID) -> bool:
    """Whether a staff member may write to a case's reporter and hear their answers: a
    coordinator or admin, or the lawyer who holds the case (or the case it was merged into)."""
    if member.role in ("coordinator", "admin"):
        return True
    return await tx.alerts.held_by(case_id, member.id)


async def queue_unreachable_notice(tx: SqlTransaction, staff_id: uuid.UUID) -> None:
    """Tell the coordinators that a staff member cannot be reached privately."""
    await tx.outbox.enqueue(
        kind="unreachable", priority=Priority.HIGH, destination=COORDINATORS, staff_id=staff_id
    )


def _utf16(text: str) -> int:
    """A text's length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _clip_utf16(text: str, limit: int) -> str:
    """The longest start of a text within `limit` UTF-16 code units."""
    while _utf16(text) > limit:
        text = text[: max(0, len(text) - (_utf16(text) - limit + 1) // 2)]
    return text


def _esc(text: str) -> str:
    return html.escape(text)


def _bad_request_code(exc: BadRequest) -> str:
    """A short, content-free code for a Bad Request (the description never quotes our text)."""
    text = str(exc).lower()
    for needle, code in (
        ("chat not found", "chat_not_found"),
        ("too long", "message_too_long"),
        ("can't parse", "cant_parse_entities"),
        ("not enough rights", "not_enough_rights"),
        ("button_data_invalid", "button_data_invalid"),
    ):
        if needle in text:
            return code
    return "bad_request"
