"""A claim with no sign of progress lapses; one with progress gets reminders instead."""

from __future__ import annotations

from pathlib import Path

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import office
from tests.databases import ScratchDatabase


async def test_a_claim_without_progress_lapses_after_30_minutes_and_pages_resume(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        await world.advance(minutes=1)
        assert (await world.press(marat, world.card(code), "Take"))["text"] == "The case is yours."
        await world.settle()
        assert "Taken by: Marat" in world.card(code).text
        # While the claim holds, the schedule (round 2 at 5 min) pages nobody.
        since = world.cursor()
        await world.advance(minutes=29)
        assert world.paged(since) == set()
        assert (await world.case_row(code)).claimed_by is not None
        await world.advance(minutes=2)  # 31 minutes after Take, no In contact, no On site
        row = await world.case_row(code)
        assert row.claimed_by is None
        assert row.status == "new"
        card = world.card(code)
        assert "Not taken yet" in card.text
        assert [b["text"] for b in card.buttons()] == ["Take", "Decline", "Details"]
        assert world.paged(since) == {"Lena", "Marat"}
        lapsed = [m.content for m in world.pages(marat, since)]
        assert lapsed
        assert lapsed[0].startswith("Taken but no progress for 30 min")
        assert ("claim.lapsed", code) in [(e.action, e.case_code) for e in await world.audit()]
        # The card works again: Lena takes it.
        assert (await world.press(lena, world.card(code), "Take"))["text"] == "The case is yours."


async def test_in_contact_in_time_keeps_the_claim_and_brings_an_hourly_reminder(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        assert (await world.press(marat, world.card(code), "Take"))["text"] == "The case is yours."
        await world.advance(minutes=20)
        answer = await world.press(lena, world.card(code), "In contact")
        assert answer["text"] == "Only the lawyer who took the case can do this."
        assert (await world.press(marat, world.card(code), "In contact"))["text"] == "Noted."
        await world.settle()
        assert "Taken by: Marat · in contact" in world.card(code).text
        since = world.cursor()
        await world.advance(minutes=15)  # past the 30-minute lapse
        await world.advance(minutes=44)  # 59 minutes after In contact
        assert world.paged(since) == set()
        row = await world.case_row(code)
        assert row.claimed_by == await world.staff_id(marat)
        assert row.progress == "in_contact"
        await world.advance(minutes=1)  # an hour after In contact
        assert world.paged(since) == {"Marat"}
        [reminder] = world.pages(marat, since)
        assert reminder.content.startswith("Reminder: this case is still open.")
        assert [b["text"] for b in reminder.buttons()] == [
            "In contact",
            "On site",
            "Details",
            "Resolve",
            "Write to reporter",  # the one holding the case may write to its reporter
        ]
        since = world.cursor()
        await world.advance(minutes=60)
        assert world.paged(since) == {"Marat"}
        # Resolved: no more reminders, and the card has no buttons left.
        assert (await world.press(marat, world.card(code), "Resolve"))["text"] == "Case closed."
        await world.settle()
        assert world.card(code).buttons() == []
        since = world.cursor()
        await world.advance(hours=5)
        assert world.paged(since) == set()
