"""Claiming a case from its card: Take races, Decline, Details, forged and replayed presses."""

from __future__ import annotations

import secrets
import string
from pathlib import Path
from typing import Any

from bot.domain.alerting import ClaimAction
from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from storage.models import Case
from tests.bot.alert_support import Office, office
from tests.bot.reporter_driver import tr
from tests.databases import ScratchDatabase

STALE = "This button is no longer valid."


def row_values(row: Case) -> dict[str, Any]:
    """Every column of a case row."""
    return {c.key: getattr(row, c.key) for c in Case.__table__.columns}


def data_of(message: Any, label: str) -> str:
    """The callback data of a button by label."""
    return next(str(b["callback_data"]) for b in message.buttons() if b["text"] == label)


async def test_two_lawyers_take_at_once_and_exactly_one_wins(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        reporter = await world.reporter_through_tier0(language="ru")
        code = await world.reporter_case_code(reporter)
        await world.settle()
        card = world.card(code)
        before = world.cursor()
        first = await standin.press_button(lena, card, text="Take")
        second = await standin.press_button(marat, card, text="Take")
        answers = {
            "Lena": (await standin.wait_callback_answer(first)).get("text"),
            "Marat": (await standin.wait_callback_answer(second)).get("text"),
        }
        winners = [who for who, text in answers.items() if text == "The case is yours."]
        assert len(winners) == 1, answers
        [winner] = winners
        [loser] = set(answers) - {winner}
        assert answers[loser] == f"Already taken by {winner}."
        taker = lena if winner == "Lena" else marat
        row = await world.case_row(code)
        assert row.claimed_by == await world.staff_id(taker)
        assert row.status == "assigned"

        await world.settle()
        card = world.card(code)
        assert f"Taken by: {winner}" in card.text
        assert [b["text"] for b in card.buttons()] == [
            "In contact",
            "On site",
            "Details",
            "Resolve",
        ]
        # The reporter hears, in their language, that a lawyer has it; not which lawyer.
        notices = [m.text for m in world.sent_since(reporter.user, before)]
        assert notices == [tr("ru").alert("reporter_assigned", code=code)]
        assert winner not in (notices[0] or "")


async def test_the_reporter_is_told_the_lawyers_name_when_configured(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path, name_lawyer_to_reporter=True) as world:
        lena = world.lawyers[0]
        reporter = await world.reporter_through_tier0(language="uk")
        code = await world.reporter_case_code(reporter)
        await world.settle()
        before = world.cursor()
        answer = await world.press(lena, world.card(code), "Take")
        assert answer["text"] == "The case is yours."
        await world.settle()
        notices = [m.text for m in world.sent_since(reporter.user, before)]
        assert notices == [tr("uk").alert("reporter_assigned_named", code=code, name="Lena")]


async def test_decline_on_an_unclaimed_urgent_case_pages_the_next_round_at_once(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        assert (await world.case_row(code)).escalation_round == 1
        before = world.cursor()
        answer = await world.press(lena, world.card(code), "Decline")
        assert answer["text"] == "Passed on."
        await world.settle()  # no time passes
        assert world.paged(before) == {"Lena", "Marat"}
        assert all(m.content.startswith("Still not taken:") for m in world.pages(lena, before))
        row = await world.case_row(code)
        assert row.escalation_round == 2
        assert row.claimed_by is None
        assert "case.declined" in [e.action for e in await world.audit()]
        # A second press by the same lawyer passes nothing further on.
        before = world.cursor()
        assert (await world.press(lena, world.card(code), "Decline"))["text"] == "Passed on."
        await world.settle()
        assert world.paged(before) == set()
        assert (await world.case_row(code)).escalation_round == 2
        # Declining a case someone took says who has it (Lena presses the card as she saw it,
        # before it was redrawn for the taker).
        card = world.card(code)
        decline = next(b["callback_data"] for b in card.buttons() if b["text"] == "Decline")
        assert (await world.press(marat, card, "Take"))["text"] == "The case is yours."
        answer = await world.press_data(lena, card, decline)
        assert answer["text"] == "Already taken by Marat."


async def test_details_go_privately_to_an_authorised_lawyer_and_are_audited(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        code = await world.live_case(Urgency.URGENT, name="Ivan Petrov")
        await world.settle()
        before = world.cursor()
        answer = await world.press(lena, world.card(code), "Details")
        assert answer["text"] == "Details sent to you privately."
        [details] = world.sent_since(lena, before)
        assert details.text is not None
        assert details.text.startswith(f"Case {code}")
        assert "Ivan Petrov" in details.text
        assert not world.sent_since(world.group, before)  # nothing about it in the group
        entries = [(e.action, e.case_code) for e in await world.audit()]
        assert ("case.details", code) in entries


async def test_details_are_refused_to_a_group_member_who_is_not_staff(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        before = world.cursor()
        answer = await world.press(world.outsider, world.card(code), "Details")
        assert answer["text"] == "Only authorised lawyers and coordinators can do this."
        await world.settle()
        assert not world.sent_since(world.outsider, before)
        assert not world.sent_since(world.group, before)
        entries = [(e.action, e.case_code) for e in await world.audit()]
        assert ("details.denied", code) in entries
        assert ("case.details", code) not in entries
        # Nor can the outsider take it.
        answer = await world.press(world.outsider, world.card(code), "Take")
        assert answer["text"] == "Only authorised lawyers and coordinators can do this."
        assert (await world.case_row(code)).claimed_by is None


async def test_details_ask_a_lawyer_who_never_started_the_bot_to_start_it(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        dana = world.lawyers[2]
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        answer = await world.press(dana, world.card(code), "Details")
        assert answer["text"] == "Open a private chat with the bot and press Start first."
        assert not world.bot_messages(dana)


async def forged_presses(
    world: Office, code: str, other_code: str, reporter_data: str
) -> list[str]:
    """Callback data nobody without the server's keys could mint for this case."""
    codec = world.bot.alerts.handlers.codec
    take = codec.encode(ClaimAction.TAKE, code)
    symbols, other_symbols = code.replace("-", ""), other_code.replace("-", "")
    other_take = codec.encode(ClaimAction.TAKE, other_code)
    flipped = "A" if take[-1] != "A" else "B"
    junk = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(63))
    return [
        take[:-1] + flipped,  # a bad tag
        take + "A",  # one character too long
        take[:-1],  # one too short
        other_take.replace(other_symbols, symbols),  # another case's tag, this case's code
        "Kd" + take[2:],  # Take's tag on Decline
        "Kr" + take[2:],  # ... and on Resolve
        "K" + junk,  # 64 bytes of junk that look like ours
        junk + "!",  # 64 bytes of junk
        reporter_data,  # a reporter's questionnaire button pressed on a card
    ]


async def test_forged_card_presses_change_nothing(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        reporter = await world.reporter_through_tier0()
        code = await world.reporter_case_code(reporter)
        other = await world.live_case(Urgency.URGENT)
        await world.settle()
        card = world.card(code)
        assert reporter.last is not None
        reporter_data = str(reporter.last.buttons()[0]["callback_data"])
        row_before = row_values(await world.case_row(code))
        outbox_before = await world.outbox_count()
        audit_before = len(await world.audit())
        for data in await forged_presses(world, code, other, reporter_data):
            assert len(data.encode()) <= 64
            answer = await world.press_data(lena, card, data)
            assert answer.get("text") == STALE, (data, answer)
        await world.settle()
        assert row_values(await world.case_row(code)) == row_before
        assert await world.outbox_count() == outbox_before
        assert len(await world.audit()) == audit_before
        assert [m.message_id for m in world.cards(code)] == [card.message_id]
        assert world.card(code).text == card.text


async def test_a_replayed_take_changes_nothing(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        card = world.card(code)
        take = data_of(card, "Take")
        assert (await world.press(lena, card, "Take"))["text"] == "The case is yours."
        await world.settle()
        row_before = row_values(await world.case_row(code))
        outbox_before = await world.outbox_count()
        before = world.cursor()
        answer = await world.press_data(lena, card, take)
        assert answer["text"] == "The case is yours."
        await world.settle()
        assert row_values(await world.case_row(code)) == row_before
        assert await world.outbox_count() == outbox_before
        assert not world.sent_since(world.group, before)
        assert not [e for e in standin.events(world.group, "edited") if e.seq > before]


async def test_a_lawyer_who_never_wrote_privately_is_named_on_the_card_they_take(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, _marat, dana = world.lawyers
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        assert (await world.press(dana, world.card(code), "Take"))["text"] == "The case is yours."
        await world.settle()
        assert "Taken by: Dana" in world.card(code).text
        answer = await world.press(lena, world.card(code), "Details")
        assert answer["text"] == "Details sent to you privately."
        old_take = ClaimAction.TAKE
        data = world.bot.alerts.handlers.codec.encode(old_take, code)
        answer = await world.press_data(lena, world.card(code), data)
        assert answer["text"] == "Already taken by Dana."
