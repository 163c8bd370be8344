"""Bot API methods through a real python-telegram-bot Bot over HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken

from bot.standin import BotApiStandIn


async def test_get_me(bot: Bot, standin: BotApiStandIn) -> None:
    me = await bot.get_me()
    assert me.username == "intake_test_bot"
    assert me.is_bot
    assert me.id == standin.bot.id
    assert standin.stats.calls["getMe"] >= 1


async def test_wrong_token_and_unknown_method(standin: BotApiStandIn) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("42:wrong", base_url=standin.api_base_url):
            pass
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{standin.api_base_url}{standin.token}/noSuchMethod") as resp,
    ):
        assert resp.status == 404
        assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{standin.api_base_url}bad/getMe") as resp,
    ):
        assert resp.status == 401
        assert (await resp.json())["description"] == "Unauthorized"


async def test_send_edit_delete_round_trip(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user("Ann")
    await standin.send_text(ann, "hello")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(ann.id, "<b>Question</b>?", parse_mode=ParseMode.HTML,
                                  reply_markup=keyboard)  # fmt: skip
    assert isinstance(sent, Message)
    assert sent.text == "Question?"
    assert sent.entities[0].type == "bold"
    assert sent.entities[0].length == len("Question")
    assert sent.reply_markup == keyboard
    assert sent.from_user is not None
    assert sent.from_user.id == standin.bot.id

    edited = await bot.edit_message_text("Answered", ann.id, sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Answered"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # omitted reply_markup removes the keyboard

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Answered", ann.id, sent.message_id)

    assert await bot.delete_message(ann.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("again", ann.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ann.id, sent.message_id)

    texts = [m.content for m in standin.transcript(ann)]
    assert texts == ["hello"]
    kinds = [e.kind for e in standin.events(ann)]
    assert kinds == ["incoming", "sent", "edited", "deleted"]


async def test_message_ids_are_per_chat_and_dates_follow_the_clock() -> None:
    now = [1_700_000_000.0]
    async with BotApiStandIn(clock=lambda: now[0]) as standin:
        ann, bob = standin.new_user("Ann"), standin.new_user("Bob")
        first = await standin.send_text(ann, "a")
        second = await standin.send_text(bob, "b")
        assert first["message_id"] == second["message_id"] == 1
        assert first["date"] == 1_700_000_000
        async with Bot(**standin.ptb_kwargs()) as bot:
            reply = await bot.send_message(ann.id, "hi")
            assert reply.message_id == 2
            now[0] += 48 * 3600 + 1
            with pytest.raises(BadRequest, match="Message can't be deleted"):
                await bot.delete_message(ann.id, reply.message_id)


async def test_text_limits(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    await bot.send_message(ann.id, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ann.id, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ann.id, "   ")
    # The limit applies after entities are parsed: tags do not count.
    await bot.send_message(ann.id, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    ("text", "mode", "error"),
    [
        ("<b>bold", ParseMode.HTML, "Can't find end tag"),
        ("<b>x</i>", ParseMode.HTML, "Unmatched end tag"),
        ("<blink>x</blink>", ParseMode.HTML, 'Unsupported start tag "blink"'),
        ("Done.", ParseMode.MARKDOWN_V2, "Character '.' is reserved"),
        ("*open", ParseMode.MARKDOWN_V2, "Can't find end of Bold entity"),
    ],
)
async def test_malformed_markup_is_rejected(
    bot: Bot, standin: BotApiStandIn, text: str, mode: str, error: str
) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    with pytest.raises(BadRequest, match="Can't parse entities") as caught:
        await bot.send_message(ann.id, text, parse_mode=mode)
    assert error.lower() in caught.value.message.lower()  # PTB re-capitalises


async def test_markdown_v2_entities(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    sent = await bot.send_message(
        ann.id, r"*Case* _\#12_ [map](https://example.org/a\)b) done\.", parse_mode="MarkdownV2"
    )
    assert sent.text == "Case #12 map done."
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4),
        ("italic", 5, 3),
        ("text_link", 9, 3),
    ]
    assert sent.entities[2].url == "https://example.org/a)b"


async def test_callback_data_limit(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(ann.id, "fits", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ann.id, "too long", reply_markup=too_long)


async def test_unknown_chat_and_forbidden_chats(bot: Bot, standin: BotApiStandIn) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(987654321, "who?")
    silent = standin.new_user("Silent")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(silent.id, "hello?")
    ann = standin.new_user("Ann")
    await standin.send_text(ann, "hi")
    standin.block_bot(ann)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ann.id, "still there?")
    standin.unblock_bot(ann)
    await bot.send_message(ann.id, "welcome back")
    group = standin.new_group("Lawyers", [ann])
    await bot.send_message(group.id, "alert")
    standin.kick_bot(group)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "alert")


async def test_delete_incoming_private_message_but_not_in_groups(
    bot: Bot, standin: BotApiStandIn
) -> None:
    ann = standin.new_user()
    incoming = await standin.send_text(ann, "my phone is +7 900 000 00 00")
    assert await bot.delete_message(ann.id, incoming["message_id"])
    deleted = await standin.wait_for(lambda e: e.kind == "deleted", timeout=1)
    assert deleted.message_id == incoming["message_id"]
    assert standin.transcript(ann) == []

    group = standin.new_group("Lawyers", [ann])
    in_group = await standin.send_text(ann, "hi all", chat_id=group.id)
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(group.id, in_group["message_id"])
    own = await bot.send_message(group.id, "alert")
    assert await bot.delete_messages(group.id, [own.message_id, in_group["message_id"]])
    assert [m.message_id for m in standin.transcript(group)] == [in_group["message_id"]]


async def test_commands_per_scope_and_language(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user(language_code="ru")
    group = standin.new_group("Lawyers", [ann])
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
    await bot.set_my_commands([BotCommand("cases", "Open cases")],
                              scope=BotCommandScopeAllGroupChats())  # fmt: skip
    await bot.set_my_commands(
        [BotCommand("ack", "Acknowledge")], scope=BotCommandScopeChat(group.id)
    )

    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Начать"]
    assert standin.visible_commands(ann, language_code="ru")[0]["description"] == "Начать"
    assert standin.visible_commands(ann)[0]["description"] == "Start"
    assert [c["command"] for c in standin.visible_commands(group, ann)] == ["ack"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(group.id))
    assert [c["command"] for c in standin.visible_commands(group, ann)] == ["cases"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert len(standin.events(kind="commands_set")) == 4


async def test_chats_members_and_misc(bot: Bot, standin: BotApiStandIn) -> None:
    ann, bob = standin.new_user("Ann"), standin.new_user("Bob")
    group = standin.new_group("Lawyers", [ann, bob], kind="supergroup")
    chat = await bot.get_chat(group.id)
    assert chat.title == "Lawyers"
    assert chat.type == "supergroup"
    assert (await bot.get_chat_member(group.id, ann.id)).status == "creator"
    assert (await bot.get_chat_member(group.id, bob.id)).status == "member"
    outsider = standin.new_user("Eve")
    assert (await bot.get_chat_member(group.id, outsider.id)).status == "left"
    await standin.send_text(ann, "hi")
    assert await bot.send_chat_action(ann.id, "typing")
    assert standin.events(ann, kind="chat_action")[0].data["action"] == "typing"
    assert await bot.set_chat_menu_button(ann.id)
    assert await bot.leave_chat(group.id)
    with pytest.raises(Forbidden, match="not a member of the supergroup chat"):
        await bot.send_message(group.id, "bye")
    assert await bot.close()
    assert await bot.log_out()


async def test_parameters_in_json_and_query_string(standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    url = f"{standin.api_base_url}{standin.token}/sendMessage"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"chat_id": ann.id, "text": "json"}) as resp:
            assert (await resp.json())["result"]["text"] == "json"
        async with http.get(url, params={"chat_id": str(ann.id), "text": "query"}) as resp:
            assert (await resp.json())["result"]["text"] == "query"
        async with http.post(url, json={"chat_id": ann.id}) as resp:
            assert resp.status == 400
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }


async def test_reply_keyboards_and_user_edits(bot: Bot, standin: BotApiStandIn) -> None:
    standin.flood_limits = False  # five messages in a row to one chat
    ann = standin.new_user()
    first = await standin.send_text(ann, "my name is Ann")
    share = KeyboardButton("Share phone", request_contact=True)
    asked = await bot.send_message(ann.id, "Phone?", reply_markup=ReplyKeyboardMarkup([[share]]))
    assert asked.reply_markup is None  # Telegram echoes only inline keyboards
    assert standin.transcript(ann)[-1].reply_markup == {
        "keyboard": [[{"text": "Share phone", "request_contact": True}]]
    }
    await bot.send_message(ann.id, "Thanks", reply_markup=ReplyKeyboardRemove())
    await bot.send_message(ann.id, "Address?", reply_markup=ForceReply())
    with pytest.raises(BadRequest, match="Can't parse reply keyboard markup"):
        await bot.send_message(ann.id, "x", api_kwargs={"reply_markup": "{not json"})
    reply = await bot.send_message(ann.id, "Noted", reply_to_message_id=first["message_id"])
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "my name is Ann"

    await standin.edit_text(ann, first, "my name is Anna")
    updates = await bot.get_updates(timeout=0)
    edited = [u.edited_message for u in updates if u.edited_message]
    assert edited[0].text == "my name is Anna"
    assert edited[0].message_id == first["message_id"]
    assert standin.transcript(ann)[0].edit_count == 1


async def test_forward_and_copy_into_the_lawyers_chat(bot: Bot, standin: BotApiStandIn) -> None:
    ann, lawyer = standin.new_user("Ann"), standin.new_user("Lawyer")
    lawyers = standin.new_group("Lawyers", [lawyer], kind="supergroup")
    report = await standin.send_document(ann, b"report", "report.txt", caption="detained at 5pm")
    forwarded = await bot.forward_message(lawyers.id, ann.id, report["message_id"])
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == ann.id  # type: ignore[attr-defined]
    assert forwarded.document is not None
    assert forwarded.caption == "detained at 5pm"
    copied = await bot.copy_message(lawyers.id, ann.id, report["message_id"], caption="case 1")
    copy = standin.transcript(lawyers)[-1]
    assert copy.message_id == copied.message_id
    assert copy.caption == "case 1"
    assert copy.kind == "document"
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(lawyers.id, ann.id, 999)
