"""A coordinator erases a case: asked once, crypto-shredded, card blanked, audited; not lawyers."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from storage.models import Case, CaseNote, DataKeyRow
from tests.bot.alert_support import Office, office
from tests.bot.staff_support import (
    PERSON,
    audit_of,
    card_of,
    desk,
    labels,
    linked_case,
    person_case,
)
from tests.databases import ScratchDatabase


async def ids(world: Office, *codes: str) -> list[uuid.UUID]:
    """The ids of some cases (to look for their data keys once they are gone)."""
    return [(await world.case_row(code)).id for code in codes]


async def gone(world: Office, case_id: uuid.UUID) -> bool:
    """Whether a case's row and its data key are both gone (False if both are there)."""
    async with world.runtime.sessions() as session:
        row = await session.get(Case, case_id)
        key = await session.get(DataKeyRow, case_id)
    assert (row is None) == (key is None), "a case without its key, or a key without its case"
    return row is None


async def test_a_coordinator_erases_a_case_after_one_confirmation(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        reporter = await world.reporter_through_tier0()
        code = await world.reporter_case_code(reporter)
        await world.settle()
        card = await card_of(world, code)
        kira = desk(world)
        prompt = (await kira.press(await kira.open_case(code), "Note")).screen
        assert prompt is not None
        assert (await kira.say("Brother's number is in the file")).text == "Note saved."
        [case_id] = await ids(world, code)

        view = await kira.open_case(code)
        ask = (await kira.press(view, "Erase case")).screen
        assert ask is not None
        assert ask.text == (
            f"Erase case {code} for good?\n\nIts answers, notes and files can never be read "
            "again, by anyone, and its card in the lawyers' chat is blanked."
        )
        assert labels(ask) == ["Yes, erase for good", "Cancel"]
        cancelled = (await kira.press(ask, "Cancel")).screen
        assert cancelled is not None
        assert (cancelled.text or "").startswith(f"Case {code}")
        assert not await gone(world, case_id)

        ask = (await kira.press(cancelled, "Erase case")).screen
        assert ask is not None
        before = world.cursor()
        done = await kira.press(ask, "Yes, erase for good")
        assert done.toast == f"Case {code} was erased."
        assert done.screen is not None
        assert done.screen.text == f"Case {code} was erased."
        assert labels(done.screen) == ["« Back"]

        assert await gone(world, case_id)
        async with world.runtime.sessions() as session:
            notes = list((await session.execute(select(CaseNote.id))).scalars())
        assert notes == []
        kira_id = await world.staff_id(world.coordinator)
        assert await audit_of(world, "case.erased") == [(f"staff:{kira_id}", code, None)]

        # The card keeps its code and nothing else of the case; no buttons are left to press.
        await world.settle()
        blank = next(m for m in world.bot_messages(world.group) if m.message_id == card.message_id)
        assert (blank.text or "").startswith(f"Case {code}: erased")
        for answer in ("Almaty", "Police", "District police station"):
            assert answer not in (blank.text or "")
        assert blank.buttons() == []
        assert (await kira.open_case(code)).text == "No such case."
        assert world.sent_since(reporter.user, before) == []  # the reporter is not told
        async with world.runtime.store.transaction() as tx:
            assert await tx.case_info(case_id) is None

        # The old confirmation pressed again erases nothing more and says so.
        again = await kira.press(ask, "Yes, erase for good", screen=False)
        assert again.toast == "That change is not possible now."
        assert len(await audit_of(world, "case.erased")) == 1


async def test_erasing_a_case_takes_its_further_reports_and_erasing_a_report_leaves_its_case(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        first = await person_case(world, PERSON)
        await world.settle()
        second = await linked_case(world, first)
        third = await linked_case(world, first)
        await world.settle()
        assert (await world.case_row(first)).report_count == 3
        first_id, second_id, third_id = await ids(world, first, second, third)
        kira = desk(world)

        # One further report on its own: its case stays and counts one report fewer.
        ask = (await kira.press(await kira.open_case(third), "Erase case")).screen
        assert ask is not None
        assert "further reports" not in (ask.text or "")
        await kira.press(ask, "Yes, erase for good")
        assert await gone(world, third_id)
        assert not await gone(world, first_id)
        assert (await world.case_row(first)).report_count == 2
        await world.settle()
        assert "Reports: 2" in ((await card_of(world, first)).text or "")

        # The case itself: its remaining further report goes with it.
        ask = (await kira.press(await kira.open_case(first), "Erase case")).screen
        assert ask is not None
        assert f"Its further reports are erased with it: {second}." in (ask.text or "")
        done = await kira.press(ask, "Yes, erase for good")
        assert done.screen is not None
        assert done.screen.text == f"Case {first} was erased.\nErased with it: {second}."
        assert await gone(world, first_id)
        assert await gone(world, second_id)
        kira_id = f"staff:{await world.staff_id(world.coordinator)}"
        assert await audit_of(world, "case.erased") == [
            (kira_id, third, None),
            (kira_id, second, f"with {first}"),
            (kira_id, first, None),
        ]


async def test_lawyers_cannot_erase_a_case(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        lena = world.lawyers[0]
        symbols = code.replace("-", "")
        own_chat = world.bot_messages(lena)[0]
        for data in (f"Se{symbols}", f"SE{symbols}"):
            answer = await desk(world, lena).press_data(own_chat, data, screen=False)
            assert answer.toast == "This is for coordinators."
        # Nor by pressing the coordinator's own confirmation.
        kira = desk(world)
        ask = (await kira.press(await kira.open_case(code), "Erase case")).screen
        assert ask is not None
        answer = await desk(world, lena).press(ask, "Yes, erase for good", screen=False)
        assert answer.toast == "This is for coordinators."
        assert not await gone(world, (await world.case_row(code)).id)
        assert await audit_of(world, "case.erased") == []
        # And the case view is not theirs to open.
        replies = await desk(world, lena).silence_after("/case", code)
        assert all(code not in m.content for m in replies)
