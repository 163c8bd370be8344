"""Moving through the questionnaire: Back, Skip, Edit from the review, Cancel, resuming."""

from __future__ import annotations

from bot.domain.intake_model import Action
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import (
    FULL_REPORT,
    QUESTIONNAIRE,
    SKIP,
    answer_rows,
    begin,
    case_answers,
    cases,
    conversation,
    data_key_ids,
    tr,
)

EN = tr("en")


def asks(text: str | None, question_id: str, language: str = "en") -> bool:
    """Whether a message asks this question (its translated text in bold)."""
    question = QUESTIONNAIRE.get(question_id)
    assert question is not None
    return text is not None and tr(language).question(question) in text


async def test_back_returns_to_the_previous_question_showing_its_answer(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer("reporter_role", "relative")
    await reporter.answer("detained_name", "Ivan Petrov")
    reply = await reporter.press(Action.BACK)
    assert asks(reply.text, "detained_name")
    assert EN.ui("current_answer", answer="Ivan Petrov") in reply.text
    reply = await reporter.press(Action.BACK)
    assert asks(reply.text, "reporter_role")
    assert EN.ui("current_answer", answer="A relative") in reply.text
    # The first question has nowhere to go back to.
    assert EN.ui("back") not in [b["text"] for b in reply.buttons()]
    # Answering again walks forward from there, keeping the later answer.
    reply = await reporter.answer("reporter_role", "witness")
    assert asks(reply.text, "detained_name")
    reply = await reporter.answer("detained_name", "Ivan Sidorov")
    assert asks(reply.text, "detained_dob")
    (case,) = await cases(running_bot)
    answers = await case_answers(running_bot, case.id)
    assert answers == {"reporter_role": "witness", "detained_name": "Ivan Sidorov"}


async def test_back_on_a_multiple_choice_question_shows_the_earlier_ticks(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("citizenship")
    await reporter.answer("citizenship", ["ru", "kz"])
    reply = await reporter.press(Action.BACK)
    assert asks(reply.text, "citizenship")
    ticked = [b["text"] for b in reply.buttons() if b["text"].startswith(EN.ui("selected_mark"))]
    assert ticked == ["✓ Russia", "✓ Kazakhstan"]


async def test_skip_stores_nothing_and_moves_on(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_place")
    reply = await reporter.answer("detained_place", SKIP)
    assert asks(reply.text, "held_at")
    (case,) = await cases(running_bot)
    assert "detained_place" not in await case_answers(running_bot, case.id)
    # A required question has no Skip button.
    assert EN.ui("skip") not in [b["text"] for b in reply.buttons()]


async def test_skipping_after_going_back_removes_the_earlier_answer(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_place")
    await reporter.answer("detained_place", "Near the bus stop")
    await reporter.press(Action.BACK)
    reply = await reporter.answer("detained_place", SKIP)
    assert asks(reply.text, "held_at")
    (case,) = await cases(running_bot)
    assert "detained_place" not in await case_answers(running_bot, case.id)


async def test_edit_from_the_review_changes_one_answer_and_returns_to_the_review(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    review = await reporter.answer_until(None)
    assert review is not None
    assert EN.ui("review_title") in review.text
    assert "Ivan Petrov" in review.text
    reply = await reporter.press(Action.EDIT, "detained_name")
    assert asks(reply.text, "detained_name")
    assert EN.ui("current_answer", answer="Ivan Petrov") in reply.text
    reply = await reporter.say("Ivan Ivanovich Petrov")
    assert EN.ui("review_title") in reply.text
    assert "Ivan Ivanovich Petrov" in reply.text
    (case,) = await cases(running_bot)
    assert (await case_answers(running_bot, case.id))["detained_name"] == "Ivan Ivanovich Petrov"


async def test_an_edit_that_opens_a_new_question_asks_only_that_one_then_the_review(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until(None)
    await reporter.press(Action.EDIT, "contact_method")
    reply = await reporter.answer("contact_method", "phone")
    assert asks(reply.text, "contact_phone")
    reply = await reporter.say("+7 701 123 45 67")
    assert EN.ui("review_title") in reply.text
    assert "+77011234567" in reply.text


async def test_an_edit_that_makes_an_answer_moot_forgets_it(running_bot: RunningBot) -> None:
    report = [(q, v) for q, v in FULL_REPORT if q != "safe_times"]
    reporter = await begin(running_bot)
    for question_id, value in report:
        if question_id == "contact_method":
            await reporter.answer(question_id, "phone")
            await reporter.answer("contact_phone", "+7 701 123 45 67")
            await reporter.answer("safe_times", SKIP)
        else:
            await reporter.answer(question_id, value)
    await reporter.press(Action.EDIT, "contact_method")
    reply = await reporter.answer("contact_method", "chat")
    assert EN.ui("review_title") in reply.text
    assert "+77011234567" not in reply.text
    (case,) = await cases(running_bot)
    assert "contact_phone" not in await case_answers(running_bot, case.id)


async def test_cancel_asks_first_and_no_continues_at_the_same_question(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_dob")
    reply = await reporter.press(Action.CANCEL)
    assert reply.text == EN.ui("cancel_confirm")
    reply = await reporter.press(Action.CANCEL_NO)
    assert asks(reply.text, "detained_dob")
    reply = await reporter.say("12.04.1990")
    assert asks(reply.text, "detained_at")
    (case,) = await cases(running_bot)
    assert set(await case_answers(running_bot, case.id)) == {
        "reporter_role",
        "detained_name",
        "detained_dob",
    }


async def test_cancel_yes_shreds_the_case_and_its_data_key(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_at")
    (case,) = await cases(running_bot)
    assert case.id in await data_key_ids(running_bot)
    await reporter.press(Action.CANCEL)
    reply = await reporter.press(Action.CANCEL_YES)
    assert reply.text == EN.ui("cancelled")
    assert await cases(running_bot) == []
    assert case.id not in await data_key_ids(running_bot)
    assert await answer_rows(running_bot) == 0
    # The next message finds the welcome, and a new report starts from the first question.
    reply = await reporter.command("/start")
    assert EN.ui("welcome") in reply.text
    reply = await reporter.press(Action.BEGIN)
    assert asks(reply.text, "reporter_role")


async def test_the_cancel_command_asks_for_the_same_confirmation(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer("reporter_role", "relative")
    reply = await reporter.command("/cancel")
    assert reply.text == EN.ui("cancel_confirm")
    reply = await reporter.press(Action.CANCEL_NO)
    assert asks(reply.text, "detained_name")


async def test_cancel_from_the_review_shreds_the_whole_report(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until(None)
    (case,) = await cases(running_bot)
    await reporter.press(Action.CANCEL)
    reply = await reporter.press(Action.CANCEL_NO)
    assert EN.ui("review_title") in reply.text
    await reporter.press(Action.CANCEL)
    await reporter.press(Action.CANCEL_YES)
    assert await cases(running_bot) == []
    assert case.id not in await data_key_ids(running_bot)


async def test_start_in_the_middle_resumes_at_the_same_question(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_city")
    reply = await reporter.command("/start")
    assert EN.ui("resume") in reply.text
    assert asks(reply.text, "detained_city")
    reply = await reporter.say("Almaty")
    assert asks(reply.text, "detained_place")
    assert len(await cases(running_bot)) == 1


async def test_start_at_the_review_resumes_at_the_review(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until(None)
    reply = await reporter.command("/start")
    assert EN.ui("resume") in reply.text
    assert EN.ui("review_title") in reply.text


async def test_start_while_cancel_is_being_confirmed_resumes_the_report(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_dob")
    await reporter.press(Action.CANCEL)
    reply = await reporter.command("/start")
    assert EN.ui("resume") in reply.text
    assert asks(reply.text, "detained_dob")
    assert len(await cases(running_bot)) == 1
    state = await conversation(running_bot, reporter.user)
    assert state is not None
    assert state.step == "question"


async def test_a_command_in_the_middle_returns_to_the_same_question(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_name")
    reply = await reporter.command("/status")
    assert reply.text == EN.ui("no_case")
    reply = await reporter.say("Ivan Petrov")
    assert asks(reply.text, "detained_dob")
    (case,) = await cases(running_bot)
    assert (await case_answers(running_bot, case.id))["detained_name"] == "Ivan Petrov"


async def test_changing_the_language_in_the_middle_asks_the_same_question_in_it(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("detained_name")
    reply = await reporter.command("/language")
    assert reply.text == EN.ui("choose_language")
    kazakh = next(b for b in reply.buttons() if b["text"] == "Қазақша")
    await reporter.press_data(str(kazakh["callback_data"]))
    reply = await reporter.next_message()
    assert tr("kk").ui("language_set") in reply.text
    assert asks(reply.text, "detained_name", "kk")
