"""A case the reporter erases leaves nothing about the detained person in the lawyers' chat."""

from __future__ import annotations

from pathlib import Path

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import office
from tests.databases import ScratchDatabase


async def test_shredding_a_case_blanks_its_card(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        code = await world.live_case(Urgency.URGENT, city="Almaty")
        await world.settle()
        card = world.card(code)
        async with world.runtime.store.transaction() as tx:
            case = await tx.cases.by_code(code)
            assert case is not None
            # What SqlTransaction.shred_case / erase_reporter must do before shredding.
            assert await tx.alerts.queue_card_erasure(case.id, world.clock.now)
            assert not await tx.alerts.queue_card_erasure(case.id, world.clock.now)
            await tx.shred_case(case.id)
        await world.settle()
        [blank] = [m for m in world.bot_messages(world.group) if m.message_id == card.message_id]
        # Neutral: the same words whoever erased it (reporter, coordinator, retention).
        assert blank.text == f"Case {code}: erased, its data can no longer be read."
        assert blank.buttons() == []
        answer = await world.press_data(lena, blank, str(card.buttons()[0]["callback_data"]))
        assert answer["text"] == "This button is no longer valid."
        rows = await world.outbox()
        assert [(r.kind, r.status) for r in rows if r.kind == "card_erased"] == [
            ("card_erased", "sent")
        ]
