"""Alerts survive 429s, 5xx, refused connections and restarts: none lost, none twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, codes_in, office
from tests.databases import ScratchDatabase


def card_counts(world: Office, codes: list[str]) -> dict[str, int]:
    """How many cards of each case the group holds."""
    return {code: len(world.cards(code)) for code in codes}


async def assert_everything_delivered(
    world: Office, codes: list[str], urgent: list[str] | None = None
) -> int:
    """Every case has its card, every URGENT case was paged to the primary, nothing is left in
    the outbox; returns how many duplicate cards the group holds."""
    counts = card_counts(world, codes)
    assert all(n >= 1 for n in counts.values()), counts
    rows = await world.outbox()
    left = Counter((r.kind, r.status, r.error_code) for r in rows if r.status != "sent")
    assert all(status == "folded" for (_, status, _) in left), left
    paged = {c for m in world.pages(world.lawyers[0]) for c in codes_in(m.content)}
    assert set(codes if urgent is None else urgent) <= paged
    return sum(n - 1 for n in counts.values())


async def test_the_group_answering_429_delays_cards_and_loses_none(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        storm = standin.faults.add("429", chat_id=world.group.id, retry_after=5)
        codes = [await world.live_case(u) for u in (Urgency.URGENT, Urgency.HIGH, Urgency.URGENT)]
        await world.settle()
        assert card_counts(world, codes) == dict.fromkeys(codes, 0)
        # The private pages do not wait behind the group.
        assert {c for m in world.pages(lena) for c in codes_in(m.content)} == {codes[0], codes[2]}
        hits = storm.hits
        await world.advance(seconds=2)  # retry_after not over: the bot does not even ask
        assert storm.hits == hits
        await world.advance(seconds=3)
        assert storm.hits > hits
        storm.remove()
        await world.advance(seconds=5)
        assert card_counts(world, codes) == dict.fromkeys(codes, 1)
        assert await assert_everything_delivered(world, codes, [codes[0], codes[2]]) == 0


async def test_the_group_answering_5xx_for_a_minute_delays_cards_and_loses_none(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        outage = standin.faults.add("5xx", chat_id=world.group.id, status=502)
        codes = [await world.live_case(Urgency.URGENT) for _ in range(3)]
        await world.settle()
        for _ in range(6):
            await world.advance(seconds=10)
        assert outage.hits >= 3
        assert card_counts(world, codes) == dict.fromkeys(codes, 0)
        outage.remove()
        await world.advance(seconds=31)  # the longest backoff is 30 seconds
        assert await assert_everything_delivered(world, codes) == 0


async def test_pages_held_back_by_an_outage_are_dropped_once_the_case_is_taken(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        outage = standin.faults.add("5xx", chat_id=lena.id, status=502)
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        await world.advance(minutes=5)  # round 2 pages Marat; Lena's pages keep failing
        assert world.paged(0) == {"Marat"}
        assert (await world.press(marat, world.card(code), "Take"))["text"] == "The case is yours."
        outage.remove()
        await world.advance(seconds=31)
        assert world.pages(lena) == []  # "still not taken" would no longer be true
        assert await world.outbox_count() == len(
            [r for r in await world.outbox() if r.status in ("sent", "folded")]
        )


async def test_faults_and_a_restart_while_alerts_are_due_lose_no_alert(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        codes: list[str] = []

        # 1. 429 on the group for a few calls, then 5xx for a "minute".
        standin.faults.add("429", chat_id=world.group.id, retry_after=3, count=2)
        codes += [await world.live_case(Urgency.URGENT) for _ in range(2)]
        await world.settle()
        outage = standin.faults.add("5xx", chat_id=world.group.id, status=500)
        high = await world.live_case(Urgency.HIGH)
        codes.append(high)
        for _ in range(4):
            await world.advance(seconds=15)
        outage.remove()

        # 2. Connections refused while alerts are due: every call fails.
        await standin.refuse_connections()
        refused = [await world.live_case(Urgency.URGENT) for _ in range(2)]
        codes += refused
        await world.tick()
        await world.advance(seconds=5)
        assert card_counts(world, refused) == dict.fromkeys(refused, 0)
        errors = {r.error_code for r in await world.outbox() if r.status == "pending"}
        assert "NetworkError" in errors, errors
        await standin.accept_connections()
        await world.advance(seconds=31)
        assert card_counts(world, refused) == dict.fromkeys(refused, 1)

        # 3. The bot restarts with alerts due and the group failing.
        outage = standin.faults.add("5xx", chat_id=world.group.id, status=502)
        codes += [await world.live_case(Urgency.URGENT) for _ in range(2)]
        await world.tick()
        await world.restart()
        await world.advance(seconds=10)
        outage.remove()
        await world.advance(seconds=31)

        # 4. A worker dies holding the messages it leased, before it could send them.
        await world.stop()
        async with world.offline() as dead:
            last = await world.live_case(Urgency.URGENT, runtime=dead)
            codes.append(last)
            async with dead.store.transaction() as tx:
                leased = await tx.alerts.due_messages(world.clock.now)
        assert leased
        await world.start()
        await world.settle()
        assert world.cards(last) == []  # the lease still holds
        await world.advance(seconds=61)  # the dead worker's lease runs out
        assert len(world.cards(last)) == 1
        await world.advance(minutes=1)

        urgent = [c for c in codes if c != high]
        duplicates = await assert_everything_delivered(world, codes, urgent)
        print(f"duplicate cards after faults and restarts: {duplicates}")
        assert duplicates == 0
        # Every case was reported once, by one card, and pages kept to the schedule.
        assert len(world.bot_messages(world.group)) == len(codes)
