"""After submission: /status, /add (text and files), /erase."""

from __future__ import annotations

import uuid

from bot.domain.intake_model import Action
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import (
    FULL_REPORT,
    QUESTIONNAIRE,
    begin,
    case_answers,
    cases,
    conversation,
    data_key_ids,
    outbox,
    reporter_ids,
    submit_full_report,
    tr,
)

EN = tr("en")


async def test_status_shows_the_code_and_a_neutral_status(running_bot: RunningBot) -> None:
    reporter = await submit_full_report(running_bot)
    (case,) = await cases(running_bot)
    reply = await reporter.command("/status")
    assert reply.text == EN.ui("status", code=case.code, status=EN.ui("status_new"))
    # Nothing in it says whom or what the case is about.
    for word in ("Ivan", "Petrov", "Almaty", "detain", "police", "deport"):
        assert word.lower() not in (reply.text or "").lower()


async def test_add_then_text_is_stored_as_a_follow_up_and_queued_for_the_lawyers(
    running_bot: RunningBot,
) -> None:
    reporter = await submit_full_report(running_bot)
    (case,) = await cases(running_bot)
    before = [m.kind for m in await outbox(running_bot)].count("follow_up")
    reply = await reporter.command("/add")
    assert reply.text == EN.ui("add_prompt", code=case.code)
    reply = await reporter.say("They moved him to the airport.")
    assert reply.text == EN.ui("add_saved", code=case.code)
    answers = await case_answers(running_bot, case.id)
    follow_up = answers["followup_001"]
    assert (follow_up["kind"], follow_up["value"]) == ("text", "They moved him to the airport.")
    kinds = [(m.kind, m.case_id) for m in await outbox(running_bot)]
    assert kinds.count(("follow_up", case.id)) == before + 1
    # The next message is not a follow-up any more.
    reply = await reporter.say("thanks")
    assert "followup_002" not in await case_answers(running_bot, case.id)
    assert EN.ui("help") in (reply.text or "")


async def test_add_then_a_document_is_stored_encrypted_as_a_follow_up(
    running_bot: RunningBot,
) -> None:
    reporter = await submit_full_report(running_bot)
    (case,) = await cases(running_bot)
    await reporter.command("/add")
    reply = await reporter.send_document(b"%PDF-1.4 ruling", "ruling.pdf", "application/pdf")
    assert reply.text == EN.ui("add_saved", code=case.code)
    follow_up = (await case_answers(running_bot, case.id))["followup_001"]
    assert follow_up["kind"] == "file"
    async with running_bot.runtime.store.transaction() as tx:
        meta, data = await tx.attachments.read(uuid.UUID(follow_up["value"]))
    assert (meta.name, meta.mime_type, data) == (
        "ruling.pdf",
        "application/pdf",
        b"%PDF-1.4 ruling",
    )
    assert ("follow_up", case.id) in [(m.kind, m.case_id) for m in await outbox(running_bot)]


async def test_add_in_the_middle_of_a_new_report_returns_to_its_question(
    running_bot: RunningBot,
) -> None:
    reporter = await submit_full_report(running_bot)
    (first,) = await cases(running_bot)
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    await reporter.answer("reporter_role", "witness")
    await reporter.command("/add")
    reply = await reporter.say("One more thing about the first case.")
    assert reply.text == EN.ui("add_saved", code=first.code)
    reply = await reporter.say("Anna Ivanova")
    dob = QUESTIONNAIRE.get("detained_dob")
    assert dob is not None
    assert EN.question(dob) in (reply.text or "")
    second = next(c for c in await cases(running_bot) if c.id != first.id)
    assert (await case_answers(running_bot, second.id))["detained_name"] == "Anna Ivanova"


async def test_add_before_any_report_says_there_is_none(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    reply = await reporter.command("/add")
    assert reply.text == EN.ui("no_case")


async def test_erase_shreds_every_case_and_the_reporter_and_status_then_finds_nothing(
    running_bot: RunningBot,
) -> None:
    reporter = await submit_full_report(running_bot)
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    await reporter.answer_until("detained_at")  # a second report, still a draft
    owned = {c.id for c in await cases(running_bot)}
    assert len(owned) == 2
    (reporter_id,) = await reporter_ids(running_bot)
    assert owned | {reporter_id} <= await data_key_ids(running_bot)
    reply = await reporter.command("/erase")
    assert reply.text == EN.ui("erase_confirm")
    reply = await reporter.press(Action.ERASE_YES)
    assert reply.text == EN.ui("erased")
    assert await cases(running_bot) == []
    assert await reporter_ids(running_bot) == []
    assert not (owned | {reporter_id}) & await data_key_ids(running_bot)
    assert [m for m in await outbox(running_bot) if m.case_id in owned] == []
    reply = await reporter.command("/status")
    assert reply.text == EN.ui("no_case")
    # Asking leaves no trace of the person behind.
    assert await reporter_ids(running_bot) == []
    assert await conversation(running_bot, reporter.user) is None


async def test_erase_no_keeps_everything(running_bot: RunningBot) -> None:
    reporter = await submit_full_report(running_bot)
    (case,) = await cases(running_bot)
    await reporter.command("/erase")
    await reporter.press(Action.ERASE_NO)
    assert [c.id for c in await cases(running_bot)] == [case.id]
    reply = await reporter.command("/status")
    assert case.code in (reply.text or "")


async def test_a_stranger_asking_for_status_or_erasure_leaves_no_trace(
    running_bot: RunningBot,
) -> None:
    standin = running_bot.standin
    stranger = standin.new_user("Curious", language_code="en")
    for command, expected in (
        ("/status", EN.ui("no_case")),
        ("/add", EN.ui("no_case")),
        ("/erase", EN.ui("nothing_to_erase")),
    ):
        await standin.send_command(stranger, command)
        reply = await standin.next_bot_message(stranger)
        assert reply.text == expected
    await standin.send_command(stranger, "/help")
    reply = await standin.next_bot_message(stranger)
    assert EN.ui("help") in (reply.text or "")
    assert await reporter_ids(running_bot) == []
    # /help offers the way in, and that way works.
    await standin.press_button(stranger, reply, text=EN.ui("start_report"))
    first = await standin.next_bot_message(stranger)
    assert EN.question(QUESTIONNAIRE.questions[0]) in (first.text or "")
    assert FULL_REPORT[0][0] == QUESTIONNAIRE.questions[0].id
