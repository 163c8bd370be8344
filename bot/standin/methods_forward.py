"""forwardMessage and copyMessage: re-sending a message into another chat.

An intake bot typically forwards or copies a report into the lawyers' chat;
both count against the target chat's flood limits like any other send.
"""

from __future__ import annotations

from typing import Any

from bot.standin.errors import bad_request
from bot.standin.markup import parse_reply_markup
from bot.standin.methods_messages import caption_text, publish, take_flood_token, target_chat
from bot.standin.models import StoredMessage
from bot.standin.params import Params
from bot.standin.registry import method
from bot.standin.state import State

JsonDict = dict[str, Any]


def _source(st: State, p: Params) -> StoredMessage:
    source_chat = st.find_chat(p.chat_id("from_chat_id"))
    msg = st.get_message(source_chat.id, p.req_int("message_id"))
    if msg is None:
        raise bad_request("message to copy not found")
    return msg


def _origin(st: State, msg: StoredMessage) -> JsonDict:
    if msg.from_bot:
        return {"type": "user", "date": msg.date, "sender_user": st.bot.to_api()}
    chat = st.chats[msg.chat_id]
    if chat.type == "channel":
        return {"type": "channel", "date": msg.date, "chat": chat.to_api(),
                "message_id": msg.message_id}  # fmt: skip
    return {"type": "user", "date": msg.date, "sender_user": st.users[msg.sender_id].to_api()}


@method("forwardMessage")
async def forward_message(st: State, p: Params) -> JsonDict:
    """forwardMessage: same content, with ``forward_origin``."""
    chat = target_chat(st, p)
    source = _source(st, p)
    take_flood_token(st, chat)
    msg = st.add_message(
        chat,
        True,
        st.bot.id,
        text=source.text,
        entities=list(source.entities),
        caption=source.caption,
        caption_entities=list(source.caption_entities),
        media=dict(source.media),
        extra={"forward_origin": _origin(st, source)},
    )
    return publish(st, msg)


@method("copyMessage")
async def copy_message(st: State, p: Params) -> JsonDict:
    """copyMessage: same content without a link to the original; returns a MessageId."""
    chat = target_chat(st, p)
    source = _source(st, p)
    caption, caption_entities = source.caption, source.caption_entities
    if p.raw("caption") is not None:
        caption, caption_entities = caption_text(p)
    markup = parse_reply_markup(p.raw("reply_markup"))
    take_flood_token(st, chat)
    msg = st.add_message(
        chat,
        True,
        st.bot.id,
        text=source.text,
        entities=list(source.entities),
        caption=caption,
        caption_entities=list(caption_entities),
        media=dict(source.media),
        reply_markup=markup,
    )
    publish(st, msg)
    return {"message_id": msg.message_id}
