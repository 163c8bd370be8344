"""The test-facing HTTP API and its client, as another process would use them."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.standin import TINY_PNG, BotApiStandIn, StandInClient, StandInHttpError
from tests.standin.conftest import polling_app

Context = ContextTypes.DEFAULT_TYPE


async def menu(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Detained", callback_data="d")]])
    await update.effective_message.reply_text("What happened?", reply_markup=keyboard)


async def chosen(update: Update, context: Context) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("ok")
    await update.callback_query.edit_message_text("Detention report started")


async def test_client_plays_a_user_against_a_ptb_bot(standin: BotApiStandIn) -> None:
    handlers = [CommandHandler("start", menu), CallbackQueryHandler(chosen)]
    async with polling_app(standin, handlers), StandInClient(standin.base_url) as client:
        user = await client.new_user("Ann", language_code="ru")
        sent = await client.send_command(user["id"], "/start")
        assert sent["entities"][0]["type"] == "bot_command"
        question = await client.next_bot_message(user["id"])
        assert question["text"] == "What happened?"
        assert question["from_bot"] is True
        query_id = await client.press_button(user["id"], question, text="Detained")
        assert (await client.wait_callback_answer(query_id))["text"] == "ok"
        await standin.wait_for(lambda e: e.kind == "edited")
        transcript = await client.transcript(user["id"])
        assert [m["content"] for m in transcript] == ["/start", "Detention report started"]
        assert transcript[1]["edit_count"] == 1
        events = await client.events(user["id"])
        assert "callback_answered" in [e["kind"] for e in events]
        with pytest.raises(TimeoutError, match="no bot message"):
            await client.next_bot_message(user["id"], timeout=0.05)


async def test_sse_stream_follows_a_chat(bot: Bot, standin: BotApiStandIn) -> None:
    async with StandInClient(standin.base_url) as client:
        user = await client.new_user("Ann")
        seen: list[dict[str, Any]] = []

        async def follow() -> None:
            async for event in client.stream_events(user["id"]):
                seen.append(event)
                if event["kind"] == "deleted":
                    return

        follower = asyncio.create_task(follow())
        await client.send_text(user["id"], "hello")
        reply = await bot.send_message(user["id"], "hi there")
        await bot.edit_message_text("hi!", user["id"], reply.message_id)
        await bot.delete_message(user["id"], reply.message_id)
        await asyncio.wait_for(follower, timeout=2)
        assert [e["kind"] for e in seen] == ["incoming", "sent", "edited", "deleted"]
        assert seen[1]["data"]["message"]["text"] == "hi there"
        replay = [e async for e in _take(client, user["id"], since=seen[1]["seq"], n=2)]
        assert [e["kind"] for e in replay] == ["edited", "deleted"]


async def _take(
    client: StandInClient, chat_id: int, since: int, n: int
) -> AsyncIterator[dict[str, Any]]:
    """The first ``n`` events of a chat after ``since``, replayed from the stream."""
    async for event in client.stream_events(chat_id, since=since):
        yield event
        n -= 1
        if n == 0:
            return


async def test_uploads_groups_faults_and_stats(bot: Bot, standin: BotApiStandIn) -> None:
    async with StandInClient(standin.base_url) as client:
        ann = await client.new_user("Ann")
        bob = await client.new_user("Bob")
        group = await client.new_group("Lawyers", [ann["id"], bob["id"]])
        photo = await client.send_photo(ann["id"], TINY_PNG, caption="bruise")
        doc = await client.send_document(ann["id"], b"a,b\n", "list.csv", "text/csv")
        assert doc["document"]["file_name"] == "list.csv"
        assert await client.file_bytes(photo["photo"][-1]["file_id"]) == TINY_PNG
        in_group = await client.send_text(bob["id"], "/start@intake_test_bot", chat_id=group["id"])
        assert in_group["chat"]["id"] == group["id"]
        updates = await bot.get_updates(timeout=0)
        assert len(updates) == 3

        fault_id = await client.add_fault("5xx", method="getMe", status=500)
        with pytest.raises(Exception, match="Internal Server Error"):
            await bot.get_me()
        await client.remove_fault(fault_id)
        assert (await bot.get_me()).is_bot
        await client.set_flood_limits(False)
        assert standin.flood_limits is False
        stats = await client.stats()
        assert stats["calls"]["getMe"] >= 2
        assert stats["server_errors"] == 1

        with pytest.raises(StandInHttpError) as caught:
            await client.send_text(999, "who am I")
        assert caught.value.status == 404
        update_id = await client.send_raw_update({"poll": {"id": "1"}})
        await client.redeliver(update_id)


async def test_cors_preflight(standin: BotApiStandIn) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.options(f"{standin.base_url}/_standin/users") as resp,
    ):
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == "*"


async def test_cli_prints_base_url() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.standin", "--port", "0",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        base_url = (await asyncio.wait_for(proc.stdout.readline(), timeout=20)).decode().strip()
        assert base_url.startswith("http://127.0.0.1:")
        async with StandInClient(base_url) as client:
            user = await client.new_user("Ann")
            assert user["first_name"] == "Ann"
    finally:
        proc.terminate()
        assert await proc.wait() == 0
