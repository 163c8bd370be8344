"""A quick sanity check that hundreds of concurrent users are all answered."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.standin import BotApiStandIn
from tests.standin.conftest import polling_app

USERS = 200


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    assert update.effective_message.text
    await update.effective_message.reply_text(f"got: {update.effective_message.text}")


async def test_200_concurrent_users_are_all_answered() -> None:
    # Flood limits off: 200 replies in well under a second would exceed the
    # overall 30 per second, which is the bot's rate limiter's job, not this test's.
    async with BotApiStandIn(flood_limits=False) as standin:
        users = [standin.new_user(f"User{n}") for n in range(USERS)]
        async with polling_app(standin, [MessageHandler(filters.TEXT, echo)]):
            await asyncio.gather(*(standin.send_text(u, f"hello {u.id}") for u in users))
            # Generous: a loaded CI machine is slow; this checks completeness, not speed.
            replies = await asyncio.gather(
                *(standin.next_bot_message(u, timeout=60) for u in users)
            )
        assert [r.text for r in replies] == [f"got: hello {u.id}" for u in users]
        assert standin.stats.messages_delivered == USERS
        assert standin.stats.too_many_requests == 0
