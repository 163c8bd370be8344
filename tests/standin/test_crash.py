"""The bot in a subprocess, killed and restarted, against the stand-in in this process."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from bot.standin import BotApiStandIn

BOT = Path(__file__).with_name("crash_bot.py")


async def spawn(standin: BotApiStandIn) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(BOT), standin.base_url, standin.token,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_messages_sent_while_the_bot_is_dead_reach_its_successor(
    standin: BotApiStandIn,
) -> None:
    ann = standin.new_user()
    first = await spawn(standin)
    try:
        await standin.send_text(ann, "one")
        assert (await standin.next_bot_message(ann, timeout=20)).text == f"{first.pid}: one"
        await standin.wait_polling()
    finally:
        first.send_signal(signal.SIGKILL)  # dies with a long poll open
        await first.wait()
    await standin.send_text(ann, "two")
    second = await spawn(standin)
    try:
        reply = await standin.next_bot_message(ann, timeout=20)
        assert reply.text == f"{second.pid}: two"
        assert standin.stats.messages_delivered == 2
    finally:
        second.terminate()
        await second.wait()
