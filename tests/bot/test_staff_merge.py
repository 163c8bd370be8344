"""Merging cases of the same person: suggested by the blind index, confirmed once, nothing lost."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from storage.models import Answer, Case
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

INVALID = "That change is not possible now."


async def counts(world: Office) -> tuple[int, int]:
    """(cases, answers) in the database."""
    async with world.runtime.sessions() as session:
        cases = (await session.execute(select(func.count()).select_from(Case))).scalar_one()
        answers = (await session.execute(select(func.count()).select_from(Answer))).scalar_one()
    return int(cases), int(answers)


async def test_two_cases_of_the_same_person_are_merged_after_one_confirmation(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        # The same person a month apart: too far apart for the intake to link the reports.
        first = await person_case(world, PERSON, Urgency.NORMAL)
        await world.settle()
        await world.advance(days=31)
        second = await person_case(world, PERSON, Urgency.URGENT, city="Astana")
        await world.settle()
        assert (await world.press(lena, world.card(second), "Take"))["text"] == (
            "The case is yours."
        )
        await world.settle()
        assert (await world.case_row(second)).duplicate_of is None
        before = await counts(world)
        kira = desk(world)

        view = await kira.open_case(second)
        assert f"Possibly the same person: case {first} (received, lawyers alerted)." in (
            view.text or ""
        )
        assert f"Merge with {first}" in labels(view)
        ask = (await kira.press(view, f"Merge with {first}")).screen
        assert ask is not None
        assert (ask.text or "").startswith(f"Merge case {second} into case {first}?")
        assert labels(ask) == ["Yes, merge", "Cancel"]
        assert (await world.case_row(second)).duplicate_of is None  # only asked so far
        cancelled = (await kira.press(ask, "Cancel")).screen
        assert cancelled is not None
        assert (cancelled.text or "").startswith(f"Case {second}")
        assert (await world.case_row(second)).duplicate_of is None
        assert await audit_of(world, "case.merge") == []

        ask = (await kira.press(cancelled, f"Merge with {first}")).screen
        assert ask is not None
        done = await kira.press(ask, "Yes, merge")
        assert done.toast == f"{second} merged into {first}."
        assert done.screen is not None
        merged_view = done.screen.text or ""
        # The primary's view counts both reports and shows where the other report differs.
        assert merged_view.startswith(f"Case {first}\n\nUrgency: URGENT.")
        assert "Reports: 2." in merged_view
        assert "Lawyer: Lena" in merged_view
        assert f"Further reports of the same person (1):\n\nReport {second} (merged)" in (
            merged_view
        )
        assert "Astana" in merged_view
        assert f"Kira: {second} merged in" in merged_view

        primary, secondary = await world.case_row(first), await world.case_row(second)
        assert secondary.duplicate_of == primary.id
        assert primary.report_count == 2
        assert primary.urgency == "urgent"  # the more urgent report wins
        assert primary.claimed_by == await world.staff_id(lena)  # Lena carries on
        assert primary.status == "assigned"
        assert secondary.next_escalation_at is None
        assert await counts(world) == before  # nothing deleted
        async with world.runtime.store.transaction() as tx:
            assert (await tx.cases.answers(secondary.id))["detained_city"] == "Astana"

        kira_id = await world.staff_id(world.coordinator)
        assert await audit_of(world, "case.merge") == [
            (f"staff:{kira_id}", first, f"from {second}"),
            (f"staff:{kira_id}", second, f"into {first}"),
        ]

        # The cards: the merged one says where it went and offers nothing to press; the other
        # counts both reports and shows who has it.
        await world.settle()
        old = await card_of(world, second)
        assert old.text == f"Case {second}: merged into case {first}."
        assert old.buttons() == []
        card = (await card_of(world, first)).text or ""
        assert card.startswith(f"🔴 URGENT · {first}")
        assert "Reports: 2" in card
        assert "Taken by: Lena" in card

        # The merged case's view sends the coordinator on to the primary; no second merge.
        after = await kira.open_case(second)
        assert f"Merged into case {first}: the work goes on there." in (after.text or "")
        assert labels(after) == [
            "Note",
            "Write to reporter",
            f"Open {first}",
            "Erase case",
            "« Back",
        ]
        # In the lists, the primary counts the reports; the merged case is no work of its own,
        # so only "all" lists it, saying whose it is.
        listing = await kira.command("/cases")
        assert listing.text == "Cases: open (1)"
        assert not any(second in label for label in labels(listing))
        everything = (await kira.press(listing, "all")).screen
        assert everything is not None
        assert everything.text == "Cases: all (2)"
        lines = {
            code: label
            for label in labels(everything)
            for code in (first, second)
            if label.startswith(f"🔴 {code}")
        }
        assert lines[first].startswith(f"🔴 {first} · reports: 2 · taken · 31 d · ")
        assert lines[second].startswith(f"🔴 {second} · report of {first} · taken · 0 h")

        # Pressing the old confirmation again merges nothing twice.
        replay = await kira.press(ask, "Yes, merge", screen=False)
        assert replay.toast == INVALID
        assert (await world.case_row(first)).report_count == 2
        assert len(await audit_of(world, "case.merge")) == 2


async def test_a_report_the_intake_linked_is_confirmed_without_counting_it_twice(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        first = await person_case(world, PERSON, Urgency.URGENT)
        await world.settle()
        second = await linked_case(world, first)
        await world.settle()
        assert world.cards(second) == []  # the intake put it on the first case's card
        assert (await world.case_row(first)).report_count == 2
        kira = desk(world)

        view = await kira.open_case(first)
        text = view.text or ""
        assert f"Report {second} (not confirmed yet)" in text
        assert "Airport, transit zone" in text  # where the further report differs
        assert labels(view)[:3] == ["Status", "Assign", "Note"]
        ask = (await kira.press(view, f"Merge with {second}")).screen
        assert ask is not None
        assert (ask.text or "").startswith(f"Merge case {second} into case {first}?")
        done = await kira.press(ask, "Yes, merge")
        assert done.toast == f"{second} merged into {first}."
        assert done.screen is not None
        assert f"Report {second} (merged)" in (done.screen.text or "")
        assert f"Merge with {second}" not in labels(done.screen)
        assert (await world.case_row(first)).report_count == 2
        assert len(await audit_of(world, "case.merge")) == 2

        # From the further report's side, too, the merge is done.
        other = await kira.open_case(second)
        assert f"Merged into case {first}" in (other.text or "")
        assert "Status" not in labels(other)


async def test_cases_of_different_people_cannot_be_merged_even_with_forged_data(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        ivan = await person_case(world, PERSON)
        other = await person_case(world, "anna smirnova|1985-02-01")
        unknown = await world.live_case(Urgency.HIGH)  # no person key at all
        await world.settle()
        kira = desk(world)
        view = await kira.open_case(ivan)
        assert not [label for label in labels(view) if label.startswith("Merge")]
        symbols = {c: c.replace("-", "") for c in (ivan, other, unknown)}
        for a, b in ((ivan, other), (ivan, unknown), (ivan, ivan)):
            for verb in ("Sm", "SM"):
                answer = await kira.press_data(
                    view, f"{verb}{symbols[a]}{symbols[b]}", screen=False
                )
                assert answer.toast == INVALID
        # A lawyer cannot merge at all, not even a pair a coordinator could (the intake linked it).
        twin = await person_case(world, PERSON)
        lena = desk(world, world.lawyers[0])
        start = world.bot_messages(world.lawyers[0])[0]
        refused = await lena.press_data(
            start, f"SM{symbols[ivan]}{twin.replace('-', '')}", screen=False
        )
        assert refused.toast == "This is for coordinators."
        assert await audit_of(world, "case.merge") == []
