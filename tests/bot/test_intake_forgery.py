"""Redelivered updates and forged, stale or foreign button presses change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.intake_model import Action, PressEvent
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import (
    QUESTIONNAIRE,
    Reporter,
    begin,
    case_answers,
    cases,
    conversation,
    last_update_id,
    tr,
)

EN = tr("en")
STALE = EN.ui("err_stale_button")


async def snapshot(bot: RunningBot, reporter: Reporter) -> tuple[Any, ...]:
    """Everything a press or a redelivery could change: answers, state, case metadata."""
    state = await conversation(bot, reporter.user)
    rows = await cases(bot)
    answers = [await case_answers(bot, c.id) for c in rows]
    meta = [(c.id, c.status, c.urgency, c.report_count, c.submitted_at) for c in rows]
    return (state.to_dict() if state else None), answers, meta


def asks(reporter: Reporter, question_id: str) -> bool:
    question = QUESTIONNAIRE.get(question_id)
    assert question is not None
    assert reporter.last is not None
    return EN.question(question) in (reporter.last.text or "")


async def test_a_redelivered_text_answer_changes_nothing_and_reshows_the_question(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer("reporter_role", "relative")
    await reporter.say("Ivan Petrov")
    answered = last_update_id(running_bot.standin)
    assert asks(reporter, "detained_dob")
    before = await snapshot(running_bot, reporter)
    await running_bot.standin.redeliver(answered)
    await reporter.next_message()
    assert asks(reporter, "detained_dob")
    assert await snapshot(running_bot, reporter) == before
    # And the question shown again still works.
    await reporter.say("12.04.1990")
    (case,) = await cases(running_bot)
    assert set(await case_answers(running_bot, case.id)) == {
        "reporter_role",
        "detained_name",
        "detained_dob",
    }


async def test_a_redelivered_button_press_changes_nothing(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer("reporter_role", "relative")
    pressed = last_update_id(running_bot.standin)
    await reporter.answer("detained_name", "Ivan Petrov")
    before = await snapshot(running_bot, reporter)
    await running_bot.standin.redeliver(pressed)
    await reporter.next_message()
    assert asks(reporter, "detained_dob")
    assert await snapshot(running_bot, reporter) == before


async def test_a_redelivered_submission_sends_nothing_twice(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until(None)
    await reporter.press(Action.SUBMIT)
    submitted = last_update_id(running_bot.standin)
    before = await snapshot(running_bot, reporter)
    await running_bot.standin.redeliver(submitted)
    await reporter.next_message()
    assert await snapshot(running_bot, reporter) == before


def forgeries(reporter: Reporter) -> list[str]:
    """Callback data that no current button carries."""
    assert reporter.last is not None
    live = PressEvent.decode(reporter.button_data(Action.CHOOSE, "held_at", "ivs"))
    assert live is not None
    nonce, qi = live.nonce, live.question
    return [
        f"{nonce - 1}:c:{qi}:1",  # a valid button of an earlier screen
        f"{nonce + 5}:c:{qi}:1",  # a nonce not issued yet
        f"{nonce}:c:{qi + 1}:0",  # another question's option
        f"{nonce}:c:{qi}:99",  # no such option
        f"{nonce}:c:{qi}:-1",
        f"{nonce}:S:-1:-1",  # "Send the report" from the review screen
        f"{nonce}:ey:-1:-1",  # "Yes, erase everything" from the erase confirmation
        f"{nonce}:xy:-1:-1",  # "Yes, erase it" from the cancel confirmation
        f"{nonce}:wy:-1:-1",  # "Delete this conversation" after submission
        f"{nonce}:g:-1:-1",  # "Start a report" from the welcome
        f"{nonce}:e:{qi}:-1",  # "Edit" from the review
        f"{nonce}:t:{qi}:1",  # a tick on a single-choice question
        f"{nonce}:d:{qi}:-1",  # "Done" on a single-choice question
        f"{nonce}:s:{qi}:-1",  # "Skip" on a required question
        f"{nonce}:u:{qi}:-1",  # "Don't know" where it is not offered
        f"{nonce}:L:-1:0",  # a language button
        "hello",
        "",
        "x" * 64,
        "0:c:0:0:0",
        f"{nonce}:zz:{qi}:1",
        "\u202e:c:1:2",
        "".join(chr(0x4E00 + i) for i in range(21)),  # 63 bytes of CJK junk
        bytes(range(1, 65)).decode("latin-1"),  # 64 bytes of control junk
    ]


async def test_forged_button_presses_change_nothing_and_are_told_the_button_is_inactive(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer_until("held_at")
    question_message = reporter.last
    before = await snapshot(running_bot, reporter)
    for data in forgeries(reporter):
        assert await reporter.press_data(data, question_message) == STALE, repr(data)
    await reporter.nothing_more()
    assert await snapshot(running_bot, reporter) == before
    # The real buttons still work afterwards.
    await reporter.answer("held_at", "ivs")
    assert asks(reporter, "held_at_details")
    (case,) = await cases(running_bot)
    assert (await case_answers(running_bot, case.id))["held_at"] == "ivs"


@pytest.mark.parametrize(
    ("screen", "forged_action"),
    [
        ("review", Action.ERASE_YES),
        ("review", Action.WIPE_YES),
        ("review", Action.BACK),
        ("confirm_cancel", Action.SUBMIT),
        ("confirm_cancel", Action.BEGIN),
        ("submitted", Action.CANCEL_YES),
        ("submitted", Action.LANGUAGE),
        ("welcome", Action.SUBMIT),
    ],
)
async def test_an_action_from_another_screen_changes_nothing(
    running_bot: RunningBot, screen: str, forged_action: Action
) -> None:
    reporter = await begin(running_bot)
    if screen != "welcome":
        await reporter.answer_until(None)
    if screen == "confirm_cancel":
        await reporter.press(Action.CANCEL)
    elif screen == "submitted":
        await reporter.press(Action.SUBMIT)
    elif screen == "welcome":
        await reporter.command("/cancel")
        await reporter.press(Action.CANCEL_YES)
        await reporter.command("/start")
    state = await conversation(running_bot, reporter.user)
    assert state is not None
    assert state.step == screen
    shown = reporter.last
    assert shown is not None
    nonce = PressEvent.decode(str(shown.buttons()[0]["callback_data"]))
    assert nonce is not None
    before = await snapshot(running_bot, reporter)
    forged = PressEvent(nonce.nonce, forged_action, -1, 0).encode()
    assert await reporter.press_data(forged, shown) == STALE
    await reporter.nothing_more()
    assert await snapshot(running_bot, reporter) == before
    # The screen's own first button still works.
    await reporter.press_data(str(shown.buttons()[0]["callback_data"]), shown)
    await reporter.next_message()
    assert await snapshot(running_bot, reporter) != before


async def test_an_old_questions_button_after_moving_on_changes_nothing(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    role_question = reporter.last
    assert role_question is not None
    old = reporter.button_data(Action.CHOOSE, "reporter_role", "witness")
    await reporter.answer("reporter_role", "relative")
    await reporter.answer("detained_name", "Ivan Petrov")
    before = await snapshot(running_bot, reporter)
    assert await reporter.press_data(old, role_question) == STALE
    await reporter.nothing_more()
    assert await snapshot(running_bot, reporter) == before
    (case,) = await cases(running_bot)
    assert (await case_answers(running_bot, case.id))["reporter_role"] == "relative"
