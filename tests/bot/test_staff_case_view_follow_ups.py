"""The coordinator's case view shows what the reporter added after the questionnaire.

A reporter adds information with /add (or answers a staff member's message that way): words or
a file, stored encrypted as answers ``followup_NNN``. The case view lists them under a heading of
their own, oldest first, each with its time: long words clipped, a file named as a file. A
further report's additions appear under that report, with its own code.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, office
from tests.bot.reporter_driver import Reporter, tr
from tests.bot.staff_support import desk
from tests.databases import ScratchDatabase

EN = tr("en")
MOVED = "They moved him to the airport at 13:40, the flight is tonight."
RULING = "His sister has the court ruling now."
LONG = "The police officer said " + "nothing clear " * 200 + "THE-END-OF-IT"


async def submitted(world: Office, first_name: str) -> Reporter:
    """A reporter who sent the full report (the same detained person for everyone)."""
    reporter = Reporter(world.standin, world.standin.new_user(first_name, language_code="en"))
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    await reporter.answer_until(None)
    await reporter.press(Action.SUBMIT)
    await world.advance(minutes=1)
    return reporter


async def add(world: Office, reporter: Reporter, code: str, text: str | None = None) -> None:
    """/add, then words (or, without `text`, a document); then a few minutes pass."""
    assert (await reporter.command("/add")).text == EN.ui("add_prompt", code=code)
    if text is None:
        saved = await reporter.send_document(b"%PDF-1.4 ruling", "ruling.pdf", "application/pdf")
    else:
        saved = await reporter.say(text)
    assert saved.text == EN.ui("add_saved", code=code)
    await world.advance(minutes=7)


def clock_text(world: Office, minutes_ago: int) -> str:
    """A time shown in the view (the deployment's zone), `minutes_ago` before the fake now."""
    return (world.clock() - timedelta(minutes=minutes_ago)).strftime("%d.%m %H:%M")


async def test_the_case_view_lists_what_the_reporter_added_oldest_first(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        olga = await submitted(world, "Olga")
        pavel = await submitted(world, "Pavel")
        first = await world.reporter_case_code(olga)
        further = await world.reporter_case_code(pavel)
        await add(world, olga, first, MOVED)  # 28 minutes before the view
        await add(world, olga, first)  # a file, 21 minutes before
        await add(world, pavel, further, RULING)  # 14 minutes before
        await add(world, olga, first, LONG)  # 7 minutes before

        view = await desk(world).open_case(first)
        text = view.text or ""
        heading = f"Added later by the reporter of case {first}:"
        assert heading in text
        added = text.split(heading, 1)[1].strip().split("\n\n", 1)[0].split("\n")
        assert added[0] == f"{clock_text(world, 28)} {MOVED}"
        assert added[1] == f"{clock_text(world, 21)} file attached"
        assert added[2].startswith(f"{clock_text(world, 7)} The police officer said nothing")
        assert added[2].endswith("…")
        assert len(added[2]) < 400
        assert len(added) == 3
        assert "THE-END-OF-IT" not in text
        assert "ruling.pdf" not in text
        # The further report's addition, under that report and its own code.
        report = text.split(f"Report {further}", 1)[1]
        heading = f"Added later by the reporter of case {further}:"
        assert f"{heading}\n{clock_text(world, 14)} {RULING}" in report
        assert RULING not in text.split(f"Report {further}", 1)[0]


async def test_many_additions_show_the_newest_ten_after_an_ellipsis(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        olga = await submitted(world, "Olga")
        code = await world.reporter_case_code(olga)
        for n in range(1, 13):
            await add(world, olga, code, f"Addition number {n}.")
        text = (await desk(world).open_case(code)).text or ""
        heading = f"Added later by the reporter of case {code}:"
        added = text.split(heading, 1)[1].strip().split("\n\n", 1)[0].split("\n")
        assert added[0] == "…"
        assert [line.split(" ", 2)[2] for line in added[1:]] == [
            f"Addition number {n}." for n in range(3, 13)
        ]
