"""Floods, too many reports, group chats and edited messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import (
    begin,
    case_answers,
    cases,
    conversation,
    custom_bot,
    reporter_ids,
    submit_full_report,
    tr,
)
from tests.databases import ScratchDatabase

EN = tr("en")


@pytest.fixture
async def throttled_bot(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> AsyncIterator[RunningBot]:
    """A bot that takes 5 messages a minute from each reporter."""
    async with custom_bot(standin, database, keyring_path, max_messages_per_minute=5) as bot:
        yield bot


@pytest.fixture
async def one_report_a_day_bot(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> AsyncIterator[RunningBot]:
    """A bot that takes one report a day from each reporter."""
    async with custom_bot(standin, database, keyring_path, max_reports_per_day=1) as bot:
        yield bot


async def test_the_sixth_message_in_a_minute_is_refused_once_and_later_ones_dropped(
    throttled_bot: RunningBot,
) -> None:
    reporter = await begin(throttled_bot)  # 1: /start, 2: "Start a report"
    await reporter.answer("reporter_role", "relative")  # 3
    await reporter.answer("detained_name", "Ivan Petrov")  # 4
    name_message = reporter.standin.transcript(reporter.user)[-2]
    await reporter.answer("detained_dob", "12.04.1990")  # 5
    reply = await reporter.say("5 hours ago")  # 6
    assert reply.text == EN.ui("err_rate_limited")
    standin = reporter.standin
    for text in ("5 hours ago", "Almaty", "/status", "/frobnicate"):
        await standin.send_text(reporter.user, text)
    await standin.edit_text(reporter.user, name_message, "Ivan Sidorov")
    pressed = await standin.press_button(reporter.user, reporter.last, data="junk")
    await reporter.nothing_more()
    assert standin.state.callbacks[pressed].answer == {
        "text": None,
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }  # the press is acknowledged, silently
    (case,) = await cases(throttled_bot)
    assert await case_answers(throttled_bot, case.id) == {
        "reporter_role": "relative",
        "detained_name": "Ivan Petrov",
        "detained_dob": {"date": "1990-04-12", "approximate": False},
    }
    state = await conversation(throttled_bot, reporter.user)
    assert state is not None
    assert state.data["question"] == "detained_at"


async def test_other_reporters_are_not_slowed_by_one_who_floods(
    throttled_bot: RunningBot,
) -> None:
    flooder = await begin(throttled_bot)
    for _ in range(4):
        await throttled_bot.standin.send_text(flooder.user, "spam")
    other = await begin(throttled_bot, first_name="Pavel")
    reply = await other.answer("reporter_role", "witness")
    assert EN.ui("err_rate_limited") not in (reply.text or "")


async def test_a_second_report_on_the_same_day_is_refused(
    one_report_a_day_bot: RunningBot,
) -> None:
    reporter = await submit_full_report(one_report_a_day_bot)
    reply = await reporter.command("/start")
    assert EN.ui("welcome") in (reply.text or "")
    reply = await reporter.press(Action.BEGIN)
    assert (reply.text or "").startswith(EN.ui("err_too_many_today"))
    assert len(await cases(one_report_a_day_bot)) == 1


async def test_a_group_chat_gets_no_answer_and_nothing_is_stored(
    running_bot: RunningBot,
) -> None:
    standin = running_bot.standin
    reporter = await begin(running_bot)
    await reporter.answer("reporter_role", "relative")
    stranger = standin.new_user("Stranger")
    group = standin.new_group("Family", [reporter.user, stranger], bot_status="administrator")
    before = await conversation(running_bot, reporter.user)
    for user, text in (
        (stranger, "/start"),
        (stranger, f"/start@{standin.bot.username}"),
        (stranger, "Ivan Petrov"),
        (stranger, "/status"),
        (reporter.user, "/cancel"),
        (reporter.user, "Ivan Petrov"),
        (reporter.user, "/erase"),
    ):
        await standin.send_text(user, text, chat_id=group.id)
    await standin.send_photo(stranger, chat_id=group.id)
    await standin.wait_idle()
    assert [m for m in standin.transcript(group) if m.from_bot] == []
    assert standin.events(group, kind="sent") == []
    assert len(await reporter_ids(running_bot)) == 1  # the reporter only; no stranger
    assert await conversation(running_bot, reporter.user) == before
    (case,) = await cases(running_bot)
    assert await case_answers(running_bot, case.id) == {"reporter_role": "relative"}


async def test_an_edited_message_is_not_read_and_the_reporter_is_told(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    await reporter.answer("reporter_role", "relative")
    await reporter.say("Ivan Petrov")
    name_message = next(
        m
        for m in reporter.standin.transcript(reporter.user)
        if not m.from_bot and m.text == "Ivan Petrov"
    )
    before = await conversation(running_bot, reporter.user)
    await reporter.standin.edit_text(reporter.user, name_message, "Ivan Sidorov")
    reply = await reporter.next_message()
    assert reply.text == EN.ui("err_edit_ignored")
    (case,) = await cases(running_bot)
    assert (await case_answers(running_bot, case.id))["detained_name"] == "Ivan Petrov"
    assert await conversation(running_bot, reporter.user) == before
