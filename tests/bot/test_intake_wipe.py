"""Wiping the chat after submission: only one neutral message is left on the reporter's phone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import Reporter, cases, custom_bot, submit_full_report, tr
from tests.databases import ScratchDatabase

EN = tr("en")


@pytest.fixture
async def wiping_bot(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> AsyncIterator[RunningBot]:
    """A bot that wipes the chat right after every submission."""
    async with custom_bot(standin, database, keyring_path, wipe_chat_by_default=True) as bot:
        yield bot


def assert_only_this_is_left(reporter: Reporter, text: str) -> None:
    """The chat holds just one message, the bot's, and every earlier one was deleted."""
    standin = reporter.standin
    left = standin.transcript(reporter.user)
    assert [(m.from_bot, m.text) for m in left] == [(True, text)]
    deleted = {e.message_id for e in standin.events(reporter.user, kind="deleted")}
    earlier = set(range(1, left[0].message_id))
    assert earlier <= deleted, f"not deleted: {sorted(earlier - deleted)}"
    incoming = {e.message_id for e in standin.events(reporter.user, kind="incoming")}
    assert incoming
    assert incoming <= deleted


async def test_delete_this_conversation_leaves_only_a_neutral_message(
    running_bot: RunningBot,
) -> None:
    reporter = await submit_full_report(running_bot)
    (case,) = await cases(running_bot)
    assert reporter.last is not None
    assert case.code in (reporter.last.text or "")
    reply = await reporter.press(Action.WIPE_YES)
    assert reply.text == EN.ui("wiped")
    assert_only_this_is_left(reporter, EN.ui("wiped"))
    # Follow-up still works from the emptied chat, and a second wipe clears only what is new.
    reply = await reporter.command("/status")
    assert case.code in (reply.text or "")
    kept = reporter.standin.transcript(reporter.user)[0].message_id
    deleted_before = len(reporter.standin.events(reporter.user, kind="deleted"))
    reply = await reporter.command("/wipe")
    assert reply.text == EN.ui("wiped")
    left = reporter.standin.transcript(reporter.user)
    assert [m.message_id for m in left] == [kept, reply.message_id]
    newly = reporter.standin.events(reporter.user, kind="deleted")[deleted_before:]
    # /status, its answer and /wipe; nothing deleted twice.
    assert [e.message_id for e in newly] == [kept + 1, kept + 2, kept + 3]


async def test_keep_it_keeps_the_chat(running_bot: RunningBot) -> None:
    reporter = await submit_full_report(running_bot)
    before = len(reporter.standin.transcript(reporter.user))
    reply = await reporter.press(Action.WIPE_NO)
    assert reply.text == EN.ui("kept")
    assert reporter.standin.events(reporter.user, kind="deleted") == []
    assert len(reporter.standin.transcript(reporter.user)) == before + 1


async def test_with_wiping_by_default_the_chat_is_wiped_on_submission_leaving_the_code(
    wiping_bot: RunningBot,
) -> None:
    reporter = await submit_full_report(wiping_bot)
    (case,) = await cases(wiping_bot)
    assert reporter.last is not None
    assert reporter.last.text == EN.ui("wiped_with_code", code=case.code)
    assert case.submitted_at is not None
    assert_only_this_is_left(reporter, EN.ui("wiped_with_code", code=case.code))
