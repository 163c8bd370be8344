"""Play a reporter through the stand-in, by meaning (option ids), in any language.

Also: reading what the bot stored (cases, answers, outbox, keys, conversation state) and
starting a bot with settings of the test's own (`custom_bot`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import serve
from bot.domain.conversation import ConversationState
from bot.domain.intake_model import Action, PressEvent
from bot.domain.questionnaire.flow import Questionnaire
from bot.i18n import Catalogs, Translator
from bot.runtime import open_runtime
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser, StoredMessage
from storage.models import Answer, Case, DataKeyRow, OutboxMessage
from storage.models import Reporter as ReporterRow
from tests.bot.conftest import RunningBot, bot_settings
from tests.databases import ScratchDatabase

QUESTIONNAIRE = Questionnaire.load()
CATALOGS = Catalogs()


def tr(language: str = "en") -> Translator:
    """The bot's texts in a language."""
    return CATALOGS.translator(language)


@dataclass
class Reporter:
    """One reporter in their private chat with the bot."""

    standin: BotApiStandIn
    user: PlayUser
    last: StoredMessage | None = None
    # Seconds to wait for a reply. A surge paced under Telegram's limits makes replies slow on
    # purpose (the surge benchmark raises it); a test's bot answers well within the default.
    patience: float = 30.0

    async def _next(self, timeout: float | None = None) -> StoredMessage:
        wait = self.patience if timeout is None else timeout
        self.last = await self.standin.next_bot_message(self.user, timeout=wait)
        return self.last

    async def next_message(self, timeout: float | None = None) -> StoredMessage:
        """The bot's next message in this chat (after something sent another way)."""
        return await self._next(timeout)

    async def nothing_more(self) -> None:
        """Wait until the bot is idle and assert that it sent nothing new to this reporter."""
        await self.standin.wait_idle()
        bot_messages = [m for m in self.standin.transcript(self.user) if m.from_bot]
        newest = max((m.message_id for m in bot_messages), default=0)
        seen = self.last.message_id if self.last is not None else 0
        assert newest <= seen, f"unexpected reply: {self.standin.describe(self.user)}"

    async def press_data(self, data: str, message: StoredMessage | None = None) -> str | None:
        """Press with any callback data on a message (forgery); return the toast shown."""
        target = message or self.last
        assert target is not None
        query_id = await self.standin.press_button(self.user, target, data=data)
        answer = await self.standin.wait_callback_answer(query_id)
        text = answer.get("text")
        return str(text) if text is not None else None

    async def press_for_toast(
        self, action: Action, question: str | None = None, option: str | None = None
    ) -> str | None:
        """Press a button of the last message that is expected to be refused; return the toast."""
        return await self.press_data(self.button_data(action, question, option))

    async def command(self, text: str) -> StoredMessage:
        """Send a slash command and return the bot's reply."""
        await self.standin.send_command(self.user, text)
        return await self._next()

    async def say(self, text: str) -> StoredMessage:
        """Type a message and return the bot's reply."""
        await self.standin.send_text(self.user, text)
        return await self._next()

    async def send_document(self, data: bytes, name: str, mime: str) -> StoredMessage:
        """Upload a document and return the bot's reply."""
        await self.standin.send_document(self.user, data, name, mime)
        return await self._next()

    async def send_photo(self, data: bytes) -> StoredMessage:
        """Upload a photo and return the bot's reply."""
        await self.standin.send_photo(self.user, data)
        return await self._next()

    def button_data(
        self, action: Action, question: str | None = None, option: str | None = None
    ) -> str:
        """The callback data of a button on the last message, by meaning."""
        assert self.last is not None, "no bot message yet"
        qi = QUESTIONNAIRE.index(question) if question else -1
        oi = -1
        if question and option:
            q = QUESTIONNAIRE.get(question)
            assert q is not None
            oi = [o.id for o in q.options].index(option)
        for button in self.last.buttons():
            decoded = PressEvent.decode(button.get("callback_data") or "")
            if (
                decoded
                and decoded.action is action
                and (question is None or decoded.question == qi)
                and (option is None or decoded.option == oi)
            ):
                return str(button["callback_data"])
        labels = [(b["text"], b.get("callback_data")) for b in self.last.buttons()]
        raise LookupError(f"no {action.name} button for {question}/{option}: {labels}")

    async def press(
        self,
        action: Action,
        question: str | None = None,
        option: str | None = None,
        *,
        expect_reply: bool = True,
    ) -> StoredMessage:
        """Press a button on the last message; return the next bot message."""
        assert self.last is not None
        data = self.button_data(action, question, option)
        await self.standin.press_button(self.user, self.last, data=data)
        if not expect_reply:
            return self.last
        return await self._next()

    async def toggle(self, question: str, option: str) -> None:
        """Tick an option of a multiple-choice question (the message is edited in place)."""
        assert self.last is not None
        data = self.button_data(Action.TOGGLE, question, option)
        message_id, chat_id = self.last.message_id, self.last.chat_id
        since = len(self.standin.state.events)
        await self.standin.press_button(self.user, self.last, data=data)
        await self.standin.wait_for(
            lambda e: e.kind == "edited" and e.chat_id == chat_id and e.message_id == message_id,
            since=since,
            timeout=self.patience,  # a loaded machine can be slow; the wait is for an event
        )
        self.last = next(
            m for m in self.standin.transcript(self.user) if m.message_id == message_id
        )

    async def answer_until(
        self, stop_before: str | None, report: list[tuple[str, Any]] | None = None
    ) -> StoredMessage | None:
        """Answer `report` (FULL_REPORT by default) up to, not including, `stop_before`."""
        for question_id, value in report or FULL_REPORT:
            if question_id == stop_before:
                break
            await self.answer(question_id, value)
        return self.last

    async def answer(self, question: str, value: Any) -> StoredMessage:
        """Answer the current question by meaning: an option id, a list of ids, text, or SKIP."""
        q = QUESTIONNAIRE.get(question)
        assert q is not None
        if value is SKIP:
            return await self.press(Action.SKIP, question)
        if value is UNKNOWN:
            return await self.press(Action.UNKNOWN, question)
        if q.type.value == "multi_choice":
            for option in value:
                await self.toggle(question, option)
            return await self.press(Action.DONE, question)
        if q.options:
            return await self.press(Action.CHOOSE, question, value)
        return await self.say(value)


SKIP = object()
UNKNOWN = object()

# A complete report that makes an URGENT case (no lawyer, in custody for hours).
FULL_REPORT: list[tuple[str, Any]] = [
    ("reporter_role", "relative"),
    ("detained_name", "Ivan Petrov"),
    ("detained_dob", "12.04.1990"),
    ("detained_at", "5 hours ago"),
    ("detained_city", "Almaty"),
    ("detained_place", SKIP),
    ("held_at", "police_station"),
    ("held_at_details", "District police station No. 5"),
    ("agency", "police"),
    ("citizenship", ["ru"]),
    ("removal_talk", "deportation"),
    ("lawyer_status", "none"),
    ("urgent_flags", ["none"]),
    ("grounds", "administrative"),
    ("article", SKIP),
    ("documents", ["passport"]),
    ("court_hearing", "no"),
    ("removal_time", UNKNOWN),
    ("removal_details", SKIP),
    ("interpreter", "no"),
    ("story", "They took him at the bus stop."),
    ("papers", SKIP),
    ("contact_method", "chat"),
    ("safe_times", SKIP),
    ("consent_family", "yes"),
    ("consent_public", "no"),
]
TIER0 = [
    qid for qid, _ in FULL_REPORT if QUESTIONNAIRE.get(qid) and QUESTIONNAIRE.get(qid).tier == 0
]  # type: ignore[union-attr]


# -- starting -----------------------------------------------------------------------------


async def begin(bot: RunningBot, language: str = "en", first_name: str = "Olga") -> Reporter:
    """A new reporter who sent /start and pressed "Start a report"."""
    reporter = Reporter(bot.standin, bot.standin.new_user(first_name, language_code=language))
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    return reporter


async def submit_full_report(bot: RunningBot, language: str = "en") -> Reporter:
    """A reporter who answered FULL_REPORT and pressed "Send the report"."""
    reporter = await begin(bot, language)
    await reporter.answer_until(None)
    await reporter.press(Action.SUBMIT)
    return reporter


@asynccontextmanager
async def custom_bot(
    standin: BotApiStandIn,
    database: ScratchDatabase,
    keyring_path: Path,
    *,
    clock: Callable[[], datetime] | None = None,
    **overrides: Any,
) -> AsyncIterator[RunningBot]:
    """The production bot with settings overridden (and, optionally, a clock of the test's)."""
    runtime = await open_runtime(bot_settings(standin, database, keyring_path, **overrides))
    if clock is not None:
        runtime.now = clock  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(runtime, stop))
    try:
        await standin.wait_polling()
        yield RunningBot(runtime, standin, [])
    finally:
        stop.set()
        await task
        await runtime.close()


# -- reading what the bot stored ------------------------------------------------------------


async def cases(bot: RunningBot) -> list[Case]:
    """Every case row, oldest first."""
    async with bot.runtime.sessions() as session:
        return list((await session.execute(select(Case).order_by(Case.created_at))).scalars())


async def case_answers(bot: RunningBot, case_id: uuid.UUID) -> dict[str, Any]:
    """A case's answers, decrypted."""
    async with bot.runtime.store.transaction() as tx:
        return await tx.cases.answers(case_id)


async def answer_rows(bot: RunningBot) -> int:
    """How many answer rows exist, in every case."""
    async with bot.runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Answer))).scalar_one())


async def outbox(bot: RunningBot) -> list[OutboxMessage]:
    """Every outbox row."""
    async with bot.runtime.sessions() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def data_key_ids(bot: RunningBot) -> set[uuid.UUID]:
    """The owners (cases, reporters) that still have a data key."""
    async with bot.runtime.sessions() as session:
        return set((await session.execute(select(DataKeyRow.id))).scalars())


async def reporter_ids(bot: RunningBot) -> list[uuid.UUID]:
    """Every reporter row."""
    async with bot.runtime.sessions() as session:
        return list((await session.execute(select(ReporterRow.id))).scalars())


async def conversation(bot: RunningBot, user: PlayUser) -> ConversationState | None:
    """A user's stored conversation state, decrypted (None without a reporter or a state)."""
    async with bot.runtime.store.transaction() as tx:
        reporter_id = await tx.reporters.find(user.id)
        return None if reporter_id is None else await tx.load_conversation(reporter_id)


def last_update_id(standin: BotApiStandIn) -> int:
    """The id of the newest update the stand-in queued (for redelivery)."""
    return max(standin.state.updates._history)
