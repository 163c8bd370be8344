"""Bot API methods that send, edit and delete text messages, and answer buttons."""

from __future__ import annotations

from typing import Any

from bot.standin.errors import bad_request, too_many_requests
from bot.standin.formatting import render
from bot.standin.markup import parse_reply_markup
from bot.standin.models import PlayChat, StoredMessage
from bot.standin.params import Params
from bot.standin.registry import method
from bot.standin.state import State

JsonDict = dict[str, Any]
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_TEXT = 200
DELETE_WINDOW = 48 * 3600
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def target_chat(st: State, p: Params) -> PlayChat:
    """The chat a sending method writes to, after Telegram's 400/403 checks."""
    chat = st.find_chat(p.chat_id())
    st.check_can_send(chat)
    return chat


def take_flood_token(st: State, chat: PlayChat) -> None:
    """Raise 429 when the flood limits say the message may not go out now."""
    retry_after = st.limiter.acquire(chat.id, not chat.is_private)
    if retry_after is not None:
        raise too_many_requests(retry_after)


def message_text(p: Params) -> tuple[str, list[JsonDict]]:
    """The ``text`` parameter rendered with its parse_mode / entities, length-checked."""
    raw = p.req_str("text", empty="message text is empty")
    text, entities = render(raw, p.opt_str("parse_mode"), p.opt_json("entities"))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def caption_text(p: Params) -> tuple[str | None, list[JsonDict]]:
    """The optional ``caption`` rendered and length-checked."""
    raw = p.opt_str("caption")
    if raw is None:
        return None, []
    text, entities = render(raw, p.opt_str("parse_mode"), p.opt_json("caption_entities"))
    if len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return (text or None), entities


def reply_target(st: State, chat: PlayChat, p: Params) -> int | None:
    """The message being replied to (``reply_parameters`` or legacy ``reply_to_message_id``)."""
    params = p.opt_json("reply_parameters")
    if isinstance(params, dict):
        target, lenient = params.get("message_id"), bool(params.get("allow_sending_without_reply"))
    else:
        target, lenient = p.opt_int("reply_to_message_id"), p.flag("allow_sending_without_reply")
    if target is None:
        return None
    if st.get_message(chat.id, int(target)) is None:
        if lenient:
            return None
        raise bad_request("message to be replied not found")
    return int(target)


def publish(st: State, msg: StoredMessage) -> JsonDict:
    """Count and log a message the bot sent; return its Bot API JSON."""
    payload = st.message_json(msg)
    st.stats.delivered[msg.chat_id] += 1
    st.record("sent", msg.chat_id, msg.message_id, message=payload)
    return payload


@method("sendMessage")
async def send_message(st: State, p: Params) -> JsonDict:
    """sendMessage."""
    chat = target_chat(st, p)
    text, entities = message_text(p)
    markup = parse_reply_markup(p.raw("reply_markup"))
    reply_to = reply_target(st, chat, p)
    take_flood_token(st, chat)
    msg = st.add_message(
        chat,
        True,
        st.bot.id,
        text=text,
        entities=entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    return publish(st, msg)


def _editable(st: State, p: Params) -> StoredMessage:
    if p.opt_str("inline_message_id") is not None:
        raise bad_request("MESSAGE_ID_INVALID")
    chat = st.find_chat(p.chat_id())
    st.check_can_send(chat)
    msg = st.require_message(chat.id, p.opt_int("message_id"), "edit")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


def _inline_markup(p: Params) -> JsonDict | None:
    markup = parse_reply_markup(p.raw("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup if markup and markup["inline_keyboard"] else None


def _apply_edit(st: State, msg: StoredMessage, changes: JsonDict) -> JsonDict:
    current = {key: getattr(msg, key) for key in changes}
    if current == changes:
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    for key, value in changes.items():
        setattr(msg, key, value)
    msg.edit_count += 1
    msg.edit_date = st.now()
    payload = st.message_json(msg)
    st.record("edited", msg.chat_id, msg.message_id, message=payload, fields=sorted(changes))
    return payload


@method("editMessageText")
async def edit_message_text(st: State, p: Params) -> JsonDict:
    """editMessageText (an omitted reply_markup removes the inline keyboard, as in Telegram)."""
    msg = _editable(st, p)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(p)
    changes = {"text": text, "entities": entities, "reply_markup": _inline_markup(p)}
    return _apply_edit(st, msg, changes)


@method("editMessageCaption")
async def edit_message_caption(st: State, p: Params) -> JsonDict:
    """editMessageCaption."""
    msg = _editable(st, p)
    if not msg.media:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = caption_text(p)
    changes = {"caption": caption, "caption_entities": entities, "reply_markup": _inline_markup(p)}
    return _apply_edit(st, msg, changes)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(st: State, p: Params) -> JsonDict:
    """editMessageReplyMarkup."""
    msg = _editable(st, p)
    return _apply_edit(st, msg, {"reply_markup": _inline_markup(p)})


def _deletable(st: State, chat: PlayChat, msg: StoredMessage) -> bool:
    if st.clock() - msg.date > DELETE_WINDOW:
        return False
    return msg.from_bot or chat.is_private or chat.bot_status in ("administrator", "creator")


def _delete(st: State, chat: PlayChat, msg: StoredMessage) -> None:
    msg.deleted = True
    st.record("deleted", chat.id, msg.message_id, from_bot=msg.from_bot)


@method("deleteMessage")
async def delete_message(st: State, p: Params) -> bool:
    """deleteMessage: own messages, and incoming ones in private chats, within 48 hours."""
    chat = st.find_chat(p.chat_id())
    msg = st.require_message(chat.id, p.req_int("message_id"), "delete")
    if not _deletable(st, chat, msg):
        raise bad_request("message can't be deleted")
    _delete(st, chat, msg)
    return True


@method("deleteMessages")
async def delete_messages(st: State, p: Params) -> bool:
    """deleteMessages: messages that can't be found or deleted are skipped."""
    chat = st.find_chat(p.chat_id())
    ids = p.opt_json("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message_ids is empty")
    if len(ids) > 100:
        raise bad_request("too many message identifiers specified")
    for message_id in ids:
        msg = st.get_message(chat.id, int(message_id))
        if msg is not None and _deletable(st, chat, msg):
            _delete(st, chat, msg)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(st: State, p: Params) -> bool:
    """answerCallbackQuery: once per query, within the answer timeout."""
    query_id = p.req_str("callback_query_id")
    record = st.callbacks.get(query_id)
    if (
        record is None
        or record.answer is not None
        or st.clock() - record.created > st.callback_timeout
    ):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.opt_str("text")
    if text is not None and len(text) > MAX_CALLBACK_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answer = {
        "text": text,
        "show_alert": p.flag("show_alert"),
        "url": p.opt_str("url"),
        "cache_time": p.opt_int("cache_time") or 0,
    }
    st.record(
        "callback_answered",
        record.chat_id,
        record.message_id,
        callback_query_id=query_id,
        user_id=record.user_id,
        **record.answer,
    )
    return True


@method("sendChatAction")
async def send_chat_action(st: State, p: Params) -> bool:
    """sendChatAction ("typing" and friends)."""
    chat = target_chat(st, p)
    action = p.req_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    st.record("chat_action", chat.id, action=action)
    return True
