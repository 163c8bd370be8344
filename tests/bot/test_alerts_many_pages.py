"""A page about more cases than one Telegram message holds comes in several messages.

Telegram refuses a message longer than 4096 characters (the stand-in too). In a mass detention
the on-call lawyer may be paged about dozens of URGENT cases in one pass of the alert loop: they
get as many messages as it takes, each within the limit, every case in exactly one of them with
its own Take button.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from tests.bot.alert_support import codes_in, office
from tests.bot.staff_support import labels
from tests.databases import ScratchDatabase

CASES = 45
# A city answer as long as the questionnaire takes (100 characters): a long headline per case.
CITY = "Ust-Kamenogorsk, East Kazakhstan Region, near the railway station and the old bus terminal"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def test_a_page_about_more_cases_than_one_message_holds_comes_in_parts(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        await world.put_on_call(primary=lena)
        # The cases arrive while the bot is down, so the first pass pages them all at once.
        await world.stop()
        async with world.offline() as runtime:
            codes = [
                await world.live_case(Urgency.URGENT, city=f"{i:02d} {CITY}"[:100], runtime=runtime)
                for i in range(CASES)
            ]
        since = world.cursor()
        await world.start()
        await world.settle()

        pages = world.pages(lena, since)
        assert len(pages) >= 2
        assert sum(utf16(f"{i:02d} {CITY}"[:100]) for i in range(CASES)) > 4096
        for page in pages:
            assert utf16(page.content) <= 4096
            assert len(page.buttons()) <= 100
        # Every case is in exactly one message, with its Take button in that message.
        listed = Counter(code for page in pages for code in set(codes_in(page.content)))
        assert listed == Counter(codes)
        for page in pages:
            assert labels(page) == [f"Take {code}" for code in codes_in(page.content)]
            assert page.content.split("\n")[0].endswith("cases need a lawyer:")
        rows = [r for r in await world.outbox() if r.kind == "page"]
        assert len(rows) == CASES
        assert {r.status for r in rows} == {"sent"}
        told = [m.content for m in world.sent_since(world.coordinator, since)]
        assert not [t for t in told if t.startswith("Could not deliver")]

        # A case from the last message is taken with its own button.
        last = pages[-1]
        code = codes_in(last.content)[-1]
        answer = await world.press(lena, last, f"Take {code}")
        assert answer["text"] == "The case is yours."
        assert (await world.case_row(code)).claimed_by == await world.staff_id(lena)
