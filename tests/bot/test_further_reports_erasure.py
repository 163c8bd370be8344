"""The first reporter of a person erases their data: the other reporters' reports carry on.

Two or three relatives report the same person; the intake links the later reports to the first
case. When the first reporter erases everything (or the first case is shredded any other way),
the oldest further report takes the first case's place: its status, the claim, the higher
urgency, the count of the reports left, a card of its own, and escalation from the first round
when nobody holds it. Nothing of the erased case or its reporter reaches the others.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, office
from tests.bot.reporter_driver import Reporter, tr
from tests.bot.staff_support import audit_of, card_of, desk, labels
from tests.databases import ScratchDatabase

EN = tr("en")
ERASED_CARD = "Case {code}: erased, its data can no longer be read."


async def submitted(world: Office, first_name: str, reporter: Reporter | None = None) -> Reporter:
    """A reporter who sent the full report (the same detained person for everyone)."""
    if reporter is None:
        reporter = Reporter(world.standin, world.standin.new_user(first_name, language_code="en"))
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    await reporter.answer_until(None)
    await reporter.press(Action.SUBMIT)
    await world.advance(minutes=1)  # reports come one after another ("the oldest" is clear)
    return reporter


async def erase_self(world: Office, reporter: Reporter) -> None:
    """The reporter erases all their data with /erase."""
    await catch_up(reporter)
    assert (await reporter.command("/erase")).text == EN.ui("erase_confirm")
    assert (await reporter.press(Action.ERASE_YES)).text == EN.ui("erased")
    await world.settle()


async def catch_up(reporter: Reporter) -> None:
    """Read what the bot sent the reporter unasked, so that the next reply is an answer."""
    await reporter.standin.wait_idle()
    seen = reporter.last.message_id if reporter.last is not None else 0
    unread = [
        m for m in reporter.standin.transcript(reporter.user) if m.from_bot and m.message_id > seen
    ]
    for _ in unread:
        await reporter.next_message()


async def status_of(reporter: Reporter) -> str:
    """What /status tells a reporter."""
    await catch_up(reporter)
    reply = await reporter.command("/status")
    return reply.text or ""


def status_text(code: str, status: str) -> str:
    return EN.ui("status", code=code, status=EN.ui(f"status_{status}"))


def blanked(world: Office, message_id: int) -> str:
    [card] = [m for m in world.bot_messages(world.group) if m.message_id == message_id]
    return card.text or ""


def said_to(world: Office, reporter: Reporter) -> str:
    return "\n".join(m.content for m in world.bot_messages(reporter.user))


async def test_the_first_reporter_erasing_hands_an_unclaimed_case_to_the_further_report(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        await world.put_on_call(primary=lena)
        olga = await submitted(world, "Olga")
        pavel = await submitted(world, "Pavel")
        first = await world.reporter_case_code(olga)
        further = await world.reporter_case_code(pavel)
        first_card = await card_of(world, first)
        assert world.cards(further) == []  # a further report has no card of its own

        before = world.cursor()
        await erase_self(world, olga)

        row = await world.case_row(further)
        assert row.duplicate_of is None
        assert (row.status, row.urgency, row.report_count) == ("new", "urgent", 1)
        assert row.claimed_by is None
        assert row.next_escalation_at is not None  # escalation runs for it now
        # The old card is blanked; the person's case has a card again, to be taken.
        assert blanked(world, first_card.message_id) == ERASED_CARD.format(code=first)
        card = world.card(further)
        assert labels(card) == ["Take", "Decline", "Details"]
        # And the on-call lawyer is paged about it at once.
        assert any(further in page.content for page in world.pages(lena, before))
        assert await audit_of(world, "case.promoted") == [
            ("system", further, f"in place of {first}")
        ]
        # The coordinator's case view says so in its history.
        view = await desk(world).open_case(further)
        assert f"took the place of {first} (erased)" in (view.text or "")

        # A lawyer takes it; the remaining reporter is told under their own code.
        since = world.cursor()
        assert (await world.press(lena, card, "Take"))["text"] == "The case is yours."
        await world.settle()
        told = [m.text for m in world.sent_since(pavel.user, since)]
        assert told == [EN.alert("reporter_assigned", code=further)]
        assert await status_of(pavel) == status_text(further, "assigned")
        assert first not in said_to(world, pavel)
        assert "Olga" not in said_to(world, pavel)


async def test_a_held_case_keeps_its_lawyer_and_timer_and_the_third_report_follows_the_heir(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        olga = await submitted(world, "Olga")
        pavel = await submitted(world, "Pavel")
        roman = await submitted(world, "Roman")
        first = await world.reporter_case_code(olga)
        second = await world.reporter_case_code(pavel)
        third = await world.reporter_case_code(roman)
        assert (await world.case_row(first)).report_count == 3
        assert (await world.press(lena, world.card(first), "Take"))["text"] == "The case is yours."
        await world.settle()
        held = await world.case_row(first)
        assert held.claimed_by == await world.staff_id(lena)

        await erase_self(world, olga)

        heir = await world.case_row(second)
        assert heir.duplicate_of is None
        assert (heir.status, heir.urgency, heir.report_count) == ("assigned", "urgent", 2)
        assert (heir.claimed_by, heir.claimed_at) == (held.claimed_by, held.claimed_at)
        assert heir.next_escalation_at == held.next_escalation_at  # the claim's lapse timer
        assert (await world.case_row(third)).duplicate_of == heir.id
        card = world.card(second)
        assert "Taken by: Lena" in (card.text or "")
        assert "Reports: 2" in (card.text or "")
        assert labels(card) == ["In contact", "On site", "Details", "Resolve"]
        assert await audit_of(world, "case.promoted") == [
            ("system", second, f"in place of {first}")
        ]
        assert await audit_of(world, "case.relinked") == [("system", third, f"to {second}")]
        assert await status_of(roman) == status_text(third, "assigned")

        # The claim still lapses on time: no progress in 30 minutes, and the lawyers hear of it.
        since = world.cursor()
        await world.advance(minutes=31)
        lapsed = [p.content for p in world.pages(lena, since) if second in p.content]
        assert lapsed
        assert lapsed[0].startswith("Taken but no progress for 30 min")
        assert (await world.case_row(second)).claimed_by is None
        for reporter in (pavel, roman):
            assert first not in said_to(world, reporter)


async def test_a_reporter_with_two_reports_of_the_person_leaves_the_other_reporters_case(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        olga = await submitted(world, "Olga")
        first = await world.reporter_case_code(olga)
        await submitted(world, "Olga", olga)  # Olga reports the same person again
        again = await world.reporter_case_code(olga)
        pavel = await submitted(world, "Pavel")
        further = await world.reporter_case_code(pavel)
        first_id = (await world.case_row(first)).id
        assert (await world.case_row(again)).duplicate_of == first_id
        assert (await world.case_row(further)).duplicate_of == first_id

        await erase_self(world, olga)

        heir = await world.case_row(further)
        assert (heir.duplicate_of, heir.report_count) == (None, 1)
        # Handed over once, straight to the other reporter's report (never to Olga's own).
        assert await audit_of(world, "case.promoted") == [
            ("system", further, f"in place of {first}")
        ]
        assert await audit_of(world, "case.relinked") == []
        assert world.card(further).buttons()


async def test_a_further_reporter_erasing_leaves_the_case_one_report_fewer(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        olga = await submitted(world, "Olga")
        pavel = await submitted(world, "Pavel")
        first = await world.reporter_case_code(olga)
        assert "Reports: 2" in ((await card_of(world, first)).text or "")

        await erase_self(world, pavel)

        row = await world.case_row(first)
        assert (row.report_count, row.duplicate_of) == (1, None)
        assert "Reports:" not in ((await card_of(world, first)).text or "")
        assert await audit_of(world, "case.promoted") == []
