"""Every reporter of a person hears that a lawyer took the case and that there is news.

Staff work on the person's first case; the further reports linked to it (by the intake or a
coordinator's merge) do not move. Their reporters are told the same neutral notices as the first
reporter, each under their own case code, in their own language, and nothing else: never the
first case's code, the other reporters, or a staff member's words meant for someone else.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, office
from tests.bot.reporter_driver import Reporter, tr
from tests.bot.staff_support import desk
from tests.databases import ScratchDatabase

EN = tr("en")
UK = tr("uk")


async def submitted(
    world: Office, first_name: str, language: str = "en", reporter: Reporter | None = None
) -> Reporter:
    """A reporter who sent the full report (the same detained person for everyone)."""
    if reporter is None:
        user = world.standin.new_user(first_name, language_code=language)
        reporter = Reporter(world.standin, user)
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    await reporter.answer_until(None)
    await reporter.press(Action.SUBMIT)
    await world.advance(minutes=1)
    return reporter


def told(world: Office, reporter: Reporter, since: int) -> list[str]:
    """What the bot sent a reporter after event `since`."""
    return [m.content for m in world.sent_since(reporter.user, since)]


async def test_further_reporters_hear_the_take_and_the_status_change_under_their_own_codes(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        olga = await submitted(world, "Olga")
        pavel = await submitted(world, "Pavel")
        roman = await submitted(world, "Roman", "uk")
        first = await world.reporter_case_code(olga)
        second = await world.reporter_case_code(pavel)
        third = await world.reporter_case_code(roman)
        first_id = (await world.case_row(first)).id
        assert {(await world.case_row(c)).duplicate_of for c in (second, third)} == {first_id}

        # A lawyer takes the person's case: all three reporters are told, each of their own case.
        lena = world.lawyers[0]
        since = world.cursor()
        assert (await world.press(lena, world.card(first), "Take"))["text"] == "The case is yours."
        await world.settle()
        assert told(world, olga, since) == [EN.alert("reporter_assigned", code=first)]
        assert told(world, pavel, since) == [EN.alert("reporter_assigned", code=second)]
        assert told(world, roman, since) == [UK.alert("reporter_assigned", code=third)]

        # A coordinator moves it on: the same again, with the status notice.
        kira = desk(world)
        menu = (await kira.press(await kira.open_case(first), "Status")).screen
        assert menu is not None
        since = world.cursor()
        assert (await kira.press(menu, "in court")).toast == f"Status of {first}: in court."
        await world.settle()
        assert told(world, olga, since) == [EN.alert("reporter_status_changed", code=first)]
        assert told(world, pavel, since) == [EN.alert("reporter_status_changed", code=second)]
        assert told(world, roman, since) == [UK.alert("reporter_status_changed", code=third)]

        # Words a coordinator writes to one reporter go to that reporter only.
        since = world.cursor()
        prompt = (await kira.press(await kira.open_case(first), "Write to reporter")).screen
        assert prompt is not None
        assert (await kira.say("Please call the office.")).text == EN.staff("contact_sent")
        await world.settle()
        assert len(told(world, olga, since)) == 1
        assert told(world, pavel, since) == []
        assert told(world, roman, since) == []

        # Nothing of the first case or of the other people reached the further reporters.
        for reporter, others in ((pavel, (first, third)), (roman, (first, second))):
            said = "\n".join(m.content for m in world.bot_messages(reporter.user))
            for word in (*others, "Olga", "Pavel", "Roman", "Lena", "Kira", "call the office"):
                assert word not in said


async def test_a_reporter_who_reported_the_person_twice_is_told_once(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        olga = await submitted(world, "Olga")
        first = await world.reporter_case_code(olga)
        await submitted(world, "Olga", reporter=olga)
        again = await world.reporter_case_code(olga)
        assert (await world.case_row(again)).duplicate_of == (await world.case_row(first)).id
        pavel = await submitted(world, "Pavel")
        second = await world.reporter_case_code(pavel)

        since = world.cursor()
        await world.press(world.lawyers[0], world.card(first), "Take")
        await world.settle()
        assert told(world, olga, since) == [EN.alert("reporter_assigned", code=first)]
        assert told(world, pavel, since) == [EN.alert("reporter_assigned", code=second)]
