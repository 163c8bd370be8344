"""The coordinator's triage list and case view, through the real bot and the Bot API stand-in."""

from __future__ import annotations

import re
from pathlib import Path

from bot.domain.cases import CaseStatus, Urgency
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser, StoredMessage
from tests.bot.alert_support import codes_in, office
from tests.bot.staff_support import ago, audit_of, close_case, desk, labels, set_case
from tests.databases import ScratchDatabase


def listed(screen: StoredMessage) -> list[str]:
    """The case codes a list screen offers, top to bottom."""
    return [code for label in labels(screen) for code in codes_in(label)]


async def test_the_list_filters_by_status_urgency_claim_and_staleness_and_pages_with_buttons(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        urgent = [await world.live_case(Urgency.URGENT) for _ in range(3)]
        high = await world.live_case(Urgency.HIGH)
        normal = [await world.live_case(Urgency.NORMAL) for _ in range(6)]
        await world.settle()
        taken = urgent[0]
        assert (await world.press(world.lawyers[0], world.card(taken), "Take"))["text"] == (
            "The case is yours."
        )
        closed = normal[0]
        await close_case(world, closed, CaseStatus.CLOSED, ago(world, hours=1))
        stale = normal[1:3]
        for code in stale:  # nobody touched these for 30 hours
            await set_case(world, code, updated_at=ago(world, hours=30))
        open_cases = {*urgent, high, *normal} - {closed}
        kira = desk(world)

        first = await kira.command("/cases")
        assert first.text == "Cases: open (9)"
        assert len(listed(first)) == 8
        assert listed(first)[:3] == [c for c in listed(first) if c in urgent]  # most urgent first
        assert listed(first)[3] == high
        assert "▶" in labels(first)
        assert "◀" not in labels(first)
        assert labels(first)[-4:] == ["not taken", "urgent", "stale", "all"]
        taken_line = next(label for label in labels(first) if taken in label)
        assert taken_line.startswith("🔴")
        assert " · taken" in taken_line

        second = (await kira.press(first, "▶")).screen
        assert second is not None
        assert second.message_id == first.message_id  # the same message, redrawn
        assert second.text == "Cases: open (9)"
        assert set(listed(first) + listed(second)) == open_cases
        assert len(listed(second)) == 1
        assert "◀" in labels(second)
        assert "▶" not in labels(second)
        back = (await kira.press(second, "◀")).screen
        assert back is not None
        assert set(listed(back)) == set(listed(first))

        unclaimed = (await kira.press(back, "not taken")).screen
        assert unclaimed is not None
        assert unclaimed.text == "Cases: not taken (8)"
        assert set(listed(unclaimed)) == open_cases - {taken}
        assert "▶" not in labels(unclaimed)

        only_urgent = (await kira.press(unclaimed, "urgent")).screen
        assert only_urgent is not None
        assert only_urgent.text == "Cases: urgent (3)"
        assert set(listed(only_urgent)) == set(urgent)

        stale_now = (await kira.press(only_urgent, "stale")).screen
        assert stale_now is not None
        assert stale_now.text == "Cases: stale (2)"
        assert set(listed(stale_now)) == set(stale)

        everything = (await kira.press(stale_now, "all")).screen
        assert everything is not None
        assert everything.text == "Cases: all (10)"
        assert closed in listed(everything) + listed(
            (await kira.press(everything, "▶")).screen or everything
        )


async def test_an_empty_filter_says_so(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        await world.live_case(Urgency.NORMAL)
        await world.settle()
        kira = desk(world)
        stale = (await kira.press(await kira.command("/cases"), "stale")).screen
        assert stale is not None
        assert stale.text == "Cases: stale (0)\nNo cases."
        assert listed(stale) == []


async def test_the_case_view_shows_answers_reports_card_state_and_history_and_is_audited(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        reporter = await world.reporter_through_tier0()
        code = await world.reporter_case_code(reporter)
        await world.settle()
        assert (await world.press(world.lawyers[1], world.card(code), "Take"))["text"] == (
            "The case is yours."
        )
        await world.settle()
        kira = desk(world)
        view = await kira.open_case(code)
        text = view.text or ""
        assert text.startswith(f"Case {code}\n\nUrgency: URGENT. Status: a lawyer has taken it.")
        assert "Reports: 1." in text
        assert "Card in the lawyers' chat: posted." in text
        assert "Lawyer: Marat" in text
        for answer in ("Ivan Petrov", "12.04.1990", "Almaty", "District police station No. 5"):
            assert answer in text
        # (The card's handlers stamp their audit entries with the wall clock, not the fake one.)
        assert re.search(r"History:\n\d\d\.\d\d \d\d:\d\d Marat: taken$", text), text
        assert labels(view) == [
            "Status",
            "Assign",
            "Note",
            "Write to reporter",
            "Erase case",
            "« Back",
        ]
        kira_id = await world.staff_id(world.coordinator)
        assert await audit_of(world, "case.view") == [(f"staff:{kira_id}", code, None)]

        # The same view from the list, also audited; Back returns to the list.
        listing = await kira.command("/cases")
        line = next(label for label in labels(listing) if code in label)
        opened = (await kira.press(listing, line)).screen
        assert opened is not None
        assert opened.text == text
        assert len(await audit_of(world, "case.view")) == 2
        again = (await kira.press(opened, "« Back")).screen
        assert again is not None
        assert again.text == "Cases: open (1)"

        missing = await kira.open_case("AAAA-BBBB-CCCC")
        assert missing.text == "No such case."


async def test_each_role_sees_its_own_menu_in_its_language(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:

        def menu(user: PlayUser) -> list[tuple[str, str]]:
            shown = standin.visible_commands(standin.private_chat_id(user), user)
            return [(str(c["command"]), str(c["description"])) for c in shown]

        assert menu(world.coordinator) == [
            ("cases", "Cases to triage"),
            ("stats", "Statistics"),
            ("expiring", "Cases due to be erased"),
            ("oncall", "Who is on call now"),
            ("roster", "On-call roster"),
            ("staff", "Staff and roles"),
        ]
        lena, _, dana = world.lawyers
        assert menu(lena) == [("oncall", "Who is on call now")]
        assert menu(dana) == [("oncall", "Who is on call now")]  # the lawyers' chat's language
        reporter = [c for c, _ in menu(world.outsider)]
        assert "start" in reporter
        assert not {"cases", "stats", "expiring", "oncall", "roster", "staff"} & set(reporter)

        # With the lawyers' chat in Russian, whoever never wrote to the bot (Dana: the bot does
        # not know her language) gets a Russian menu; Lena keeps her own language.
        await world.stop()
        world.settings = world.settings.model_copy(update={"lawyers_language": "ru"})
        await world.start()
        assert menu(dana) == [("oncall", "Кто сейчас дежурит")]
        assert menu(lena) == [("oncall", "Who is on call now")]
