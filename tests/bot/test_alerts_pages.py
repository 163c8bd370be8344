"""Private pages that are not escalation rounds: assignments, and several pages at once.

An assignment by a coordinator pages the lawyer through the outbox (retried like any page, and
dropped once the case has gone to someone else); pages that meet in one pass become one message,
whose keyboard offers Take only for the cases still unclaimed and is left out when there is none.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser
from tests.bot.alert_support import Office, office
from tests.bot.staff_support import desk, labels
from tests.databases import ScratchDatabase

HELD = ["In contact", "On site", "Details", "Resolve", "Write to reporter"]


async def assign(world: Office, code: str, lawyer: PlayUser) -> str | None:
    """The coordinator assigns a case to a lawyer from the case view; the toast."""
    kira = desk(world)
    menu = (await kira.press(await kira.open_case(code), "Assign")).screen
    assert menu is not None
    return (await kira.press(menu, lawyer.first_name)).toast


def failures_told(world: Office, since: int) -> list[str]:
    """Delivery failures the coordinator was told of after event `since`."""
    texts = [m.content for m in world.sent_since(world.coordinator, since)]
    return [t for t in texts if t.startswith("Could not deliver")]


async def page_rows(world: Office, user: PlayUser) -> list[tuple[str, str | None, int]]:
    """(status, error code, attempts) of every page queued for a staff member."""
    staff_id = await world.staff_id(user)
    rows = [r for r in await world.outbox() if r.destination == f"staff:{staff_id}"]
    return [(r.status, r.error_code, r.attempts) for r in rows if r.kind == "page"]


async def test_an_assignment_page_is_retried_until_it_reaches_the_lawyer(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        code = await world.live_case(Urgency.HIGH)  # HIGH: the card only, no page at first
        await world.settle()
        since = world.cursor()
        outage = standin.faults.add("5xx", method="sendMessage", chat_id=lena.id, count=1)
        assert await assign(world, code, lena) == f"{code} assigned to Lena."
        await world.settle()
        assert outage.hits == 1
        assert world.pages(lena, since) == []
        [(status, error, attempts)] = await page_rows(world, lena)
        assert (status, attempts) == ("pending", 1)
        assert error is not None

        await world.advance(seconds=31)  # past the longest backoff
        [page] = world.pages(lena, since)
        assert page.content.split("\n")[:2] == [
            "This case was assigned to you:",
            f"🟠 HIGH · {code} · Almaty",
        ]
        assert labels(page) == HELD
        assert [(s, n) for s, _, n in await page_rows(world, lena)] == [("sent", 2)]
        assert failures_told(world, since) == []


async def test_an_assignment_page_held_back_is_dropped_once_the_case_went_to_another(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        code = await world.live_case(Urgency.HIGH)
        await world.settle()
        since = world.cursor()
        outage = standin.faults.add("5xx", method="sendMessage", chat_id=lena.id)
        await assign(world, code, lena)
        await world.settle()
        assert outage.hits >= 1
        assert await assign(world, code, marat) == f"{code} assigned to Marat."
        await world.settle()
        [page] = world.pages(marat, since)
        assert page.content.startswith("This case was assigned to you:")
        outage.remove()
        await world.advance(seconds=31)
        # The page to Lena would say something no longer true: it is folded, never sent.
        assert world.pages(lena, since) == []
        [(status, error, _)] = await page_rows(world, lena)
        assert (status, error) == ("folded", "no_longer_news")


async def test_two_reminders_at_once_come_as_one_reminder_page_without_a_keyboard(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        await world.put_on_call(primary=lena)
        codes = [await world.live_case(Urgency.URGENT) for _ in range(2)]
        await world.settle()
        for code in codes:
            assert (await world.press(lena, world.card(code), "Take"))["text"] == (
                "The case is yours."
            )
            await world.settle()  # the card now shows the taker's buttons
            assert (await world.press(lena, world.card(code), "In contact"))["text"] == "Noted."
        await world.settle()
        since = world.cursor()
        await world.advance(minutes=60)  # both hourly reminders fall due in the same pass
        [page] = world.pages(lena, since)
        title, *lines = page.content.split("\n")
        assert title == "Reminder: still open with you (2):"
        assert sorted(lines) == sorted(f"🔴 URGENT · {code} · Almaty" for code in codes)
        assert page.buttons() == []  # nothing to take; an empty keyboard would be refused
        assert failures_told(world, since) == []
        assert [s for s, _, _ in await page_rows(world, lena)].count("failed") == 0


async def test_a_page_about_a_new_case_and_a_held_one_offers_take_only_for_the_new_one(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        await world.put_on_call(primary=lena)
        held = await world.live_case(Urgency.URGENT)
        await world.settle()
        await world.press(lena, world.card(held), "Take")
        await world.settle()
        await world.press(lena, world.card(held), "In contact")  # reminder in 60 minutes
        await world.advance(minutes=55)
        fresh = await world.live_case(Urgency.URGENT, city="Astana")  # its second round: +5
        await world.settle()
        since = world.cursor()
        await world.advance(minutes=5)
        [page] = world.pages(lena, since)
        assert page.content == (
            f"Still not taken:\n🔴 URGENT · {fresh} · Astana\n\n"
            f"Reminder: still open with you (1):\n🔴 URGENT · {held} · Almaty"
        )
        assert labels(page) == [f"Take {fresh}"]
        assert failures_told(world, since) == []
