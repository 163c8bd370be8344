"""The card of a case merged into another is rewritten through the outbox: failures and restarts
do not leave a Take button on a case whose work goes on elsewhere."""

from __future__ import annotations

from pathlib import Path

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import office
from tests.bot.staff_support import PERSON, card_of, desk, labels, person_case
from tests.databases import ScratchDatabase


async def test_the_merged_cards_edit_is_retried_across_an_outage_and_a_restart(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        # The same person a month apart: two cards, the later one still open to Take.
        first = await person_case(world, PERSON, Urgency.NORMAL)
        await world.settle()
        await world.advance(days=31)
        second = await person_case(world, PERSON, Urgency.URGENT, city="Astana")
        await world.settle()
        assert labels(await card_of(world, second)) == ["Take", "Decline", "Details"]

        outage = standin.faults.add("5xx", method="editMessageText", chat_id=world.group.id)
        kira = desk(world)
        ask = (await kira.press(await kira.open_case(second), f"Merge with {first}")).screen
        assert ask is not None
        done = await kira.press(ask, "Yes, merge")
        assert done.toast == f"{second} merged into {first}."
        since = world.cursor()
        await world.settle()
        assert outage.hits >= 1
        assert labels(await card_of(world, second)) == ["Take", "Decline", "Details"]
        [row] = [r for r in await world.outbox() if r.kind == "card_merged"]
        assert (row.status, row.case_id) == ("pending", (await world.case_row(second)).id)
        assert row.error_code is not None

        await world.restart()  # what is queued survives the process
        await world.advance(seconds=31)
        assert labels(await card_of(world, second)) == ["Take", "Decline", "Details"]
        outage.remove()
        await world.advance(seconds=31)  # past the longest backoff
        old = await card_of(world, second)
        assert old.text == f"Case {second}: merged into case {first}."
        assert old.buttons() == []
        assert "Reports: 2" in ((await card_of(world, first)).text or "")
        [row] = [r for r in await world.outbox() if r.kind == "card_merged"]
        assert row.status == "sent"
        # A passing outage is not a failure to report.
        told = [m.content for m in world.sent_since(world.coordinator, since)]
        assert not [t for t in told if t.startswith("Could not deliver")], told
