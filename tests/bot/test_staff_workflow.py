"""A coordinator moves a case: status (the card and the reporter hear of it), lawyer, notes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from storage.models import CaseNote
from tests.bot.alert_support import office
from tests.bot.reporter_driver import tr
from tests.bot.staff_support import audit_of, desk, labels
from tests.databases import ScratchDatabase


async def test_a_status_change_redraws_the_card_and_tells_the_reporter_in_neutral_words(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        reporter = await world.reporter_through_tier0(language="uk")
        code = await world.reporter_case_code(reporter)
        await world.settle()
        assert "Status: received, lawyers alerted" in (world.card(code).text or "")
        kira = desk(world)
        view = await kira.open_case(code)

        menu = (await kira.press(view, "Status")).screen
        assert menu is not None
        assert menu.text == f"New status for {code}:"
        assert labels(menu) == ["being reviewed", "a lawyer has taken it", "closed", "« Back"]
        before = world.cursor()
        pressed = await kira.press(menu, "being reviewed")
        assert pressed.toast == f"Status of {code}: being reviewed."
        assert pressed.screen is not None
        assert "Status: being reviewed." in (pressed.screen.text or "")
        await world.settle()

        card = world.card(code)
        assert "Status: being reviewed" in (card.text or "")
        assert [b["text"] for b in card.buttons()] == ["Take", "Decline", "Details"]
        # The reporter hears that there is news, in their language, and nothing more.
        notices = [m.text for m in world.sent_since(reporter.user, before)]
        assert notices == [tr("uk").alert("reporter_status_changed", code=code)]
        kira_id = await world.staff_id(world.coordinator)
        assert await audit_of(world, "case.status") == [(f"staff:{kira_id}", code, "triaged")]
        assert (await world.case_row(code)).status == "triaged"

        # Closing: the card loses its buttons, the retention clock starts at (fake) now.
        view = await kira.open_case(code)
        menu = (await kira.press(view, "Status")).screen
        assert menu is not None
        assert labels(menu) == ["a lawyer has taken it", "closed", "« Back"]
        await kira.press(menu, "closed")
        await world.settle()
        card = world.card(code)
        assert "Status: closed" in (card.text or "")
        assert card.buttons() == []
        row = await world.case_row(code)
        assert row.status == "closed"
        assert row.closed_at == world.clock()
        assert row.next_escalation_at is None
        assert len(world.sent_since(reporter.user, before)) == 2

        # A status the workflow does not allow from here is refused, even with forged data.
        forged = await kira.press_data(view, f"St{code.replace('-', '')}4", screen=False)
        assert forged.toast == "That change is not possible now."
        assert (await world.case_row(code)).status == "closed"


async def test_assigning_and_reassigning_a_lawyer_moves_the_card_and_tells_the_lawyer(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, dana = world.lawyers
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        kira = desk(world)
        view = await kira.open_case(code)
        menu = (await kira.press(view, "Assign")).screen
        assert menu is not None
        assert menu.text == f"Assign {code} to:"
        assert sorted(labels(menu)[:-1]) == ["Dana", "Lena", "Marat"]

        before = world.cursor()
        pressed = await kira.press(menu, "Lena")
        assert pressed.toast == f"{code} assigned to Lena."
        assert pressed.screen is not None
        assert "Lawyer: Lena" in (pressed.screen.text or "")
        await world.settle()
        assert "Taken by: Lena" in (world.card(code).text or "")
        # Lena is paged privately (through the outbox: retried if Telegram fails).
        assert [(m.text or "").split("\n")[:2] for m in world.sent_since(lena, before)] == [
            ["This case was assigned to you:", f"🔴 URGENT · {code} · Almaty"]
        ]
        row = await world.case_row(code)
        assert row.claimed_by == await world.staff_id(lena)
        assert row.status == "assigned"
        assert row.claimed_at == world.clock()
        # The claim lapses like a lawyer's own if nobody reports progress.
        assert row.next_escalation_at == world.clock() + world.bot.alerts.service.policy.claim_lapse

        # Reassigning: the card names the new lawyer; only the new lawyer is told.
        before = world.cursor()
        menu = (await kira.press(await kira.open_case(code), "Assign")).screen
        assert menu is not None
        assert (await kira.press(menu, "Marat")).toast == f"{code} assigned to Marat."
        await world.settle()
        assert "Taken by: Marat" in (world.card(code).text or "")
        assert [(m.text or "").split("\n")[:2] for m in world.sent_since(marat, before)] == [
            ["This case was assigned to you:", f"🔴 URGENT · {code} · Almaty"]
        ]
        assert world.sent_since(lena, before) == []

        # Dana never started the bot: the coordinator is told that only the card shows it.
        menu = (await kira.press(await kira.open_case(code), "Assign")).screen
        assert menu is not None
        answer = await kira.press(menu, "Dana")
        assert answer.toast == (
            f"{code} assigned to Dana. They have not started the bot, so only the card shows it."
        )
        assert world.bot_messages(dana) == []
        ids = [await world.staff_id(u) for u in (lena, marat, dana)]
        kira_id = await world.staff_id(world.coordinator)
        assert await audit_of(world, "case.assign") == [
            (f"staff:{kira_id}", code, f"staff:{staff_id}") for staff_id in ids
        ]
        history = (await kira.open_case(code)).text or ""
        assert "Kira: assigned to Lena\n" in history
        assert history.endswith("Kira: assigned to Dana")

        # Only lawyers can be assigned: a coordinator's id in forged data is refused.
        forged = f"SA{code.replace('-', '')}{kira_id.hex}"
        assert (await kira.press_data(menu, forged, screen=False)).toast == (
            "That change is not possible now."
        )


async def test_notes_are_stored_encrypted_and_shown_in_the_case_view(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        code = await world.live_case(Urgency.HIGH)
        await world.settle()
        kira = desk(world)
        prompt = (await kira.press(await kira.open_case(code), "Note")).screen
        assert prompt is not None
        assert prompt.text == f"Send the note for {code} as one message."
        note = "Investigator Sadykov, hearing tomorrow at 15:00, room 12"
        saved = await kira.say(note)
        assert saved.text == "Note saved."
        world.clock.advance(minutes=5)
        second = await kira.press(await kira.open_case(code), "Note")
        assert second.screen is not None
        assert (await kira.say("Family informed")).text == "Note saved."

        view = (await kira.open_case(code)).text or ""
        assert f"Notes:\n12.01 14:00 {note}\n12.01 14:05 Family informed" in view
        assert "Kira: note added" in view
        async with world.runtime.sessions() as session:
            bodies = list((await session.execute(select(CaseNote.body))).scalars())
        assert len(bodies) == 2
        for body in bodies:
            assert b"Sadykov" not in body
            assert b"Family" not in body
        kira_id = await world.staff_id(world.coordinator)
        assert await audit_of(world, "case.note") == [(f"staff:{kira_id}", code, None)] * 2

        # A message with no note pending is not taken as one.
        before = world.cursor()
        await standin.send_text(world.coordinator, "Another thought")
        await standin.wait_idle()
        assert all(m.text != "Note saved." for m in world.sent_since(world.coordinator, before))
        assert len(await audit_of(world, "case.note")) == 2
