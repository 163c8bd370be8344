"""A mass detention: the group switches to digests, URGENT pages go on, then it switches back."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from bot.alerts.delivery import MAX_DIGEST, MAX_DIGEST_PARTS
from bot.alerts.service import DIGEST_CATCH_UP
from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import Office, codes_in, office
from tests.databases import ScratchDatabase

SURGE_ON = "Many new cases."
SURGE_OFF = "Back to one card per case."
GROUP_LIMIT_PER_MINUTE = 20


def group_sends_per_minute(world: Office, start: datetime) -> Counter[int]:
    """How many messages the bot sent to the group in each minute of fake time."""
    minutes: Counter[int] = Counter()
    for event in world.standin.events(world.group, "sent"):
        minutes[int((world.fake_time(event) - start).total_seconds() // 60)] += 1
    return minutes


async def test_a_surge_switches_the_group_to_digests_and_back(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        start = world.clock.now
        before = world.cursor()
        # The first case comes through the real questionnaire; nine more follow within minutes.
        reporter = await world.reporter_through_tier0()
        codes = [await world.reporter_case_code(reporter)]
        await world.settle()
        for i in range(9):
            await world.advance(seconds=30)
            urgency = Urgency.URGENT if i % 2 else Urgency.HIGH
            codes.append(await world.live_case(urgency, city=f"Town{i}"))
            await world.settle()
        for code in codes:
            assert len(world.cards(code)) == 1
        assert not [m for m in world.bot_messages(world.group) if SURGE_ON in m.content]

        # The eleventh case within 15 minutes: surge mode.
        await world.advance(seconds=30)
        since = world.cursor()
        eleventh = await world.live_case(Urgency.URGENT, city="Eleventh")
        await world.settle()
        news = world.sent_since(world.group, since)
        assert [m.content.split("\n")[0] for m in news][:1] == [
            world.bot.alerts.delivery.tr.alert("surge_on", minutes=3)
        ]
        [digest] = [m for m in news if m.content.startswith("New cases")]
        assert eleventh in digest.content
        assert world.cards(eleventh) == []
        assert world.pages(lena, since)  # URGENT pages still go out privately
        assert any(eleventh in m.content for m in world.pages(lena, since))

        # More keep coming for seven minutes: digests every few minutes, no cards of their own.
        later: list[str] = []
        for minute in range(7):
            for n in range(3):
                urgency = (Urgency.URGENT, Urgency.HIGH, Urgency.NORMAL)[(minute + n) % 3]
                later.append(await world.live_case(urgency, city=f"M{minute}N{n}"))
            await world.advance(minutes=1)
        assert not any(world.cards(code) for code in later)
        digests = [m for m in world.bot_messages(world.group) if m.content.startswith("New cases")]
        assert len(digests) >= 3  # the first, then every 3 minutes
        assert not [m for m in world.bot_messages(world.group) if SURGE_OFF in m.content]

        # A lawyer takes a case from a digest.
        target = digests[-1]
        take_code = codes_in(target.content)[-1]
        answer = await world.press(marat, target, f"Take {take_code}")
        assert answer["text"] == "The case is yours."
        assert (await world.case_row(take_code)).claimed_by == await world.staff_id(marat)

        # The window passes without new cases: back to cards.
        last_case_at = world.clock.now
        while not [m for m in world.bot_messages(world.group) if SURGE_OFF in m.content]:
            assert (world.clock.now - last_case_at).total_seconds() <= 16 * 60
            await world.advance(minutes=1)
        digests = [m for m in world.bot_messages(world.group) if m.content.startswith("New cases")]
        listed = Counter(c for m in digests for c in codes_in(m.content))
        assert {c: listed[c] for c in [eleventh, *later]} == dict.fromkeys([eleventh, *later], 1)
        after = await world.live_case(Urgency.URGENT, city="After")
        await world.settle()
        assert len(world.cards(after)) == 1

        per_minute = group_sends_per_minute(world, start)
        assert max(per_minute.values()) <= GROUP_LIMIT_PER_MINUTE, per_minute
        assert len(world.sent_since(world.group, before)) < len(codes) + len(later) + 2


async def test_a_burst_of_forty_cases_in_one_minute_stays_under_the_group_limit(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        start = world.clock.now
        codes = [await world.live_case(Urgency.URGENT, city=f"C{i}") for i in range(40)]
        await world.settle()
        for _ in range(20):
            await world.advance(minutes=1)
        per_minute = group_sends_per_minute(world, start)
        assert max(per_minute.values()) <= GROUP_LIMIT_PER_MINUTE, per_minute
        # Every case reached the group, by card or digest, exactly once.
        shown = Counter(
            c for m in world.bot_messages(world.group) for c in set(codes_in(m.content))
        )
        assert {c: shown[c] for c in codes} == dict.fromkeys(codes, 1)
        # Every one of them can be taken from the group.
        for code in codes:
            [message] = [m for m in world.bot_messages(world.group) if code in m.content]
            label = "Take" if message in world.cards(code) else f"Take {code}"
            assert label in [b["text"] for b in message.buttons()], (code, message.content)
        # The primary heard of every URGENT case privately.
        paged = {c for m in world.pages(lena) for c in codes_in(m.content)}
        assert set(codes) <= paged


async def test_in_a_surge_only_urgent_cases_page_privately(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        for i in range(11):
            await world.live_case(Urgency.URGENT, city=f"A{i}")
        await world.advance(minutes=5)
        urgent = [await world.live_case(Urgency.URGENT, city=f"B{i}") for i in range(11)]
        high = await world.live_case(Urgency.HIGH, city="High")
        await world.settle()
        assert any(SURGE_ON in m.content for m in world.bot_messages(world.group))
        since = world.cursor()
        await world.advance(minutes=15)  # HIGH's round for the primary; URGENT's third round
        paged = {c for m in world.pages(lena, since) for c in codes_in(m.content)}
        assert set(urgent) <= paged
        assert high not in paged
        assert not any(SURGE_OFF in m.content for m in world.bot_messages(world.group))
        # Out of the surge, HIGH cases page again.
        while not any(SURGE_OFF in m.content for m in world.bot_messages(world.group)):
            await world.advance(minutes=1)
        later = await world.live_case(Urgency.HIGH, city="Later")
        await world.settle()
        since = world.cursor()
        await world.advance(minutes=15)
        assert any(later in m.content for m in world.pages(lena, since))


async def test_cases_left_out_of_a_digest_follow_within_a_minute(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        await world.put_on_call(primary=lena, secondary=marat)
        start = world.clock.now
        # More cases at once than one digest pass carries; the first digest goes out while
        # they are still coming in.
        count = MAX_DIGEST * MAX_DIGEST_PARTS + 15
        codes = [await world.live_case(Urgency.HIGH, city=f"C{i}") for i in range(count)]
        await world.settle()
        shown_at_once = {c for m in world.bot_messages(world.group) for c in codes_in(m.content)}
        assert set(codes) - shown_at_once  # some wait
        # They go out at catch-ups (a pass carries at most `count - 15`), long before the next
        # regular digest: two catch-ups take 2 minutes, the regular one comes after 3 minutes.
        for _ in range(2):
            await world.advance(seconds=DIGEST_CATCH_UP.total_seconds())
        assert world.bot.alerts.service.policy.digest_every > 2 * DIGEST_CATCH_UP
        shown = Counter(
            c for m in world.bot_messages(world.group) for c in set(codes_in(m.content))
        )
        assert {c: shown[c] for c in codes} == dict.fromkeys(codes, 1)
        per_minute = group_sends_per_minute(world, start)
        assert max(per_minute.values()) <= GROUP_LIMIT_PER_MINUTE, per_minute
