"""Two-way contact: staff write to a reporter through the bot, and the reporter's answer comes back.

A coordinator, or the lawyer who holds the case, writes; the reporter reads the words without
learning who wrote. The reporter answers with /add; the answer is stored encrypted in the case
and goes privately to the one who wrote, and to nobody else (not the lawyers' group, not the
other staff). Neither side ever sees the other's Telegram identity.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from bot.standin.models import PlayChat, PlayUser, StoredMessage
from storage.models import Answer, OutboxMessage, Staff
from tests.bot.alert_support import Office, office
from tests.bot.reporter_driver import FULL_REPORT, TIER0, Reporter, tr
from tests.bot.staff_support import audit_of, data_of, desk, labels
from tests.databases import ScratchDatabase

EN = tr("en")
QUESTION = "Is he still at District station No. 5? Did the family see the protocol?"
ANSWER = "They moved him to the airport at 13:40, the flight is tonight"
LATER = "His sister has the ruling now"
NOT_YOURS = EN.alert("contact_not_yours")


async def reporter_with_a_live_case(world: Office) -> tuple[Reporter, str]:
    """A reporter with a username and a surname (all of which must stay hidden), past Tier 0."""
    user = world.standin.new_user(
        "Olga", language_code="en", username="olga_from_almaty", last_name="Sergeyeva"
    )
    reporter = Reporter(world.standin, user)
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    for question_id, value in FULL_REPORT:
        await reporter.answer(question_id, value)
        if question_id == TIER0[-1]:
            break
    code = await world.reporter_case_code(reporter)
    await world.settle()
    return reporter, code


def marks_of(user: PlayUser) -> list[str]:
    """What would reveal who someone is on Telegram."""
    return [str(user.id)] + [
        v for v in (user.first_name, user.last_name, user.username) if v is not None
    ]


def everything_said(world: Office, since: int) -> dict[int, list[str]]:
    """Every bot message sent after event `since`, by chat."""
    chats: list[PlayUser | PlayChat] = [
        world.group,
        *world.lawyers,
        world.coordinator,
        world.outsider,
    ]
    return {chat.id: [m.content for m in world.sent_since(chat, since)] for chat in chats}


async def add_information(world: Office, reporter: Reporter, text: str, code: str) -> None:
    """The reporter answers the way the bot tells them to: /add, then the words."""
    prompt = await reporter.command("/add")
    assert prompt.text == EN.ui("add_prompt", code=code)
    saved = await reporter.say(text)
    assert saved.text == EN.ui("add_saved", code=code)
    await world.settle()


async def relayed_to_reporter(world: Office, reporter: Reporter, code: str, text: str) -> None:
    """The reporter received exactly the staff member's words, and nothing about who wrote."""
    message = await reporter.next_message()
    assert message.text == EN.staff("contact_to_reporter", code=code, text=text)
    assert message.buttons() == []
    staff = [*world.lawyers, world.coordinator]
    for mark in (m for person in staff for m in marks_of(person)):
        assert mark not in (message.text or ""), mark


async def stored_answer(world: Office, code: str, key: str) -> dict[str, object]:
    """A follow-up answer, decrypted; and a check that its row holds no plaintext."""
    case = await world.case_row(code)
    async with world.runtime.store.transaction() as tx:
        answers = await tx.cases.answers(case.id)
    async with world.runtime.sessions() as session:
        raw = (
            await session.execute(
                select(Answer.value).where(Answer.case_id == case.id, Answer.question_id == key)
            )
        ).scalar_one()
    item = answers[key]
    assert isinstance(item, dict)
    assert str(item["value"]).encode() not in raw
    return item


async def replies(world: Office) -> list[OutboxMessage]:
    return [r for r in await world.outbox() if r.kind == "contact_reply"]


async def assert_no_plaintext_in_the_outbox(world: Office, *texts: str) -> None:
    """Outbox payloads are ciphertext; a reply's payload names the answer, never its words."""
    for row in await world.outbox():
        for text in texts:
            assert text.encode() not in (row.payload or b"")
    async with world.runtime.store.transaction() as tx:
        for row in await replies(world):
            payload = await tx.outbox.payload(row)
            assert set(payload) == {"answer"}
            assert str(payload["answer"]).startswith("followup_")


async def test_a_coordinator_writes_and_the_reporters_answer_comes_back_to_them_alone(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        reporter, code = await reporter_with_a_live_case(world)
        kira = desk(world)

        # Before anyone wrote, information the reporter adds goes into the case only: nobody is
        # written to privately.
        since = world.cursor()
        await add_information(world, reporter, "He has asthma", code)
        assert await replies(world) == []
        private = {k: v for k, v in everything_said(world, since).items() if k != world.group.id}
        assert all(texts == [] for texts in private.values()), private

        prompt = (await kira.press(await kira.open_case(code), "Write to reporter")).screen
        assert prompt is not None
        assert prompt.text == EN.staff("send_contact", code=code)
        assert (await kira.say(QUESTION)).text == EN.staff("contact_sent")
        await world.settle()
        await relayed_to_reporter(world, reporter, code, QUESTION)
        kira_id = await world.staff_id(world.coordinator)
        assert (await world.case_row(code)).last_contact_by == kira_id
        assert await audit_of(world, "case.contact") == [(f"staff:{kira_id}", code, None)]

        since = world.cursor()
        await add_information(world, reporter, ANSWER, code)
        # Into the case, encrypted.
        item = await stored_answer(world, code, "followup_002")
        assert (item["kind"], item["value"]) == ("text", ANSWER)
        # To Kira, privately: the case code and the reporter's words, nothing about who they are.
        said = everything_said(world, since)
        assert said[world.coordinator.id] == [EN.alert("contact_reply", code=code, text=ANSWER)]
        for mark in marks_of(reporter.user):
            assert mark not in said[world.coordinator.id][0], mark
        # To nobody else: no lawyer, no outsider, and the group's card never quotes it.
        for chat_id, texts in said.items():
            if chat_id != world.coordinator.id:
                assert all(ANSWER not in text for text in texts), (chat_id, texts)
        others: list[PlayUser | PlayChat] = [world.group, *world.lawyers, world.outsider]
        for chat in others:
            assert all(ANSWER not in m.content for m in world.bot_messages(chat))
        assert [(r.status, r.staff_id) for r in await replies(world)] == [("sent", kira_id)]
        await assert_no_plaintext_in_the_outbox(world, ANSWER, QUESTION)


async def details_of(world: Office, lawyer: PlayUser, code: str) -> StoredMessage:
    """Details pressed on the card: the message the lawyer gets privately."""
    since = world.cursor()
    assert (await world.press(lawyer, world.card(code), "Details"))["text"] == (
        EN.alert("details_sent")
    )
    await world.standin.wait_idle()
    [details] = world.sent_since(lawyer, since)
    assert (details.text or "").startswith(f"Case {code}")
    return details


async def pending_of(world: Office, user: PlayUser) -> bytes | None:
    """A staff member's pending action (ciphertext), None when there is none."""
    staff_id = await world.staff_id(user)
    async with world.runtime.sessions() as session:
        row = await session.get(Staff, staff_id)
        assert row is not None
        return row.pending


async def test_the_lawyer_holding_a_case_writes_from_details_and_alone_hears_the_answer(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _dana = world.lawyers
        reporter, code = await reporter_with_a_live_case(world)
        assert (await world.press(lena, world.card(code), "Take"))["text"] == "The case is yours."
        await world.settle()
        taken = await reporter.next_message()
        assert taken.text == EN.alert("reporter_assigned", code=code)

        # Marat does not hold the case: his Details offer no way to write, and forged presses
        # (with or without the page marker) are refused and leave nothing pending.
        theirs = await details_of(world, marat, code)
        assert labels(theirs) == []
        marat_desk = desk(world, marat)
        symbols = code.replace("-", "")
        for data in (f"Sc{symbols}p", f"Sc{symbols}"):
            refused = await marat_desk.press_data(theirs, data, screen=False)
            assert refused.toast == NOT_YOURS
            assert await pending_of(world, marat) is None
        since = world.cursor()
        await world.standin.send_text(marat, QUESTION)
        await world.standin.wait_idle()
        await world.settle()
        said = everything_said(world, since)
        assert all(texts == [] for chat_id, texts in said.items() if chat_id != marat.id), said
        assert all(QUESTION not in text for text in said[marat.id])
        assert world.sent_since(reporter.user, since) == []
        assert await audit_of(world, "case.contact") == []
        # Nor may he press any other coordinator button.
        view_data = f"Sv{symbols}"
        not_allowed = await marat_desk.press_data(theirs, view_data, screen=False)
        assert not_allowed.toast == EN.staff("not_allowed")

        # Lena does: the button sits under her Details, which stay as they were.
        mine = await details_of(world, lena, code)
        assert labels(mine) == ["Write to reporter"]
        lena_desk = desk(world, lena)
        since = world.cursor()
        pressed = await lena_desk.press_data(mine, data_of(mine, "Write to reporter"))
        assert pressed.toast == EN.staff("send_contact", code=code)
        assert pressed.screen is not None
        assert pressed.screen.message_id != mine.message_id
        assert pressed.screen.text == EN.staff("send_contact", code=code)
        [still] = [m for m in world.bot_messages(lena) if m.message_id == mine.message_id]
        assert still.text == mine.text
        assert (await lena_desk.say(QUESTION)).text == EN.staff("contact_sent")
        await world.settle()
        await relayed_to_reporter(world, reporter, code, QUESTION)
        lena_id = await world.staff_id(lena)
        assert (await world.case_row(code)).last_contact_by == lena_id
        assert await audit_of(world, "case.contact") == [(f"staff:{lena_id}", code, None)]

        since = world.cursor()
        await add_information(world, reporter, ANSWER, code)
        said = everything_said(world, since)
        assert said[lena.id] == [EN.alert("contact_reply", code=code, text=ANSWER)]
        for chat_id, texts in said.items():
            if chat_id != lena.id:
                assert all(ANSWER not in text for text in texts), (chat_id, texts)
        item = await stored_answer(world, code, "followup_001")
        assert item["value"] == ANSWER
        await assert_no_plaintext_in_the_outbox(world, ANSWER, QUESTION)


async def test_answers_go_to_whoever_wrote_last_and_never_to_a_lawyer_taken_off_the_case(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena = world.lawyers[0]
        reporter, code = await reporter_with_a_live_case(world)
        kira = desk(world)
        await kira.press(await kira.open_case(code), "Write to reporter")
        assert (await kira.say(QUESTION)).text == EN.staff("contact_sent")
        await world.settle()
        await relayed_to_reporter(world, reporter, code, QUESTION)

        # Kira assigns Lena; Lena writes from the page that tells her so.
        menu = (await kira.press(await kira.open_case(code), "Assign")).screen
        assert menu is not None
        since = world.cursor()
        await kira.press(menu, "Lena")
        await world.settle()
        [page] = world.pages(lena, since)
        assert (page.text or "").startswith("This case was assigned to you:")
        assert labels(page)[-1] == "Write to reporter"
        await desk(world, lena).press(page, "Write to reporter")
        assert (await desk(world, lena).say("Please call me back")).text == (
            EN.staff("contact_sent")
        )
        await world.settle()
        await relayed_to_reporter(world, reporter, code, "Please call me back")

        since = world.cursor()
        await add_information(world, reporter, ANSWER, code)
        said = everything_said(world, since)
        assert said[lena.id] == [EN.alert("contact_reply", code=code, text=ANSWER)]
        assert said[world.coordinator.id] == []

        # Kira gives the case to Marat: Lena is off it, and the next answer is not hers to read.
        menu = (await kira.press(await kira.open_case(code), "Assign")).screen
        assert menu is not None
        await kira.press(menu, "Marat")
        await world.settle()
        since = world.cursor()
        await add_information(world, reporter, LATER, code)
        said = everything_said(world, since)
        assert all(LATER not in text for texts in said.values() for text in texts), said
        assert (await stored_answer(world, code, "followup_002"))["value"] == LATER
        lena_id = await world.staff_id(lena)
        assert [(r.status, r.error_code, r.staff_id) for r in await replies(world)] == [
            ("sent", None, lena_id),
            ("folded", "writer_off_the_case", lena_id),
        ]
        # Nor can she write any more.
        page_again = await desk(world, lena).press(page, "Write to reporter", screen=False)
        assert page_again.toast == NOT_YOURS
        assert await pending_of(world, lena) is None
