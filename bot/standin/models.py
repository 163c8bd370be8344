"""Plain records the stand-in keeps: users, chats, messages, files, events.

Each record knows how to render itself as the Bot API JSON object that
python-telegram-bot's ``de_json`` parses (``to_api``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass
class PlayUser:
    """A Telegram user played by a test (or the bot itself, ``is_bot=True``)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def chat_id(self) -> int:
        """The id of this user's private chat with the bot (== user id, as in Telegram)."""
        return self.id

    def to_api(self) -> JsonDict:
        """The Bot API ``User`` object."""
        out: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class PlayChat:
    """A chat the bot may talk in: private, group, supergroup or channel.

    ``members`` maps user id to a ``ChatMember`` status (creator, administrator,
    member, left, kicked). ``bot_status`` is the bot's own status; in a private
    chat "kicked" means the user blocked the bot. ``started`` is True once the
    user of a private chat has written to the bot.
    """

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: PlayUser | None = None
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    started: bool = False
    next_message_id: int = 1
    menu_button: JsonDict | None = None

    @property
    def is_private(self) -> bool:
        """True for a one-to-one chat with a user."""
        return self.type == "private"

    def to_api(self) -> JsonDict:
        """The Bot API ``Chat`` object."""
        out: JsonDict = {"id": self.id, "type": self.type}
        if self.user is not None:
            out.update({k: v for k, v in self.user.to_api().items() if k in _PRIVATE_CHAT_KEYS})
        if self.title is not None:
            out["title"] = self.title
        if self.username is not None:
            out["username"] = self.username
        return out


_PRIVATE_CHAT_KEYS = ("first_name", "last_name", "username")


@dataclass
class StoredMessage:
    """One message in a chat, as the stand-in keeps it.

    ``text``/``caption`` are the plain text after entity parsing; ``media``
    holds the content fields (``photo``, ``document``, ``location``...) and
    ``extra`` any other Message fields (``forward_origin``...).
    ``reply_markup`` is what was sent, reply keyboards included (Telegram only
    echoes inline keyboards in the Message object). Deleted messages stay here
    with ``deleted=True`` so the log can prove they existed.
    """

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    date: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    media: JsonDict = field(default_factory=dict)
    extra: JsonDict = field(default_factory=dict)
    reply_markup: JsonDict | None = None
    reply_to_message_id: int | None = None
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" for neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def kind(self) -> str:
        """ "text", or the media field name (``photo``, ``document``, ...)."""
        return next(iter(self.media), "text")

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """Rows of inline buttons, or an empty list."""
        if self.reply_markup is None:
            return []
        rows: list[list[JsonDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    def buttons(self) -> list[JsonDict]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]

    def snapshot(self) -> StoredMessage:
        """A deep copy that later edits will not change."""
        return copy.deepcopy(self)

    def summary(self) -> str:
        """One line for error messages: ``#3 bot: 'Hello'``."""
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        gone = " (deleted)" if self.deleted else ""
        return f"#{self.message_id} {who}: {self.content[:60]!r}{gone}"


@dataclass
class StoredFile:
    """A file the bot or a played user sent."""

    file_id: str
    file_unique_id: str
    data: bytes
    kind: str
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@dataclass
class CallbackRecord:
    """A callback query a played user caused by pressing an inline button."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    created: float
    answer: JsonDict | None = None


@dataclass(frozen=True)
class Event:
    """One entry of the append-only event log.

    Kinds: ``incoming`` (a played user's message), ``incoming_edit``,
    ``callback_pressed``, ``sent``, ``edited``, ``deleted``, ``callback_answered``,
    ``commands_set``, ``commands_deleted``, ``menu_button_set``, ``chat_action``,
    ``left_chat``, ``bot_blocked``, ``bot_unblocked``, ``bot_kicked``,
    ``webhook_set``, ``webhook_deleted``, ``webhook_delivered``, ``closed``,
    ``logged_out``, ``raw_update``.
    """

    seq: int
    kind: str
    chat_id: int | None
    time: float
    message_id: int | None = None
    data: JsonDict = field(default_factory=dict)

    def to_json(self) -> JsonDict:
        """A JSON-serialisable dict (for the HTTP API and SSE)."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "chat_id": self.chat_id,
            "time": self.time,
            "message_id": self.message_id,
            "data": self.data,
        }
