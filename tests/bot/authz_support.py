"""A firm for the authorisation matrix: one of each role, two groups, and ways to observe.

`firm(...)` starts the production bot against the stand-in with an admin (Ada), a coordinator
(Kira), two lawyers (Lena, and Marat whom cases get assigned to) and an ordinary reporter (Olga,
whose own URGENT case is live). Everyone is in the lawyers' group and in another group
("Friends") where the bot is a member too. The clock is a FakeClock that never moves, so nothing
escalates behind a cell's back.

A cell of the matrix runs as: prepare (a fresh case, a target...), `Firm.start` (database
snapshot and event cursor), the action, then `Firm.finish`: `barrier` (the bot has finished
handling everything that person sent), `drain` (the outbox is empty), a second snapshot and
everything the bot said meanwhile. Every wait is for an event; nothing sleeps.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.domain.alerting import ClaimAction
from bot.domain.cases import Urgency, priority_for
from bot.domain.people import TelegramIdentity
from bot.domain.roster import Position, Shift
from bot.standin import BotApiStandIn
from bot.standin.models import PlayChat, PlayUser, StoredMessage
from storage.models import (
    Answer,
    AuditEntry,
    Case,
    CaseNote,
    Conversation,
    DataKeyRow,
    OutboxMessage,
    RosterShift,
    RosterSubstitute,
    Staff,
)
from storage.models import Reporter as ReporterRow
from tests.bot.alert_support import CODE, FakeClock, Office, tier0_answers
from tests.bot.conftest import bot_settings
from tests.bot.reporter_driver import QUESTIONNAIRE, Reporter
from tests.databases import ScratchDatabase

# Card data no key can have produced ("0" is no action): the bot answers it at once, touching
# nothing. Pressed by a person after their action, its answer proves the action was handled
# (the bot handles one person's updates one at a time, in order: bot/telegram/processor.py).
BARRIER_DATA = "K" + "0" * 23
WAIT = 30.0  # seconds; every wait is for an event, this only bounds a hang on a loaded machine


class Role(StrEnum):
    """Who acts."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    LAWYER = "lawyer"
    REPORTER = "reporter"


class Where(StrEnum):
    """The kind of chat an action happens in."""

    PRIVATE = "private"  # the actor's own private chat with the bot
    LAWYERS = "lawyers_group"  # the lawyers' group (LAWYERS_CHAT_ID)
    OTHER = "other_group"  # any other group the bot is in


MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
STAFF = MANAGERS | {Role.LAWYER}
EVERYONE = STAFF | {Role.REPORTER}
ANYWHERE = frozenset(Where)


# -- the database, as the matrix compares it ------------------------------------------------

# Columns left out of the comparison, with the reason:
IGNORED_COLUMNS = {
    # Re-encrypted with the same content whenever staff write privately (mark_reachable).
    "staff": {"identity"},
    # Delivery bookkeeping of rows that existed before (a row added is still a change).
    "outbox": {"status", "attempts", "available_at", "sent_at", "telegram_message_id",
               "error_code", "lease_until", "uncertain"},
    # The chain hashes follow from the entries compared.
    "audit_log": {"prev_hash", "entry_hash"},
    # The state is compared decrypted (re-saving the same state re-encrypts it), and the
    # bookkeeping of a save is no change.
    "conversations": {"state", "last_update_id", "version", "updated_at"},
    # Ciphertexts that are written once; rows added or removed (notes, keys shredded) show by
    # their keys. Answers, the biggest table, are compared per case (see ANSWERS).
    "case_notes": {"body"},
    "data_keys": {"wrapped"},
}  # fmt: skip
TABLES = (
    Case,
    Staff,
    CaseNote,
    RosterShift,
    RosterSubstitute,
    OutboxMessage,
    AuditEntry,
    Conversation,
    ReporterRow,
    DataKeyRow,
)


Snapshot = dict[str, dict[Any, dict[str, Any]]]


@dataclass(frozen=True)
class Change:
    """One row added, removed or altered in a table."""

    table: str
    key: Any
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.table}: added {self.after}"
        if self.after is None:
            return f"{self.table}: removed {self.key}"
        altered = {k: (self.before[k], v) for k, v in self.after.items() if self.before[k] != v}
        return f"{self.table} {self.key}: {altered}"


def diff(before: Snapshot, after: Snapshot) -> list[Change]:
    """Every row that differs between two snapshots."""
    changes = []
    for table in before:
        old, new = before[table], after[table]
        for key in sorted(old.keys() | new.keys(), key=repr):
            if old.get(key) != new.get(key):
                changes.append(Change(table, key, old.get(key), new.get(key)))
    return changes


# -- what the bot said ----------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """A message the bot sent or edited: where, and every visible word (buttons included)."""

    kind: str  # sent | edited
    chat_id: int
    text: str
    is_photo: bool

    @classmethod
    def of(cls, kind: str, chat_id: int, message: dict[str, Any]) -> Output:
        words = [str(message.get("text") or ""), str(message.get("caption") or "")]
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            words += [str(button.get("text", "")) for button in row]
        return cls(kind, chat_id, "\n".join(w for w in words if w), "photo" in message)


@dataclass
class Observation:
    """What one cell did: the database before and after, and what the bot said meanwhile."""

    before: Snapshot
    since: int
    after: Snapshot = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # texts of callback-query answers
    changes: list[Change] = field(default_factory=list)

    def said_in(self, chat_id: int) -> list[Output]:
        """Outputs in one chat."""
        return [o for o in self.outputs if o.chat_id == chat_id]

    def audit_added(self) -> list[dict[str, Any]]:
        """Audit entries written during the cell."""
        return [c.after for c in self.changes if c.table == "audit_log" and c.after is not None]

    def audited(self, action: str, case_code: str | None = None) -> bool:
        """Whether an audit entry with this action (and case) was written."""
        return any(
            e["action"] == action and (case_code is None or e["case_code"] == case_code)
            for e in self.audit_added()
        )

    def row(self, table: str, key: Any) -> dict[str, Any] | None:
        """A row after the cell."""
        return self.after[table].get(key)


# -- the firm -------------------------------------------------------------------------------


@dataclass
class Firm:
    """The bot, its people and its groups."""

    office: Office
    people: dict[Role, PlayUser]
    colleague: PlayUser  # Marat, a second lawyer: the one cases get assigned to
    reporter: Reporter
    own_code: str  # the reporter's own case
    other: PlayChat
    stray: StoredMessage  # a bot message with card buttons in the other group
    staff_ids: dict[Role, uuid.UUID] = field(default_factory=dict)
    colleague_id: uuid.UUID | None = None
    canaries: dict[str, str] = field(default_factory=dict)  # case code -> detained name
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def standin(self) -> BotApiStandIn:
        return self.office.standin

    @property
    def group(self) -> PlayChat:
        return self.office.group

    def chat_id(self, actor: PlayUser, where: Where) -> int:
        """The chat an actor acts in."""
        return {
            Where.PRIVATE: actor.id,
            Where.LAWYERS: self.group.id,
            Where.OTHER: self.other.id,
        }[where]

    # -- preparing cells --------------------------------------------------------------------

    async def drain(self) -> None:
        """Run alert passes until one finds nothing to do (passes are serialised with the bot's
        own loop, so nothing is being delivered when this returns)."""
        for _ in range(50):
            if not await self.office.tick():
                return
        raise AssertionError("the alert loop never ran out of work")

    async def new_case(self) -> str:
        """A fresh live case with a detained name nobody else has (its canary); card posted.

        HIGH: its first round is the card alone, so no page lands in anyone's chat later.
        """
        [code] = await self._cases(1, person=False)
        return code

    async def new_pair(self) -> tuple[str, str]:
        """Two fresh live cases of the same person (the second suggested as a further report)."""
        first, second = await self._cases(2, person=True)
        return first, second

    async def _cases(self, count: int, *, person: bool) -> list[str]:
        name = f"Canary Zaitsev{next(self._names)}x"
        now = self.office.clock()
        codes = []
        for _ in range(count):
            async with self.office.runtime.store.transaction() as tx:
                record = await tx.cases.create(questionnaire_version=QUESTIONNAIRE.version)
                for question_id, value in tier0_answers(Urgency.HIGH, "Almaty", name, now).items():
                    await tx.put_answer(record.id, question_id, value)
                key = f"authz-person:{name}" if person else None
                await tx.complete_tier0(record.id, Urgency.HIGH, key, now)
                await tx.enqueue_case_event(record.id, "alert", priority_for(Urgency.HIGH))
            codes.append(record.code)
            self.canaries[record.code] = name
        await self.drain()
        return codes

    async def take(self, code: str, by: PlayUser) -> None:
        """`by` holds the case, as a Take press leaves it (set up through the store)."""
        runtime = self.office.runtime
        now = self.office.clock()
        async with runtime.store.transaction() as tx:
            member = await tx.staff.by_user(by.id)
            case = await tx.alerts.case_by_code(code)
            assert member is not None
            assert case is not None
            lapse = self.office.bot.alerts.service.policy.claim_lapse
            assert await tx.alerts.take(case.id, member.id, now, now + lapse)

    async def make_staff(self, user: PlayUser, role: str) -> None:
        """Give someone a role directly in the database (a target for /revoke)."""
        async with self.office.runtime.store.transaction() as tx:
            await tx.staff.ensure(TelegramIdentity(user.id, user.id, None, user.first_name), role)
        self.office.bot.directory.user_ids.add(user.id)

    async def add_shift(self) -> int:
        """A roster shift for the colleague; returns its number (for /roster remove)."""
        assert self.colleague_id is not None
        async with self.office.runtime.store.transaction() as tx:
            return await tx.staff.add_shift(Shift(self.colleague_id, Position.SECONDARY, 6, 0, 60))

    def latest_private(self, actor: PlayUser) -> StoredMessage | None:
        """The actor's newest bot message still in their private chat."""
        live = [m for m in self.office.bot_messages(actor) if not m.deleted]
        return live[-1] if live else None

    async def private_message(self, actor: PlayUser) -> StoredMessage:
        """A bot message in the actor's private chat to press on (asks for /help if none)."""
        found = self.latest_private(actor)
        if found is None:
            await self.office.say_privately(actor, "/help")
            found = self.latest_private(actor)
        assert found is not None
        return found

    async def message_in(self, actor: PlayUser, where: Where, code: str | None) -> StoredMessage:
        """A bot message to press on: the case's card, a private message, the stray one."""
        if where is Where.LAWYERS:
            return self.office.card(code) if code else self.office.bot_messages(self.group)[-1]
        if where is Where.OTHER:
            return self.stray
        return await self.private_message(actor)

    def card_data(self, action: ClaimAction, code: str) -> str:
        """Genuine card button data (what the card and private pages carry)."""
        return self.office.bot.alerts.handlers.codec.encode(action, code)

    # -- acting ----------------------------------------------------------------------------

    async def command(self, actor: PlayUser, where: Where, text: str) -> None:
        """Send a command (with arguments) in a chat."""
        name, _, args = text.partition(" ")
        chat = None if where is Where.PRIVATE else self.chat_id(actor, where)
        await self.standin.send_command(actor, name, args, chat_id=chat)

    async def press(self, actor: PlayUser, message: StoredMessage, data: str) -> str:
        """Press with some data on a message; the bot's answer text ("" for none)."""
        query = await self.standin.press_button(actor, message, data=data)
        answer = await self.standin.wait_callback_answer(query, timeout=WAIT)
        return str(answer.get("text") or "")

    async def barrier(self, actor: PlayUser) -> None:
        """Return once the bot has finished with everything the actor sent before."""
        query = await self.standin.press_button(actor, self.stray, data=BARRIER_DATA)
        await self.standin.wait_callback_answer(query, timeout=WAIT)

    # -- observing -------------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        """Every row of the tables an action could change (see IGNORED_COLUMNS)."""
        result: Snapshot = {}
        async with self.office.runtime.store.transaction() as tx:
            for model in TABLES:
                table = model.__table__
                ignored = IGNORED_COLUMNS.get(table.name, set())
                columns = [c for c in table.columns if c.key not in ignored]
                keys = [c.key for c in table.primary_key.columns]
                rows = (await tx.session.execute(select(*columns))).mappings()
                result[table.name] = {
                    tuple(row[k] for k in keys): {c.key: row[c.key] for c in columns}
                    for row in rows
                }
            # Answers per case: how many, and the latest write (a rewrite moves `updated_at`).
            per_case = select(
                Answer.case_id, func.count().label("answers"), func.max(Answer.updated_at)
            ).group_by(Answer.case_id)
            result["answers"] = {
                (case_id,): {"answers": count, "latest": latest}
                for case_id, count, latest in (await tx.session.execute(per_case)).all()
            }
            # A conversation is compared by what it says, decrypted.
            for (reporter_id,), row in result["conversations"].items():
                state = await tx.load_conversation(reporter_id)
                row["state"] = state.to_dict() if state is not None else None
        return result

    async def start(self) -> Observation:
        """Start observing (after preparing and settling)."""
        return Observation(await self.snapshot(), len(self.standin.state.events))

    async def finish(self, observed: Observation, actor: PlayUser) -> Observation:
        """Wait for the actor's updates and the outbox, then record what changed and was said."""
        await self.barrier(actor)
        await self.drain()
        observed.after = await self.snapshot()
        observed.changes = diff(observed.before, observed.after)
        for event in self.standin.state.events[observed.since :]:
            if event.kind in ("sent", "edited") and event.chat_id is not None:
                observed.outputs.append(Output.of(event.kind, event.chat_id, event.data["message"]))
        return observed

    async def own_codes(self, actor: PlayUser) -> set[str]:
        """Codes of the cases the actor reported (theirs to see)."""
        async with self.office.runtime.store.transaction() as tx:
            reporter_id = await tx.reporters.find(actor.id)
        if reporter_id is None:
            return set()
        async with self.office.runtime.sessions() as session:
            query = select(Case.code).where(Case.reporter_id == reporter_id)
            return set((await session.execute(query)).scalars())

    def leaks(self, texts: Iterable[str], own: set[str]) -> list[str]:
        """Codes of cases other than `own`, and their answers (canary names), found in texts."""
        found = []
        for text in texts:
            found += [f"code {c}" for c in CODE.findall(text) if c not in own]
            found += [
                f"answer {name!r} of {code}"
                for code, name in self.canaries.items()
                if code not in own and name in text
            ]
        return found


@asynccontextmanager
async def firm(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> AsyncIterator[Firm]:
    """Start the bot with one person of each role, the lawyers' group and another group."""
    ada = standin.new_user("Ada", language_code="en")
    kira = standin.new_user("Kira", language_code="en")
    lena = standin.new_user("Lena", language_code="en")
    marat = standin.new_user("Marat", language_code="en")
    staff = [ada, kira, lena, marat]
    group = standin.new_group("Lawyers", members=staff)
    other = standin.new_group("Friends", members=staff)
    clock = FakeClock()
    settings = bot_settings(
        standin,
        database,
        keyring_path,
        lawyers_chat_id=group.id,
        lawyer_ids=f"{lena.id},{marat.id}",
        coordinator_ids=str(kira.id),
        admin_ids=str(ada.id),
        lawyers_language="en",
        # The clock never moves, so every case of the run is "new in the window": no digest.
        surge_cases=1_000_000,
    )
    office = Office(standin, clock, group, [lena, marat], kira, ada, settings)
    office.mark(clock.now)
    clock.listeners.append(office.mark)
    try:
        await office.start()
        for user in staff:
            await office.say_privately(user, "/start")
        reporter = await office.reporter_through_tier0("Olga")
        for chat in (group, other):
            standin.set_member_status(chat, reporter.user, "member")
        await office.settle()
        own_code = await office.reporter_case_code(reporter)
        # A card left in another group (as when LAWYERS_CHAT_ID pointed there, or a card was
        # forwarded with its buttons): presses on it carry genuine data from a foreign chat.
        card = office.card(own_code)
        stray = standin.state.add_message(
            standin.chat(other),
            True,
            standin.bot.id,
            text="An old card",
            reply_markup=card.reply_markup,
        )
        people = {
            Role.ADMIN: ada,
            Role.COORDINATOR: kira,
            Role.LAWYER: lena,
            Role.REPORTER: reporter.user,
        }
        world = Firm(office, people, marat, reporter, own_code, other, stray)
        for role in STAFF:
            world.staff_ids[role] = await office.staff_id(people[role])
        world.colleague_id = await office.staff_id(marat)
        async with office.runtime.store.transaction() as tx:  # Marat is on call all week
            for day in range(7):
                await tx.staff.add_shift(Shift(world.colleague_id, Position.PRIMARY, day, 0, 1440))
        world.canaries[own_code] = "Ivan Petrov"
        yield world
    finally:
        clock.listeners.remove(office.mark)
        await office.stop()
