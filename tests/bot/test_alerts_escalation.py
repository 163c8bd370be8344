"""Escalation by the clock: who is paged when, across a restart, and /roster and /oncall."""

from __future__ import annotations

from pathlib import Path

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, office
from tests.databases import ScratchDatabase


async def at_minute(world: Office, start: int, minute: int) -> int:
    """Move the clock to `minute` minutes after the case went live; returns the event cursor."""
    before = world.cursor()
    elapsed = (world.clock.now - world.marks[start][1]).total_seconds() / 60
    await world.advance(minutes=minute - elapsed)
    return before


async def test_roster_commands_set_who_is_on_call(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, dana = world.lawyers
        reply = await world.say_privately(lena, "/oncall")
        assert reply.text == "On call now. Primary: nobody. Secondary: nobody."
        await world.put_on_call(primary=lena, secondary=marat)
        reply = await world.say_privately(dana, "/oncall")
        assert reply.text == "On call now. Primary: Lena. Secondary: Marat."
        listing = await world.say_privately(world.coordinator, "/roster", "list")
        assert listing.text is not None
        assert "1. mon 00:00-24:00 primary: Lena" in listing.text
        assert "sun 00:00-24:00 secondary: Marat" in listing.text
        # A lawyer may not change the roster; a wrong command gets the usage.
        reply = await world.say_privately(
            lena, "/roster", f"add daily 00:00-24:00 primary {lena.id}"
        )
        assert reply.text != "Added."
        usage = await world.say_privately(world.coordinator, "/roster", "add someday 9-5 primary 1")
        assert (usage.text or "").startswith("/roster list")
        stranger = await world.say_privately(
            world.coordinator, "/roster", f"add mon 09:00-18:00 primary {world.outsider.id}"
        )
        assert stranger.text == "That person is not a lawyer or coordinator of this bot."
        # A substitute stands in for the primary for an afternoon.
        start = world.clock.now.strftime("%Y-%m-%dT%H:%M")
        end = (world.clock.now.replace(hour=18)).strftime("%Y-%m-%dT%H:%M")
        reply = await world.say_privately(
            world.coordinator, "/roster", f"sub {start} {end} primary {dana.id}"
        )
        assert reply.text == "Added."
        reply = await world.say_privately(marat, "/oncall")
        assert reply.text == "On call now. Primary: Dana. Secondary: Marat."
        await world.advance(hours=5)
        reply = await world.say_privately(marat, "/oncall")
        assert reply.text == "On call now. Primary: Lena. Secondary: Marat."


async def test_urgent_case_escalates_on_schedule_across_a_restart(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        before = world.cursor()
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        start = len(world.marks)
        world.mark(world.clock.now)
        # At 0: the card in the group and a private page to the primary.
        assert len(world.sent_since(world.group, before)) == 1
        assert world.card(code).text.startswith(f"🔴 URGENT · {code}")
        assert world.paged(before) == {"Lena"}
        assert world.pages(lena, before)[0].content.startswith("New case needs a lawyer:")

        since = await at_minute(world, start, 4)
        assert world.paged(since) == set()
        since = await at_minute(world, start, 5)
        assert world.paged(since) == {"Lena", "Marat"}
        assert all(m.content.startswith("Still not taken:") for m in world.pages(marat, since))

        await world.restart()  # a new process on the same database and keyring
        since = await at_minute(world, start, 14)
        assert world.paged(since) == set()
        for minute in (15, 30, 45, 60):
            since = await at_minute(world, start, minute)
            assert world.paged(since) == {"Lena", "Marat", "Kira"}, minute
            for user in (lena, marat, world.coordinator):
                assert len(world.pages(user, since)) == 1
        since = await at_minute(world, start, 61)
        for minute in (75, 90, 120, 600):
            await at_minute(world, start, minute)
        assert world.paged(since) == set()
        assert world.cards(code) == [world.card(code)]
        assert len(world.sent_since(world.group, before)) == 1  # the card, and nothing else


async def test_high_case_pages_the_primary_at_15_and_coordinators_at_60(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        before = world.cursor()
        code = await world.live_case(Urgency.HIGH)
        await world.settle()
        start = len(world.marks)
        world.mark(world.clock.now)
        assert world.card(code).text.startswith(f"🟠 HIGH · {code}")
        assert world.paged(before) == set()
        since = await at_minute(world, start, 14)
        assert world.paged(since) == set()
        since = await at_minute(world, start, 15)
        assert world.paged(since) == {"Lena"}
        since = await at_minute(world, start, 59)
        assert world.paged(since) == set()
        since = await at_minute(world, start, 60)
        assert world.paged(since) == {"Kira"}
        since = await at_minute(world, start, 61)
        await at_minute(world, start, 600)
        assert world.paged(since) == set()


async def test_a_lawyer_who_never_started_the_bot_is_flagged_to_the_coordinator_once(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, _marat, dana = world.lawyers
        await world.put_on_call(primary=dana, secondary=lena)
        before = world.cursor()
        first = await world.live_case(Urgency.URGENT)
        await world.settle()
        start = len(world.marks)
        world.mark(world.clock.now)
        second = await world.live_case(Urgency.URGENT)
        for minute in (5, 15, 30, 45, 60, 75):
            await at_minute(world, start, minute)
        told = [m.text or "" for m in world.sent_since(world.coordinator, before)]
        flags = [t for t in told if "cannot be reached privately" in t]
        assert len(flags) == 1, told
        assert "Dana" in flags[0]
        assert not [t for t in told if t.startswith("Could not deliver")], told
        # Lena, the secondary, had every page meant for her.
        assert {
            c for m in world.pages(lena, before) for c in (first, second) if c in m.content
        } == {
            first,
            second,
        }
        # Once Dana opens a private chat with the bot, she is paged again.
        await world.say_privately(dana, "/start")
        since = world.cursor()
        third = await world.live_case(Urgency.URGENT)
        await world.settle()
        assert any(third in m.content for m in world.pages(dana, since))


async def test_a_lawyer_removed_from_the_settings_loses_access_at_the_next_start(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, dana = world.lawyers
        await world.put_on_call(primary=marat, secondary=lena)
        world.settings = world.settings.model_copy(
            update={"lawyer_ids": frozenset({lena.id, dana.id})}
        )
        await world.restart()
        before = world.cursor()
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        answer = await world.press(marat, world.card(code), "Take")
        assert answer["text"] == "Only authorised lawyers and coordinators can do this."
        answer = await world.press(marat, world.card(code), "Details")
        assert answer["text"] == "Only authorised lawyers and coordinators can do this."
        assert (await world.case_row(code)).claimed_by is None
        # Marat is off the roster in effect: the secondary is on call, the primary nobody.
        assert "Marat" not in world.paged(before)
        reply = await world.say_privately(lena, "/oncall")
        assert reply.text == "On call now. Primary: nobody. Secondary: Lena."
        # Back in the settings, back in office.
        world.settings = world.settings.model_copy(
            update={"lawyer_ids": frozenset({lena.id, marat.id, dana.id})}
        )
        await world.restart()
        answer = await world.press(marat, world.card(code), "Take")
        assert answer["text"] == "The case is yours."
