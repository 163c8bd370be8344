"""A bot with a lawyers' group, staff and a clock the test moves: for alerting tests.

`office(...)` starts the production bot against the stand-in with three lawyers (Lena and
Marat have written to the bot privately, Dana never has), a coordinator (Kira, who has), and an
outsider (Oleg, in the group but not staff, who has written to the bot too). Time moves only
through the `FakeClock`; `world.tick()` runs one pass of the alert loop, `world.settle()` runs
passes until nothing is left to do and the stand-in is idle.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import Bot, serve
from bot.domain.cases import Urgency, priority_for
from bot.domain.intake_model import Action
from bot.runtime import Runtime, open_runtime
from bot.standin import BotApiStandIn
from bot.standin.models import Event, PlayChat, PlayUser, StoredMessage
from storage.models import AuditEntry, Case, OutboxMessage
from tests.bot.conftest import bot_settings
from tests.bot.reporter_driver import FULL_REPORT, QUESTIONNAIRE, TIER0, Reporter
from tests.databases import ScratchDatabase

ZONE = ZoneInfo("Asia/Almaty")
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


@dataclass
class FakeClock:
    """A clock that moves only when told to; listeners hear of every move."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 12, 14, 0, tzinfo=ZONE))
    listeners: list[Callable[[datetime], None]] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
        for listener in self.listeners:
            listener(self.now)


def codes_in(text: str) -> list[str]:
    """Every case code in a text."""
    return CODE.findall(text)


@dataclass
class Office:
    """The people around a running bot: lawyers in a group, a coordinator, and the bot."""

    standin: BotApiStandIn
    clock: FakeClock
    group: PlayChat
    lawyers: list[PlayUser]
    coordinator: PlayUser
    outsider: PlayUser
    settings: Any
    runtime: Runtime = field(init=False)
    bot: Bot = field(init=False)
    _serving: Any = None
    # (index into the stand-in's event log, fake time) at start and at every clock move.
    marks: list[tuple[int, datetime]] = field(default_factory=list)

    # -- the bot process ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start a bot process on the same database, keyring, settings and clock."""
        self._serving = running(self.settings, self.standin, self.clock)
        self.runtime, self.bot = await self._serving.__aenter__()

    async def stop(self) -> None:
        """Stop the bot process (cleanly: it finishes what it is doing)."""
        serving, self._serving = self._serving, None
        if serving is not None:
            await serving.__aexit__(None, None, None)

    @asynccontextmanager
    async def offline(self) -> AsyncIterator[Runtime]:
        """The database and keys while no bot runs (as a dead worker, or an operator, sees them)."""
        assert self._serving is None, "stop the bot first"
        runtime = await open_runtime(self.settings)
        runtime.clock = self.clock
        try:
            yield runtime
        finally:
            await runtime.close()

    async def restart(self) -> None:
        """Stop the bot and start a new process in its place."""
        await self.stop()
        await self.start()

    # -- time and the alert loop -------------------------------------------------------------

    async def tick(self) -> None:
        """Run one pass of the alert loop now."""
        await self.bot.alerts.service.tick()

    async def settle(self) -> None:
        """Let handlers finish, then run passes until one finds nothing to do; then idle."""
        await self.standin.wait_idle()
        for _ in range(20):
            if not await self.bot.alerts.service.tick():
                break
        await self.standin.wait_idle()

    async def advance(self, **delta: float) -> None:
        """Move the fake clock and settle the alert loop at the new time."""
        self.clock.advance(**delta)
        await self.settle()

    def mark(self, now: datetime) -> None:
        """Remember where the event log stood when the clock moved (see `fake_time`)."""
        self.marks.append((len(self.standin.state.events), now))

    def fake_time(self, event: Event) -> datetime:
        """The fake time at which a stand-in event happened."""
        at = self.marks[0][1]
        for index, moment in self.marks:
            if event.seq > index:
                at = moment
        return at

    # -- the stand-in's side ---------------------------------------------------------------

    def bot_messages(self, chat: PlayUser | PlayChat | int) -> list[StoredMessage]:
        """The bot's messages in a chat as they stand now (edits applied)."""
        return [m for m in self.standin.transcript(chat) if m.from_bot]

    def sent_since(self, chat: PlayUser | PlayChat | int, since: int) -> list[StoredMessage]:
        """Bot messages sent to a chat after event `since` (as they stand now)."""
        chat_id = chat if isinstance(chat, int) else chat.id
        ids = {
            e.message_id
            for e in self.standin.events(chat_id, "sent")
            if e.seq > since and e.message_id is not None
        }
        return [m for m in self.bot_messages(chat_id) if m.message_id in ids]

    def cursor(self) -> int:
        """The current end of the event log (pass it to `sent_since`)."""
        return len(self.standin.state.events)

    def cards(self, code: str) -> list[StoredMessage]:
        """Messages in the group that are the card of a case (first line names the code)."""
        return [m for m in self.bot_messages(self.group) if code in m.content.split("\n", 1)[0]]

    def card(self, code: str) -> StoredMessage:
        """The one card of a case."""
        found = self.cards(code)
        assert len(found) == 1, (
            f"{len(found)} cards for {code}: {self.standin.describe(self.group)}"
        )
        return found[0]

    async def press(self, user: PlayUser, message: StoredMessage, label: str) -> dict[str, Any]:
        """Press a button by label and return the bot's answer to the press."""
        query = await self.standin.press_button(user, message, text=label)
        return await self.standin.wait_callback_answer(query)

    async def press_data(self, user: PlayUser, message: StoredMessage, data: str) -> dict[str, Any]:
        """Press with any callback data on a message and return the bot's answer."""
        query = await self.standin.press_button(user, message, data=data)
        return await self.standin.wait_callback_answer(query)

    async def say_privately(self, user: PlayUser, command: str, args: str = "") -> StoredMessage:
        """A command in the user's private chat; returns the bot's reply."""
        since = self.cursor()
        await self.standin.send_command(user, command, args)
        event = await self.standin.wait_for(
            lambda e: e.kind == "sent" and e.chat_id == user.id, since=since
        )
        found = [m for m in self.bot_messages(user) if m.message_id == event.message_id]
        return found[0]

    async def put_on_call(self, primary: PlayUser, secondary: PlayUser | None = None) -> None:
        """The coordinator puts people on call around the clock with /roster, privately."""
        for position, user in (("primary", primary), ("secondary", secondary)):
            if user is not None:
                args = f"add daily 00:00-24:00 {position} {user.id}"
                reply = await self.say_privately(self.coordinator, "/roster", args)
                assert reply.text == "Added.", reply.text

    def pages(self, user: PlayUser, since: int = 0) -> list[StoredMessage]:
        """Private alerts the bot sent a staff member after event `since` (not chat replies)."""
        return [m for m in self.sent_since(user, since) if codes_in(m.content)]

    def paged(self, since: int) -> set[str]:
        """First names of the staff who received a private alert after event `since`."""
        people = [*self.lawyers, self.coordinator, self.outsider]
        return {u.first_name for u in people if self.pages(u, since)}

    # -- the database's side ---------------------------------------------------------------

    async def case_row(self, code: str) -> Case:
        """A case's row, fresh from the database."""
        async with self.runtime.sessions() as session:
            row = (await session.execute(select(Case).where(Case.code == code))).scalar_one()
            return row

    async def outbox(self) -> list[OutboxMessage]:
        """Every outbox row."""
        async with self.runtime.sessions() as session:
            return list((await session.execute(select(OutboxMessage))).scalars())

    async def outbox_count(self) -> int:
        """How many outbox rows exist."""
        async with self.runtime.sessions() as session:
            query = select(func.count()).select_from(OutboxMessage)
            return int((await session.execute(query)).scalar_one())

    async def audit(self) -> list[AuditEntry]:
        """The audit log, oldest first."""
        async with self.runtime.sessions() as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            return list((await session.execute(query)).scalars())

    async def staff_id(self, user: PlayUser) -> uuid.UUID:
        """A staff member's id."""
        async with self.runtime.store.transaction() as tx:
            member = await tx.staff.by_user(user.id)
        assert member is not None
        return member.id

    async def live_case(
        self,
        urgency: Urgency = Urgency.URGENT,
        city: str = "Almaty",
        name: str = "Ivan Petrov",
        runtime: Runtime | None = None,
    ) -> str:
        """A case made live through the store exactly as the intake does it; returns its code."""
        now = self.clock()
        async with (runtime or self.runtime).store.transaction() as tx:
            record = await tx.cases.create(questionnaire_version=QUESTIONNAIRE.version)
            for question_id, value in tier0_answers(urgency, city, name, now).items():
                await tx.put_answer(record.id, question_id, value)
            await tx.complete_tier0(record.id, urgency, None, now)
            await tx.enqueue_case_event(record.id, "alert", priority_for(urgency))
        return record.code

    # -- the reporter's side ---------------------------------------------------------------

    async def reporter_through_tier0(
        self, first_name: str = "Olga", language: str = "en"
    ) -> Reporter:
        """A reporter who answered Tier 0 of FULL_REPORT (an URGENT case is live)."""
        reporter = Reporter(self.standin, self.standin.new_user(first_name, language_code=language))
        await reporter.command("/start")
        await reporter.press(Action.BEGIN)
        for question_id, value in FULL_REPORT:
            await reporter.answer(question_id, value)
            if question_id == TIER0[-1]:
                break
        return reporter

    async def reporter_case_code(self, reporter: Reporter) -> str:
        """The code of the reporter's newest case."""
        async with self.runtime.store.transaction() as tx:
            reporter_id = await tx.reporters.find(reporter.user.id)
            assert reporter_id is not None
            state = await tx.load_conversation(reporter_id)
            assert state is not None
            assert state.case_id is not None
            info = await tx.case_info(uuid.UUID(str(state.case_id)))
        assert info is not None
        return info.code


def tier0_answers(urgency: Urgency, city: str, name: str, now: datetime) -> dict[str, Any]:
    """Tier 0 answers, in the shapes the intake stores, that make a case of this urgency."""
    lawyer = {Urgency.URGENT: "none", Urgency.HIGH: "unknown", Urgency.NORMAL: "present"}[urgency]
    return {
        "reporter_role": "relative",
        "detained_name": name,
        "detained_dob": {"date": "1990-04-12", "approximate": False},
        "detained_at": {
            "at": (now - timedelta(hours=5)).isoformat(),
            "approximate": False,
            "has_time": True,
        },
        "detained_city": city,
        "held_at": "police_station",
        "held_at_details": "District police station No. 5",
        "agency": "police",
        "citizenship": ["ru"],
        "removal_talk": "no",
        "lawyer_status": lawyer,
        "urgent_flags": ["none"],
    }


@asynccontextmanager
async def office(
    standin: BotApiStandIn,
    database: ScratchDatabase,
    keyring_path: Path,
    clock: FakeClock | None = None,
    *,
    lawyers: list[PlayUser] | None = None,
    coordinator: PlayUser | None = None,
    **overrides: Any,
) -> AsyncIterator[Office]:
    """Start the bot with three lawyers (the first two started it privately) and a coordinator:
    Lena, Marat, Dana and Kira unless given."""
    lawyers = lawyers or [
        standin.new_user(name, language_code="en") for name in ("Lena", "Marat", "Dana")
    ]
    coordinator = coordinator or standin.new_user("Kira", language_code="en")
    outsider = standin.new_user("Oleg", language_code="en")
    group = standin.new_group("Lawyers", members=[*lawyers, coordinator, outsider])
    clock = clock or FakeClock()
    settings = bot_settings(
        standin,
        database,
        keyring_path,
        lawyers_chat_id=group.id,
        lawyer_ids=",".join(str(u.id) for u in lawyers),
        coordinator_ids=str(coordinator.id),
        lawyers_language="en",
        **overrides,
    )
    world = Office(standin, clock, group, lawyers, coordinator, outsider, settings)
    world.mark(clock.now)
    clock.listeners.append(world.mark)
    try:
        await world.start()
        for user in (lawyers[0], lawyers[1], coordinator, outsider):
            await world.say_privately(user, "/start")
        await world.settle()
        yield world
    finally:
        clock.listeners.remove(world.mark)
        await world.stop()


@asynccontextmanager
async def running(
    settings: Any, standin: BotApiStandIn, clock: FakeClock
) -> AsyncIterator[tuple[Runtime, Bot]]:
    """Serve a bot on a runtime whose clock is `clock`; yields once polling."""
    runtime = await open_runtime(settings)
    runtime.clock = clock
    stop = asyncio.Event()
    ready: asyncio.Future[Bot] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(runtime, stop, ready.set_result))
    try:
        built = await asyncio.wait_for(asyncio.shield(ready), timeout=10)
        await standin.wait_polling()
        yield runtime, built
    finally:
        stop.set()
        await task
        await runtime.close()
