"""A coordinator at work in their private chat with the bot: commands, screens, buttons.

`Desk` wraps an `Office` (tests/bot/alert_support.py): it sends the coordinator's commands,
presses the buttons of the screen the bot shows them, and waits for the very events a press
causes (the answer to the press, then the screen's edit or a new message), never for time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.domain.cases import CaseStatus, Urgency, priority_for
from bot.standin.models import Event, PlayUser, StoredMessage
from storage.models import AuditEntry, Case
from storage.store import SqlTransaction
from tests.bot.alert_support import Office, tier0_answers
from tests.bot.reporter_driver import QUESTIONNAIRE

PERSON = "ivan petrov|1990-04-12"  # the person key the intake would derive for tier0_answers


@dataclass
class Press:
    """What a press brought: the toast, and the screen as it stands afterwards."""

    toast: str | None
    screen: StoredMessage | None


@dataclass
class Desk:
    """A staff member (the coordinator by default) in their private chat with the bot."""

    world: Office
    user: PlayUser

    async def command(self, command: str, args: str = "") -> StoredMessage:
        """Send a command and return the bot's reply (text or photo)."""
        return await self.world.say_privately(self.user, command, args)

    async def say(self, text: str) -> StoredMessage:
        """Send a plain message (a note, say) and return the bot's reply."""
        since = self.world.cursor()
        await self.world.standin.send_text(self.user, text)
        event = await self.world.standin.wait_for(
            lambda e: e.kind == "sent" and e.chat_id == self.user.id, since=since
        )
        found = [m for m in self.world.bot_messages(self.user) if m.message_id == event.message_id]
        return found[0]

    async def silence_after(self, command: str, args: str = "") -> list[StoredMessage]:
        """Send a command and return whatever the bot sent this chat once it is idle."""
        since = self.world.cursor()
        await self.world.standin.send_command(self.user, command, args)
        await self.world.standin.wait_idle()
        return self.world.sent_since(self.user, since)

    async def press(self, message: StoredMessage, label: str, *, screen: bool = True) -> Press:
        """Press a button by label; wait for the answer and (if `screen`) the redrawn screen."""
        button = next((b for b in message.buttons() if b["text"] == label), None)
        labels = [b["text"] for b in message.buttons()]
        assert button is not None, f"no button {label!r}: {labels}"
        return await self.press_data(message, str(button["callback_data"]), screen=screen)

    async def press_data(self, message: StoredMessage, data: str, *, screen: bool = True) -> Press:
        """Press with any callback data (a forged one, say)."""
        since = self.world.cursor()
        query = await self.world.standin.press_button(self.user, message, data=data)
        answer = await self.world.standin.wait_callback_answer(query)
        toast = answer.get("text")
        if not screen:
            return Press(None if toast is None else str(toast), None)
        chat_id = self.user.id

        def redrawn(event: Event) -> bool:
            return event.chat_id == chat_id and event.kind in ("edited", "sent")

        event = await self.world.standin.wait_for(redrawn, since=since)
        found = [m for m in self.world.bot_messages(self.user) if m.message_id == event.message_id]
        return Press(None if toast is None else str(toast), found[0])

    async def open_case(self, code: str) -> StoredMessage:
        """/case CODE."""
        return await self.command("/case", code)


def labels(message: StoredMessage) -> list[str]:
    """The labels of a message's buttons, row by row."""
    return [str(b["text"]) for b in message.buttons()]


def data_of(message: StoredMessage, label: str) -> str:
    """The callback data of a button, by label."""
    return next(str(b["callback_data"]) for b in message.buttons() if b["text"] == label)


def desk(world: Office, user: PlayUser | None = None) -> Desk:
    """The coordinator's desk (or another staff member's)."""
    return Desk(world, user or world.coordinator)


async def set_case(world: Office, code: str, **values: Any) -> None:
    """Set metadata columns of a case directly (the past a test needs: old, closed, claimed)."""
    async with world.runtime.sessions() as session, session.begin():
        await session.execute(update(Case).where(Case.code == code).values(**values))


async def close_case(world: Office, code: str, status: CaseStatus, closed_at: datetime) -> None:
    """A case closed at a moment in the past."""
    await set_case(world, code, status=status.value, closed_at=closed_at, updated_at=closed_at)


async def audit_of(world: Office, action: str) -> list[tuple[str, str | None, str | None]]:
    """(actor, case code, detail) of every audit entry of an action, oldest first."""
    async with world.runtime.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.actor, AuditEntry.case_code, AuditEntry.detail)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [(actor, code, detail) for actor, code, detail in rows.all()]


async def linked_case(world: Office, primary: str, urgency: Urgency = Urgency.HIGH) -> str:
    """A further report of the same person, linked by the intake to `primary`; its code."""
    now = world.clock()
    async with world.runtime.store.transaction() as tx:
        record = await tx.cases.create(questionnaire_version=QUESTIONNAIRE.version)
        answers = tier0_answers(urgency, "Almaty", "Ivan Petrov", now)
        answers["held_at_details"] = "Airport, transit zone"
        for question_id, value in answers.items():
            await tx.put_answer(record.id, question_id, value)
        await _stamp(tx, record.id, now)
        first = await tx.complete_tier0(record.id, urgency, PERSON, now)
        assert first is not None
        assert first.code == primary
    return record.code


async def person_case(
    world: Office, person_key: str, urgency: Urgency = Urgency.URGENT, city: str = "Almaty"
) -> str:
    """A live case with a person key (the blind index links later reports to it)."""
    now = world.clock()
    async with world.runtime.store.transaction() as tx:
        record = await tx.cases.create(questionnaire_version=QUESTIONNAIRE.version)
        for question_id, value in tier0_answers(urgency, city, "Ivan Petrov", now).items():
            await tx.put_answer(record.id, question_id, value)
        await _stamp(tx, record.id, now)
        await tx.complete_tier0(record.id, urgency, person_key, now)
        await tx.enqueue_case_event(record.id, "alert", priority_for(urgency))
    return record.code


async def _stamp(tx: SqlTransaction, case_id: uuid.UUID, now: datetime) -> None:
    # Rows stamp created_at with the wall clock; the intake's 30-day window and retention's
    # "report after closing" compare it with the fake clock's times, so use those.
    await tx.session.execute(update(Case).where(Case.id == case_id).values(created_at=now))


async def card_of(world: Office, code: str) -> StoredMessage:
    """A case's card in the lawyers' chat, by the message id the case row remembers."""
    message_id = (await world.case_row(code)).card_message_id
    found = [m for m in world.bot_messages(world.group) if m.message_id == message_id]
    assert len(found) == 1, f"no card for {code}: {world.standin.describe(world.group)}"
    return found[0]


async def case_id(world: Office, code: str) -> uuid.UUID:
    """A case's id."""
    return (await world.case_row(code)).id


def ago(world: Office, **delta: float) -> datetime:
    """A moment before the fake clock's now."""
    return world.clock() - timedelta(**delta)
