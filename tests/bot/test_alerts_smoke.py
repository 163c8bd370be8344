"""The first alert: Tier 0 complete puts a card in the lawyers' chat within a second."""

from __future__ import annotations

import time
from pathlib import Path

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.alert_support import office
from tests.bot.reporter_driver import FULL_REPORT, TIER0, Reporter
from tests.databases import ScratchDatabase


async def test_tier0_puts_a_card_in_the_lawyers_chat_within_a_second(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        reporter = Reporter(standin, standin.new_user("Olga", language_code="en"))
        await reporter.command("/start")
        await reporter.press(Action.BEGIN)
        for question_id, value in FULL_REPORT:
            if question_id == TIER0[-1]:
                started = time.monotonic()
                await reporter.answer(question_id, value)
                card = await standin.next_bot_message(world.group, timeout=5)
                elapsed = time.monotonic() - started
                break
            await reporter.answer(question_id, value)
        assert elapsed < 1.0
        assert "URGENT" in card.text
        assert "Ivan" not in card.text  # no names in the group at the default detail level
        assert [b["text"] for b in card.buttons()] == ["Take", "Decline", "Details"]
