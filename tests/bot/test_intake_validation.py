"""Every refused answer: the right sentence in the reporter's language, the same question again,
nothing stored for it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.intake_model import Action
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import (
    FULL_REPORT,
    QUESTIONNAIRE,
    Reporter,
    begin,
    case_answers,
    cases,
    tr,
)

# FULL_REPORT, choosing to be reached by phone.
_AT = [q for q, _ in FULL_REPORT].index("contact_method")
PHONE_ROUTE: list[tuple[str, Any]] = [
    *FULL_REPORT[:_AT],
    ("contact_method", "phone"),
    ("contact_phone", "+7 701 123 45 67"),
    *FULL_REPORT[_AT + 1 :],
]


async def refused(
    bot: RunningBot, reporter: Reporter, question_id: str, reply_text: str, key: str, **values: Any
) -> None:
    """The reply is the error sentence followed by the same question; nothing was stored."""
    translator = tr(reporter.user.language_code or "ru")
    question = QUESTIONNAIRE.get(question_id)
    assert question is not None
    error = translator.ui(key, **values)
    assert reply_text.startswith(error), f"expected {error!r}, got {reply_text!r}"
    assert translator.question(question) in reply_text
    (case,) = await cases(bot)
    assert question_id not in await case_answers(bot, case.id)


@pytest.mark.parametrize(
    ("question_id", "typed", "key"),
    [
        ("detained_dob", "31.02.1990", "err_date_invalid"),
        ("detained_dob", "the twelfth", "err_date_invalid"),
        ("detained_dob", "12.04.2999", "err_date_future"),
        ("detained_dob", "12.04.1850", "err_date_too_old"),
        ("detained_at", "after lunch maybe", "err_datetime_invalid"),
        ("detained_at", "31.02 10:00", "err_datetime_invalid"),
        ("detained_at", "tomorrow 10:00", "err_date_future"),
        ("detained_at", "12.01.2020 10:00", "err_date_too_old"),
        ("detained_name", "I", "err_text_too_short"),
        ("detained_name", "x" * 201, "err_text_too_long"),
        ("detained_name", "\u200b\u200b\u200b", "err_text_empty"),
        ("detained_city", "   ", "err_text_empty"),
        ("reporter_role", "my brother", "err_use_buttons"),
        ("citizenship", "Russia", "err_use_buttons"),
        ("court_hearing", "yes", "err_use_buttons"),
    ],
)
async def test_a_typed_answer_that_cannot_be_read_is_refused_and_asked_again(
    running_bot: RunningBot, question_id: str, typed: str, key: str
) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until(question_id)
    question = QUESTIONNAIRE.get(question_id)
    assert question is not None
    reply = await reporter.say(typed)
    await refused(
        running_bot, reporter, question_id, reply.text or "", key, max=question.max_length
    )
    # The question still takes a good answer afterwards.
    good = dict(FULL_REPORT)[question_id]
    reply = await reporter.answer(question_id, good)
    (case,) = await cases(running_bot)
    assert question_id in await case_answers(running_bot, case.id)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("call me", "err_phone_invalid"),
        ("+7 701 123", "err_phone_too_short"),
        ("+7 701 123 45 67 89", "err_phone_invalid"),
    ],
)
async def test_a_bad_phone_number_is_refused_and_asked_again(
    running_bot: RunningBot, typed: str, key: str
) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until("contact_phone", PHONE_ROUTE)
    assert reporter.last is not None
    reply = await reporter.say(typed)
    await refused(running_bot, reporter, "contact_phone", reply.text or "", key)
    reply = await reporter.say("8 701 123 45 67")
    (case,) = await cases(running_bot)
    assert (await case_answers(running_bot, case.id))["contact_phone"] == "+77011234567"


@pytest.mark.parametrize("language", ["ru", "uk", "kk"])
async def test_refusals_are_in_the_reporters_language(
    running_bot: RunningBot, language: str
) -> None:
    reporter = await begin(running_bot, language)
    await reporter.answer_until("detained_dob")
    reply = await reporter.say("31.02.1990")
    await refused(running_bot, reporter, "detained_dob", reply.text or "", "err_date_invalid")
    assert tr(language).ui("err_date_invalid") != tr("en").ui("err_date_invalid")


async def test_the_date_and_time_from_the_hint_are_understood(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until("detained_at")
    reply = await reporter.say("12.04 14:30")
    assert tr("en").ui("err_datetime_invalid") not in (reply.text or "")
    (case,) = await cases(running_bot)
    answer = (await case_answers(running_bot, case.id))["detained_at"]
    assert answer["at"].endswith("-04-12T14:30:00+05:00")
    assert answer["has_time"] is True


async def test_done_with_nothing_ticked_is_refused(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until("citizenship")
    reply = await reporter.press(Action.DONE, "citizenship")
    await refused(running_bot, reporter, "citizenship", reply.text or "", "err_choose_one")


async def test_typing_on_the_file_question_is_refused(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until("papers")
    reply = await reporter.say("I have a photo of the ruling")
    await refused(running_bot, reporter, "papers", reply.text or "", "err_file_expected")


async def test_a_file_on_a_button_question_is_refused_with_the_buttons_sentence(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until("held_at")
    reply = await reporter.send_photo(b"\x89PNG\r\n\x1a\nnot really")
    await refused(running_bot, reporter, "held_at", reply.text or "", "err_use_buttons")


async def test_a_file_on_a_text_question_is_refused_asking_for_text(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until("detained_name")
    reply = await reporter.send_document(b"passport scan", "passport.pdf", "application/pdf")
    await refused(running_bot, reporter, "detained_name", reply.text or "", "err_text_expected")


async def test_an_exclusive_option_clears_the_others_and_is_cleared_by_them(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until("urgent_flags")
    mark = tr("en").ui("selected_mark")

    def ticked() -> list[str]:
        assert reporter.last is not None
        return [b["text"] for b in reporter.last.buttons() if b["text"].startswith(mark)]

    await reporter.toggle("urgent_flags", "health")
    await reporter.toggle("urgent_flags", "violence")
    assert ticked() == [
        f"{mark} Health problem or needs medication",
        f"{mark} Injuries or violence",
    ]
    await reporter.toggle("urgent_flags", "none")
    assert ticked() == [f"{mark} None of these"]
    await reporter.toggle("urgent_flags", "minor")
    assert ticked() == [f"{mark} They are under 18"]
    await reporter.toggle("urgent_flags", "minor")
    assert ticked() == []
    await reporter.toggle("urgent_flags", "none")
    await reporter.press(Action.DONE, "urgent_flags")
    (case,) = await cases(running_bot)
    assert (await case_answers(running_bot, case.id))["urgent_flags"] == ["none"]
