"""Retention in Telegram: coordinators see what expires soon and keep a case longer; the daily
job, on the injected clock, crypto-shreds what expired and blanks its card."""

from __future__ import annotations

from pathlib import Path

from bot.domain.cases import CaseStatus, Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, office
from tests.bot.staff_support import (
    PERSON,
    audit_of,
    card_of,
    close_case,
    desk,
    labels,
    linked_case,
    person_case,
)
from tests.databases import ScratchDatabase


async def close_through_the_bot(world: Office, code: str) -> None:
    """The coordinator closes a case from its view (Status → closed)."""
    kira = desk(world)
    menu = (await kira.press(await kira.open_case(code), "Status")).screen
    assert menu is not None
    assert (await kira.press(menu, "closed")).toast == f"Status of {code}: closed."
    await world.settle()


async def run_daily_job(world: Office) -> None:
    """Run the Application's daily retention job now (it reads the time from the fake clock)."""
    job_queue = world.bot.application.job_queue
    assert job_queue is not None
    [job] = job_queue.get_jobs_by_name("retention")
    await job.run(world.bot.application)
    await world.settle()


async def stored(world: Office, code: str) -> bool:
    """Whether a case is still in the database."""
    async with world.runtime.store.transaction() as tx:
        return await tx.cases.by_code(code) is not None


async def test_expiring_cases_are_listed_ahead_and_kept_longer_with_one_press(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        soon = await world.live_case(Urgency.URGENT)
        later = await world.live_case(Urgency.HIGH)
        still_open = await world.live_case(Urgency.NORMAL)
        await world.settle()
        await close_through_the_bot(world, soon)  # 12.01: kept 90 days, until 12.04
        await world.advance(days=20)
        await close_case(world, later, CaseStatus.RELEASED, world.clock())  # until 02.05
        await world.advance(days=65)  # 07.04
        kira = desk(world)

        week = await kira.command("/expiring")
        assert (
            week.text
            == f"Due to be erased within 7 days: 1\n{soon} · closed · erased on 12.04.2026"
        )
        assert labels(week) == [f"Keep {soon} 30 days longer"]
        month = await kira.command("/expiring", "30")
        assert (month.text or "").splitlines() == [
            "Due to be erased within 30 days: 2",
            f"{soon} · closed · erased on 12.04.2026",
            f"{later} · released · erased on 02.05.2026",
        ]
        assert still_open not in (month.text or "")

        kept = await kira.press(week, f"Keep {soon} 30 days longer")
        assert kept.toast == f"{soon} is kept until 12.05.2026."
        assert kept.screen is not None
        assert kept.screen.message_id == week.message_id
        assert kept.screen.text == "No case is due to be erased within 7 days."
        kira_id = await world.staff_id(world.coordinator)
        assert await audit_of(world, "case.retention_extended") == [
            (f"staff:{kira_id}", soon, "+30d until 2026-05-12")
        ]
        row = await world.case_row(soon)
        assert row.retain_until is not None
        assert row.status == "closed"
        assert "Kira: kept longer" in ((await kira.open_case(soon)).text or "")
        # Pressing Keep once more counts from the new date (another 30 days).
        again = await kira.press(month, f"Keep {soon} 30 days longer")
        assert again.toast == f"{soon} is kept until 11.06.2026."
        assert again.screen is not None
        assert (again.screen.text or "").splitlines()[1:] == [
            f"{later} · released · erased on 02.05.2026"
        ]

        # Lawyers see no list and can keep nothing.
        lena = desk(world, world.lawyers[0])
        replies = await lena.silence_after("/expiring", "30")
        assert all(later not in m.content for m in replies)
        refused = await lena.press_data(
            world.bot_messages(world.lawyers[0])[0], f"Sx{later.replace('-', '')}30", screen=False
        )
        assert refused.toast == "This is for coordinators."
        assert len(await audit_of(world, "case.retention_extended")) == 2


async def test_the_daily_job_shreds_expired_cases_on_the_injected_clock_and_blanks_their_cards(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        expired = await person_case(world, PERSON)
        await world.settle()
        further = await linked_case(world, expired)
        kept = await world.live_case(Urgency.HIGH)
        await world.settle()
        card = await card_of(world, expired)
        await close_through_the_bot(world, expired)
        await close_through_the_bot(world, kept)
        await world.advance(days=85)
        kira = desk(world)
        week = await kira.command("/expiring")
        assert sorted(codes_listed(week.text or "")) == sorted([expired, kept])
        await kira.press(week, f"Keep {kept} 30 days longer")

        # One hour before the window ends nothing goes; one hour after it, the case goes with
        # its further report, and the kept case stays.
        await world.advance(days=4, hours=23)
        await run_daily_job(world)
        assert await stored(world, expired)
        assert await stored(world, further)
        await world.advance(hours=2)
        await run_daily_job(world)
        assert not await stored(world, expired)
        assert not await stored(world, further)
        assert await stored(world, kept)
        assert await audit_of(world, "case.shredded") == [
            ("system", further, f"with {expired}"),
            ("system", expired, "retention: closed +90d"),
        ]
        blank = next(m for m in world.bot_messages(world.group) if m.message_id == card.message_id)
        assert (blank.text or "").startswith(f"Case {expired}: erased")
        assert "Almaty" not in (blank.text or "")
        assert blank.buttons() == []
        week = await kira.command("/expiring")
        assert week.text == "No case is due to be erased within 7 days."

        # The kept case goes when its extension ends.
        await world.advance(days=30)
        await run_daily_job(world)
        assert not await stored(world, kept)
        assert (await audit_of(world, "case.shredded"))[-1] == (
            "system",
            kept,
            "retention: closed +90d (extended)",
        )


async def test_a_case_with_a_report_after_its_closing_is_listed_as_held(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        first = await person_case(world, PERSON)
        await world.settle()
        await close_through_the_bot(world, first)
        await world.advance(days=10)
        late = await linked_case(world, first)
        await world.advance(days=81)
        listing = await desk(world).command("/expiring")
        assert (listing.text or "").splitlines()[1] == (
            f"{first} · closed · erased at the next daily run · held: a further report came "
            "after it was closed"
        )
        await run_daily_job(world)
        assert await stored(world, first)
        assert await stored(world, late)


def codes_listed(text: str) -> list[str]:
    """The codes an /expiring screen lists, top to bottom."""
    return [line.split(" · ")[0] for line in text.splitlines()[1:]]
