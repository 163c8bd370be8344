"""The first alert: Tier 0 complete puts a card in the lawyers' chat within a second."""

from __future__ import annotations

import time
from pathlib import Path

from bot.domain.cases import Urgency
from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.alert_support import codes_in, office
from tests.bot.reporter_driver import FULL_REPORT, TIER0, Reporter
from tests.databases import ScratchDatabase


async def test_tier0_puts_a_card_in_the_lawyers_chat_within_a_second(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        reporter = Reporter(standin, standin.new_user("Olga", language_code="en"))
        await reporter.command("/start")
        await reporter.press(Action.BEGIN)
        answers = iter(FULL_REPORT)
        for question_id, value in answers:
            if question_id == TIER0[-1]:
                started = time.monotonic()
                await reporter.answer(question_id, value)
                card = await standin.next_bot_message(world.group, timeout=5)
                elapsed = time.monotonic() - started
                break
            await reporter.answer(question_id, value)
        assert elapsed < 1.0
        # The reporter finishes; the code they are given is the one on the card.
        for question_id, value in answers:
            await reporter.answer(question_id, value)
        submitted = await reporter.press(Action.SUBMIT)
        [code] = codes_in(submitted.text or "")
        headline = card.text.split("\n")[0]
        assert headline == f"🔴 URGENT · {code} · Almaty"
        assert "Held: Police station (District police station No. 5)" in card.text
        # No names (nor birth dates) in the group at the default detail level.
        for private in ("Ivan", "Petrov", "1990"):
            assert private not in card.text
        assert [b["text"] for b in card.buttons()] == ["Take", "Decline", "Details"]
        # Later events edit the same card rather than posting new ones.
        await world.settle()
        assert [m.message_id for m in world.cards(code)] == [card.message_id]


async def test_card_at_the_full_level_names_the_detained_person(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path, card_detail="full") as world:
        code = await world.live_case(Urgency.URGENT, name="Ivan Petrov")
        await world.settle()
        card = world.card(code)
        assert "Name: Ivan Petrov" in card.text
        assert "Held: Police station" in card.text


async def test_card_at_the_minimal_level_shows_no_place_of_detention(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path, card_detail="minimal") as world:
        code = await world.live_case(Urgency.HIGH, city="Astana", name="Ivan Petrov")
        await world.settle()
        card = world.card(code)
        assert card.text.split("\n")[0] == f"🟠 HIGH · {code} · Astana"
        for hidden in ("Held", "Police station", "Agency", "Ivan", "Detained"):
            assert hidden not in card.text
        assert "Not taken yet" in card.text
