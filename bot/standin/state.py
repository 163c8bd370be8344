"""Everything the stand-in knows: users, chats, messages, files, events, queues.

One :class:`State` per stand-in. Bot API methods (``methods_*.py``) and the
test-facing API (``players.py``) both read and change it; every change is
logged as an :class:`~bot.standin.models.Event` and wakes waiters.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.standin.errors import bad_request, chat_not_found, forbidden
from bot.standin.faults import Faults
from bot.standin.files import new_file
from bot.standin.limits import FloodConfig, FloodLimiter
from bot.standin.models import CallbackRecord, Event, PlayChat, PlayUser, StoredFile, StoredMessage
from bot.standin.signals import Signal
from bot.standin.stats import Stats
from bot.standin.updates import UpdateQueue
from bot.standin.webhook import WebhookDeliverer

JsonDict = dict[str, Any]
CommandKey = tuple[tuple[Any, ...], str]
GROUP_TYPES = ("group", "supergroup")


class State:
    """The stand-in's world.

    Args:
        token: The bot token; its numeric prefix is the bot's user id.
        bot_username: The bot's username (without "@").
        clock: Seconds since the epoch; dates, deletion windows, flood limits
            and fault windows all read it.
        flood_limits: Whether flood limits start enabled.
        group_privacy: Telegram's privacy mode: in groups where the bot is not
            an administrator it only receives commands, replies to it and
            mentions of it.
        flood_config: Flood limit bucket sizes and rates.
    """

    def __init__(
        self,
        token: str,
        bot_username: str,
        clock: Callable[[], float] = time.time,
        flood_limits: bool = True,
        *,
        group_privacy: bool = True,
        flood_config: FloodConfig | None = None,
    ) -> None:
        self.token = token
        self.clock = clock
        self.bot = PlayUser(
            int(token.split(":", 1)[0]), "Intake Test Bot", username=bot_username, is_bot=True
        )
        self.group_privacy = group_privacy
        self.callback_timeout = 15.0
        self.users: dict[int, PlayUser] = {}
        self.chats: dict[int, PlayChat] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[CommandKey, list[JsonDict]] = {}
        self.default_menu_button: JsonDict = {"type": "default"}
        self.profile: dict[tuple[str, str], str] = {}
        self.events: list[Event] = []
        # Bot API calls being answered (getUpdates excluded), for wait_idle.
        self.inflight = 0
        # Set by stop(): event streams and waiters end.
        self.closed = False
        self.signal = Signal()
        # Per-chat wake-ups, so hundreds of users awaiting replies are not all
        # woken by every event in every chat.
        self._chat_signals: dict[int, Signal] = {}
        self.stats = Stats()
        self.limiter = FloodLimiter(clock, flood_limits, flood_config or FloodConfig())
        self.faults = Faults(clock)
        self.updates = UpdateQueue(self.signal)
        self.webhook = WebhookDeliverer(self.updates, self.stats, clock)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._callback_ids = itertools.count(1)

    def now(self) -> int:
        """The clock as a Bot API date (unix seconds)."""
        return int(self.clock())

    # -- users and chats ---------------------------------------------------

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        user_id: int | None = None,
    ) -> PlayUser:
        """A new user and their (not yet started) private chat with the bot."""
        uid = user_id if user_id is not None else next(self._user_ids)
        if uid in self.users or uid == self.bot.id:
            raise ValueError(f"user id {uid} is taken")
        user = PlayUser(uid, first_name, last_name, username, language_code)
        self.users[uid] = user
        self.chats[uid] = PlayChat(uid, "private", user=user)
        return user

    def add_group(
        self,
        title: str,
        members: Iterable[PlayUser],
        *,
        kind: str = "group",
        bot_status: str = "member",
        username: str | None = None,
        chat_id: int | None = None,
    ) -> PlayChat:
        """A group, supergroup or channel with the bot in it; the first member owns it."""
        if kind not in (*GROUP_TYPES, "channel"):
            raise ValueError(f"unknown chat type {kind!r}")
        n = next(self._group_ids)
        cid = (
            chat_id if chat_id is not None else (-n if kind == "group" else -1_000_000_000_000 - n)
        )
        chat = PlayChat(cid, kind, title=title, username=username, bot_status=bot_status)
        for i, member in enumerate(members):
            chat.members[member.id] = "creator" if i == 0 else "member"
        self.chats[cid] = chat
        return chat

    def find_chat(self, chat_id: int | str) -> PlayChat:
        """The chat by id or "@username".

        Raises:
            ApiError: 400 "chat not found".
        """
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            named = [c for c in self.chats.values() if not c.is_private and c.username]
            for candidate in named:
                if str(candidate.username).lower() == name:
                    return candidate
            raise chat_not_found()
        chat = self.chats.get(chat_id)
        if chat is None:
            raise chat_not_found()
        return chat

    def check_can_send(self, chat: PlayChat) -> None:
        """Raise the 403 Telegram gives when the bot may not write to ``chat``."""
        if chat.is_private:
            if chat.bot_status == "kicked":
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {chat.type} chat")

    # -- messages ----------------------------------------------------------

    def add_message(
        self, chat: PlayChat, from_bot: bool, sender_id: int, **fields: Any
    ) -> StoredMessage:
        """Store a new message with the chat's next message id and the clock's date."""
        msg = StoredMessage(
            chat.id, chat.next_message_id, from_bot, sender_id, self.now(), **fields
        )
        chat.next_message_id += 1
        self.messages.setdefault(chat.id, {})[msg.message_id] = msg
        return msg

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A message that exists and was not deleted."""
        msg = self.messages.get(chat_id, {}).get(message_id)
        return None if msg is None or msg.deleted else msg

    def require_message(self, chat_id: int, message_id: int | None, action: str) -> StoredMessage:
        """Like :meth:`get_message`, else 400 ``message to <action> not found``."""
        msg = None if message_id is None else self.get_message(chat_id, message_id)
        if msg is None:
            raise bad_request(f"message to {action} not found")
        return msg

    def message_json(self, msg: StoredMessage, with_reply: bool = True) -> JsonDict:
        """The Bot API ``Message`` object for a stored message."""
        chat = self.chats[msg.chat_id]
        out: JsonDict = {"message_id": msg.message_id, "date": msg.date, "chat": chat.to_api()}
        if chat.type == "channel":
            out["sender_chat"] = chat.to_api()
        else:
            sender = self.bot if msg.from_bot else self.users[msg.sender_id]
            out["from"] = sender.to_api()
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        out.update(msg.media)
        out.update(msg.extra)
        if msg.caption is not None:
            out["caption"] = msg.caption
            if msg.caption_entities:
                out["caption_entities"] = msg.caption_entities
        if msg.reply_markup and msg.reply_markup.get("inline_keyboard"):
            out["reply_markup"] = {"inline_keyboard": msg.reply_markup["inline_keyboard"]}
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        if with_reply and msg.reply_to_message_id is not None:
            replied = self.get_message(msg.chat_id, msg.reply_to_message_id)
            if replied is not None:
                out["reply_to_message"] = self.message_json(replied, with_reply=False)
        return out

    # -- files, callbacks, events -----------------------------------------

    def add_file(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store file bytes under a fresh file_id and file_path."""
        stored = new_file(data, kind, file_name, mime_type)
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def add_callback(self, user: PlayUser, msg: StoredMessage, data: str | None) -> CallbackRecord:
        """Remember a pressed button until the bot answers it."""
        query_id = f"{self.bot.id}{next(self._callback_ids):012d}"
        record = CallbackRecord(query_id, user.id, msg.chat_id, msg.message_id, data, self.clock())
        self.callbacks[query_id] = record
        return record

    def record(
        self, kind: str, chat_id: int | None, message_id: int | None = None, **data: Any
    ) -> Event:
        """Append to the event log and wake everyone waiting on it."""
        event = Event(len(self.events) + 1, kind, chat_id, self.clock(), message_id, data)
        self.events.append(event)
        self.signal.notify()
        if chat_id is not None and chat_id in self._chat_signals:
            self._chat_signals[chat_id].notify()
        return event

    def chat_signal(self, chat_id: int) -> Signal:
        """Notified on every event of one chat."""
        return self._chat_signals.setdefault(chat_id, Signal())
