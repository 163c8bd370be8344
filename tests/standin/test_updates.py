"""Long polling, commands, callbacks, redelivery and webhooks with PTB."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Conflict
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.standin import BotApiStandIn
from tests.standin.conftest import polling_app

Context = ContextTypes.DEFAULT_TYPE


async def start(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Report", callback_data="report")]])
    args = " ".join(context.args or [])
    await update.effective_message.reply_text(f"Welcome {args}".strip(), reply_markup=keyboard)


async def pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noted", show_alert=True)
    await query.edit_message_text(f"You chose {query.data}")


async def echo(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    assert update.effective_message.text
    await update.effective_message.reply_text(update.effective_message.text.upper())


async def test_long_poll_wakes_at_once(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await standin.wait_polling()
    await standin.send_text(ann, "hello")
    updates = await asyncio.wait_for(poll, timeout=2)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    # Unconfirmed updates come back; confirmed ones do not.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_command_handler_replies(standin: BotApiStandIn) -> None:
    ann = standin.new_user("Ann")
    async with polling_app(standin, [CommandHandler("start", start)]):
        sent = await standin.send_command(ann, "/start", args="case42")
        assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        reply = await standin.next_bot_message(ann)
        assert reply.text == "Welcome case42"
        assert reply.buttons()[0]["callback_data"] == "report"
        await standin.send_text(ann, "/start@intake_test_bot")
        assert (await standin.next_bot_message(ann)).text == "Welcome"
        with pytest.raises(TimeoutError, match="no new bot message"):
            await standin.next_bot_message(ann, timeout=0.05)


async def test_callback_press_is_answered(standin: BotApiStandIn) -> None:
    ann = standin.new_user("Ann")
    handlers = [CommandHandler("start", start), CallbackQueryHandler(pressed)]
    async with polling_app(standin, handlers):
        await standin.send_command(ann, "start")
        menu = await standin.next_bot_message(ann)
        query_id = await standin.press_button(ann, menu, text="Report")
        answer = await standin.wait_callback_answer(query_id)
        assert answer["text"] == "Noted"
        assert answer["show_alert"] is True
        await standin.wait_for(lambda e: e.kind == "edited" and e.message_id == menu.message_id)
        assert standin.transcript(ann)[-1].text == "You chose report"
        assert standin.transcript(ann)[-1].edit_count == 1
        with pytest.raises(LookupError, match="no button"):
            await standin.press_button(ann, menu, text="Missing")


async def test_answer_twice_or_unknown_query_fails(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    menu = await bot.send_message(ann.id, "menu")
    query_id = await standin.press_button(ann, (ann.id, menu.message_id), data="forged")
    assert await bot.answer_callback_query(query_id)
    with pytest.raises(Exception, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(Exception, match="Query is too old"):
        await bot.answer_callback_query("nope")


async def test_redelivery_keeps_update_id(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "once")
    (first,) = await bot.get_updates(timeout=0)
    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == ()
    await standin.redeliver(first.update_id)
    (again,) = await bot.get_updates(offset=first.update_id + 1, timeout=0)
    assert again.update_id == first.update_id
    assert again.message is not None
    assert again.message.text == "once"
    raw_id = await standin.send_raw_update({"some_future_update": {"x": 1}})
    assert raw_id > first.update_id
    (raw,) = await bot.get_updates(offset=first.update_id + 1, timeout=0)
    assert raw.update_id == raw_id
    assert raw.api_kwargs == {"some_future_update": {"x": 1}}


async def test_allowed_updates_filter(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "text")
    menu = await bot.send_message(ann.id, "menu")
    await standin.press_button(ann, (ann.id, menu.message_id), data="x")
    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates if u.callback_query] == ["x"]
    assert len(updates) == 1


async def test_two_pollers_conflict(standin: BotApiStandIn) -> None:
    async with Bot(**standin.ptb_kwargs()) as first, Bot(**standin.ptb_kwargs()) as second:
        older = asyncio.create_task(first.get_updates(timeout=5))
        await standin.wait_polling()
        newer = asyncio.create_task(second.get_updates(timeout=0))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await older
        assert await newer == ()


@contextlib.asynccontextmanager
async def receiver(fail_first: int = 0) -> AsyncIterator[tuple[str, asyncio.Queue[web.Request]]]:
    """A webhook endpoint that records requests (bodies read) and fails the first N."""
    got: asyncio.Queue[web.Request] = asyncio.Queue()
    failures = [fail_first]

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        await got.put(request)
        if failures[0] > 0:
            failures[0] -= 1
            return web.Response(status=500)
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook", got
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retry(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    async with receiver(fail_first=1) as (url, got):
        assert await bot.set_webhook(url, secret_token="s3cret-token_1")
        info = await bot.get_webhook_info()
        assert info.url == url
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        await standin.send_text(ann, "via webhook")
        failed, delivered = await got.get(), await got.get()
        for request in (failed, delivered):
            assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret-token_1"
        body = await delivered.json()
        assert body["message"]["text"] == "via webhook"
        assert body["update_id"] == (await failed.json())["update_id"]
        await standin.wait_idle()
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message is not None
        assert "500" in info.last_error_message
        assert standin.stats.webhook_failures == 1
        assert await bot.delete_webhook()
    await standin.send_text(ann, "polled")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["polled"]


async def test_group_privacy_mode(standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    group = standin.new_group("Lawyers", [ann])
    async with polling_app(standin, [MessageHandler(filters.TEXT, echo)]):
        await standin.send_text(ann, "chatter the bot does not see", chat_id=group.id)
        await standin.send_text(ann, "@intake_test_bot look", chat_id=group.id)
        reply = await standin.next_bot_message(group)
        assert reply.text == "@INTAKE_TEST_BOT LOOK"
        await standin.wait_idle()
        assert len(standin.events(group, kind="sent")) == 1
