"""/stats: figures for a period as a chart picture with the same figures as its caption."""

from __future__ import annotations

from pathlib import Path

from bot.domain.cases import CaseStatus, Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import office
from tests.bot.staff_support import close_case, desk
from tests.databases import ScratchDatabase

PNG = b"\x89PNG\r\n\x1a\n"


async def test_statistics_come_as_a_chart_with_the_figures_in_its_caption(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        # 12.01: two urgent cases, taken after 10 and 30 minutes; one normal case, closed.
        first = await world.live_case(Urgency.URGENT)
        second = await world.live_case(Urgency.URGENT)
        quiet = await world.live_case(Urgency.NORMAL)
        await world.settle()
        for code, minutes in ((first, 10), (second, 20)):
            await world.advance(minutes=minutes)
            assert (await world.press(lena, world.card(code), "Take"))["text"] == (
                "The case is yours."
            )
            await world.settle()
            # In contact at once, so the claim does not lapse while the days pass.
            assert (await world.press(lena, world.card(code), "In contact"))["text"] == "Noted."
        await close_case(world, quiet, CaseStatus.CLOSED, world.clock())
        # 13.01 at 02:00 in Almaty (still 12.01 in UTC): a normal case, counted on the 13th.
        await world.advance(hours=11, minutes=30)
        await world.live_case(Urgency.NORMAL)
        # 14.01: one high case nobody took.
        await world.advance(days=1, hours=12, minutes=30)
        await world.live_case(Urgency.HIGH)
        await world.advance(minutes=1)

        reply = await desk(world).command("/stats", "7")
        assert reply.kind == "photo"
        assert reply.caption == "\n".join(
            [
                "Last 7 days",
                "By status: received, lawyers alerted 2, a lawyer is in contact 2, closed 1",
                "By urgency: URGENT 2, HIGH 1, normal 2",
                "Reports per day: 12.01 3, 13.01 1, 14.01 1",
                "Time to claim: median 20 min, 90% within 30 min",
                "Not taken now: 2",
            ]
        )
        biggest = max(reply.media["photo"], key=lambda size: size.get("file_size", 0))
        picture = standin.file_bytes(biggest["file_id"])
        assert picture.startswith(PNG)
        assert len(picture) > 5_000  # a drawn chart, not an empty image

        # A shorter period leaves the older cases out; nothing claimed in it.
        one_day = await desk(world).command("/stats", "1")
        assert one_day.caption is not None
        assert "By urgency: HIGH 1\n" in one_day.caption
        assert "Time to claim: no claims yet" in one_day.caption


async def test_statistics_are_only_for_coordinators(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        await world.live_case(Urgency.URGENT)
        await world.settle()
        replies = await desk(world, world.lawyers[0]).silence_after("/stats")
        assert all(m.kind != "photo" for m in replies)
        assert all("By status" not in m.content for m in replies)
