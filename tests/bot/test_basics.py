"""The bot answers through the real stack: Application, stand-in over HTTP, real database."""

from __future__ import annotations

import json

from tests.bot.conftest import RunningBot


async def test_start_is_answered_with_a_welcome_and_a_button(running_bot: RunningBot) -> None:
    standin = running_bot.standin
    ann = standin.new_user("Ann", language_code="en")
    await standin.send_command(ann, "/start")
    reply = await standin.next_bot_message(ann)
    assert "lawyers" in reply.text
    assert reply.reply_markup is not None


async def test_an_unknown_command_is_answered_politely(running_bot: RunningBot) -> None:
    standin = running_bot.standin
    ann = standin.new_user("Ann", language_code="en")
    await standin.send_command(ann, "/frobnicate")
    reply = await standin.next_bot_message(ann)
    assert reply.text == "I don't know this command. Send /help to see what I can do."


async def test_a_ten_thousand_character_message_crashes_nothing(running_bot: RunningBot) -> None:
    standin = running_bot.standin
    ann = standin.new_user("Ann", language_code="ru")
    await standin.send_text(ann, "ж" * 10_000)
    first = await standin.next_bot_message(ann)
    assert first.text  # answered (the welcome screen)
    await standin.send_command(ann, "/start")
    assert await standin.next_bot_message(ann)


async def test_the_menu_is_registered_and_no_log_line_holds_the_token(
    running_bot: RunningBot,
) -> None:
    standin = running_bot.standin
    ann = standin.new_user("Ann")
    await standin.send_command(ann, "/start")
    await standin.next_bot_message(ann)
    assert "start" in [c["command"] for c in standin.visible_commands(ann)]
    assert running_bot.log_lines, "the bot should have logged something"
    for line in running_bot.log_lines:
        assert standin.token not in line
        assert standin.token.split(":")[1] not in line
        json.loads(line)
