"""Two relatives report the same person: the second report follows the first case, silently.

The intake links the second report to the first case (same name and birth date: the blind
index). Staff then work on the first case only; the second reporter's /status follows that
case under their own case code, and learns nothing else about it or about the other reporter.
Coordinators see the person once in their lists and counts.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, codes_in, office
from tests.bot.reporter_driver import Reporter, tr
from tests.bot.staff_support import desk, labels
from tests.databases import ScratchDatabase

EN = tr("en")


async def submitted(world: Office, first_name: str) -> Reporter:
    """A reporter who sent the full report (the same detained person for everyone)."""
    reporter = Reporter(world.standin, world.standin.new_user(first_name, language_code="en"))
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    await reporter.answer_until(None)
    await reporter.press(Action.SUBMIT)
    return reporter


async def notices(world: Office, reporter: Reporter, since: int) -> list[str]:
    """What the bot told a reporter unasked after event `since` (read off, so the next reply
    is the answer to the reporter's next message)."""
    await world.settle()
    told = world.sent_since(reporter.user, since)
    for _ in told:
        await reporter.next_message()
    return [m.text or "" for m in told]


async def status_of(reporter: Reporter) -> str:
    """What /status tells a reporter."""
    reply = await reporter.command("/status")
    return reply.text or ""


def status_text(code: str, status: str) -> str:
    return EN.ui("status", code=code, status=EN.ui(f"status_{status}"))


async def test_the_second_reporter_sees_the_first_cases_progress_under_their_own_code(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        olga = await submitted(world, "Olga")
        pavel = await submitted(world, "Pavel")
        await world.settle()
        first = await world.reporter_case_code(olga)
        further = await world.reporter_case_code(pavel)
        assert further != first
        assert (await world.case_row(further)).duplicate_of == (await world.case_row(first)).id
        assert (await world.case_row(first)).report_count == 2
        assert await status_of(pavel) == status_text(further, "new")

        # The coordinator sees one person waiting, not two.
        kira = desk(world)
        listing = await kira.command("/cases")
        assert listing.text == "Cases: open (1)"
        assert [c for label in labels(listing) for c in codes_in(label)] == [first]
        stats = await kira.command("/stats", "1")
        assert "Not taken now: 1" in (stats.caption or "")

        # A lawyer takes the first case: the second reporter sees it taken.
        lena = world.lawyers[0]
        before = world.cursor()
        taken = await world.press(lena, world.card(first), "Take")
        assert taken["text"] == "The case is yours."
        told_olga = await notices(world, olga, before)
        assert len(told_olga) == 1
        assert first in told_olga[0]
        for text in await notices(world, pavel, before):
            assert first not in text
        assert await status_of(pavel) == status_text(further, "assigned")
        assert "Not taken now: 0" in ((await kira.command("/stats", "1")).caption or "")

        # The coordinator moves it on: both reporters see where it stands.
        menu = (await kira.press(await kira.open_case(first), "Status")).screen
        assert menu is not None
        before = world.cursor()
        pressed = await kira.press(menu, "in court")
        assert pressed.toast == f"Status of {first}: in court."
        assert len(await notices(world, olga, before)) == 1
        for text in await notices(world, pavel, before):
            assert first not in text
        assert await status_of(pavel) == status_text(further, "in_court")
        assert await status_of(olga) == status_text(first, "in_court")
        assert (await world.case_row(further)).status == "new"  # its own row stays as linked

        # Nothing of the first case or its reporter, or of the lawyer, reached the second.
        said = "\n".join(m.content for m in standin.transcript(pavel.user) if m.from_bot)
        assert first not in said
        for word in ("Olga", "Lena", "already", "another", "duplicate", "2 report"):
            assert word not in said
