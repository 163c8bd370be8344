"""The test-facing API: play users and groups, act in chats, read and await.

Tests share the stand-in's event loop and call these directly; the HTTP API
under ``/_standin/`` (``http_api.py``) exposes the same actions to other
processes and web pages.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from bot.standin.files import TINY_PNG, media_field
from bot.standin.formatting import incoming_entities
from bot.standin.methods_chat import member_json
from bot.standin.models import PlayChat, PlayUser, StoredMessage
from bot.standin.observe import ChatRef, Observer

JsonDict = dict[str, Any]
MessageRef = StoredMessage | Mapping[str, Any] | tuple[int, int]
_GONE = ("left", "kicked")


class Players(Observer):
    """Create users and groups, and act as them; see :class:`Observer` for reading."""

    # -- people and chats --------------------------------------------------

    def new_user(
        self,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        id: int | None = None,
    ) -> PlayUser:
        """A new user; the bot cannot write to them until they write first."""
        return self.state.add_user(
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            user_id=id,
        )

    def new_group(
        self,
        title: str,
        members: Iterable[PlayUser] = (),
        kind: str = "group",
        bot_status: str = "member",
        username: str | None = None,
    ) -> PlayChat:
        """A group (or "supergroup"/"channel") with the bot in it; the first member owns it."""
        return self.state.add_group(
            title, members, kind=kind, bot_status=bot_status, username=username
        )

    def private_chat_id(self, user: PlayUser) -> int:
        """The id of the user's private chat with the bot (== the user's id)."""
        return user.id

    def set_member_status(self, group: ChatRef, user: PlayUser, status: str) -> None:
        """Add a user to a group or change their status (e.g. "administrator")."""
        self.chat(group).members[user.id] = status

    def block_bot(self, user: PlayUser) -> None:
        """The user blocks the bot: sends get 403, the bot gets a my_chat_member update."""
        self._bot_status(self.chat(user), "kicked", user, "bot_blocked")

    def unblock_bot(self, user: PlayUser) -> None:
        """The user unblocks (restarts) the bot."""
        self._bot_status(self.chat(user), "member", user, "bot_unblocked")

    def kick_bot(self, group: ChatRef, by: PlayUser | None = None) -> None:
        """Remove the bot from a group: sends get 403 "bot was kicked"."""
        chat = self.chat(group)
        owner = by or next(
            (self.state.users[u] for u, s in chat.members.items() if s == "creator"), None
        )
        self._bot_status(chat, "kicked", owner, "bot_kicked")

    def _bot_status(self, chat: PlayChat, status: str, actor: PlayUser | None, kind: str) -> None:
        st = self.state
        old, chat.bot_status = chat.bot_status, status
        st.record(kind, chat.id)
        if actor is not None:
            change = {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": st.now(),
                "old_chat_member": member_json(st, chat, st.bot, old),
                "new_chat_member": member_json(st, chat, st.bot, status),
            }
            st.updates.push({"my_chat_member": change})

    # -- acting ------------------------------------------------------------

    def _chat_for(self, user: PlayUser, chat_id: int | None) -> PlayChat:
        if chat_id is None or chat_id == user.id:
            chat = self.chat(user)
            if chat.bot_status == "kicked":
                raise RuntimeError(f"user {user.id} blocked the bot; call unblock_bot first")
            chat.started = True
            return chat
        chat = self.chat(chat_id)
        if chat.members.get(user.id, "left") in _GONE:
            raise ValueError(f"user {user.id} is not a member of chat {chat_id}")
        return chat

    def _bot_sees(self, chat: PlayChat, msg: StoredMessage) -> bool:
        """Telegram's delivery rules, privacy mode included."""
        if chat.is_private:
            return True
        if chat.bot_status not in ("member", "administrator", "creator"):
            return False
        if not self.state.group_privacy or chat.bot_status != "member":
            return True
        name = f"@{self.state.bot.username}".lower()
        text = msg.content.lower()
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        replied = self.state.get_message(chat.id, msg.reply_to_message_id or 0)
        return (
            (bool(command) and ("@" not in command or command.endswith(name)))
            or name in text
            or (replied is not None and replied.from_bot)
        )

    def _incoming(self, user: PlayUser, chat_id: int | None, **fields: Any) -> JsonDict:
        st = self.state
        chat = self._chat_for(user, chat_id)
        msg = st.add_message(chat, False, user.id, **fields)
        payload = st.message_json(msg)
        st.record("incoming", chat.id, msg.message_id, message=payload, user_id=user.id)
        if self._bot_sees(chat, msg):
            st.updates.push({"channel_post" if chat.type == "channel" else "message": payload})
        return payload

    async def send_text(
        self, user: PlayUser, text: str, chat_id: int | None = None, reply_to: int | None = None
    ) -> JsonDict:
        """The user sends text (to their private chat unless ``chat_id``); returns the Message.

        Commands and mentions get their entities, as Telegram adds them.
        """
        return self._incoming(
            user, chat_id, text=text, entities=incoming_entities(text), reply_to_message_id=reply_to
        )

    async def send_command(
        self, user: PlayUser, command: str, args: str = "", chat_id: int | None = None
    ) -> JsonDict:
        """The user sends ``/command args`` (the slash is optional)."""
        text = "/" + command.lstrip("/") + (f" {args}" if args else "")
        return await self.send_text(user, text, chat_id)

    async def send_photo(
        self,
        user: PlayUser,
        data: bytes = TINY_PNG,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user sends a photo."""
        stored = self.state.add_file(data, "photo", mime_type="image/jpeg")
        return self._incoming(user, chat_id, media=media_field(stored), caption=caption)

    async def send_document(
        self,
        user: PlayUser,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user sends a file."""
        stored = self.state.add_file(data, "document", file_name, mime_type)
        return self._incoming(user, chat_id, media=media_field(stored), caption=caption)

    async def send_sticker(
        self,
        user: PlayUser,
        emoji: str = "👍",
        data: bytes = b"RIFF\0\0\0\0WEBP",
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user sends a sticker."""
        stored = self.state.add_file(data, "sticker", mime_type="image/webp")
        return self._incoming(user, chat_id, media=media_field(stored, emoji=emoji))

    async def send_voice(
        self,
        user: PlayUser,
        data: bytes = b"OggS\0",
        duration: int = 1,
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user sends a voice message."""
        stored = self.state.add_file(data, "voice", mime_type="audio/ogg")
        return self._incoming(user, chat_id, media=media_field(stored, duration=duration))

    async def send_location(
        self, user: PlayUser, latitude: float, longitude: float, chat_id: int | None = None
    ) -> JsonDict:
        """The user shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._incoming(user, chat_id, media={"location": location})

    async def send_contact(
        self,
        user: PlayUser,
        phone_number: str,
        first_name: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user shares a contact; their own (with user_id) unless ``first_name`` differs."""
        contact: JsonDict = {
            "phone_number": phone_number,
            "first_name": first_name or user.first_name,
        }
        if first_name is None or first_name == user.first_name:
            contact["user_id"] = user.id
        return self._incoming(user, chat_id, media={"contact": contact})

    def _message(self, message: MessageRef) -> StoredMessage:
        if isinstance(message, StoredMessage):
            chat_id, message_id = message.chat_id, message.message_id
        elif isinstance(message, tuple):
            chat_id, message_id = message
        else:
            chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
        found = self.state.get_message(chat_id, message_id)
        if found is None:
            raise LookupError(f"message #{message_id} in chat {chat_id} is gone or never was")
        return found

    async def press_button(
        self,
        user: PlayUser,
        message: MessageRef,
        data: str | None = None,
        text: str | None = None,
    ) -> str:
        """The user presses an inline button, found by label (``text``) or ``data``.

        ``data`` that no button carries is still sent (forged-callback tests).

        Returns:
            The callback query id.
        """
        st = self.state
        msg = self._message(message)
        if text is not None:
            button = next((b for b in msg.buttons() if b["text"] == text), None)
            if button is None:
                labels = [b["text"] for b in msg.buttons()]
                raise LookupError(f"no button {text!r} on message #{msg.message_id}: {labels}")
            data = data if data is not None else button.get("callback_data")
            if data is None:
                raise ValueError(f"button {text!r} has no callback_data: {button}")
        elif data is None:
            raise ValueError("press_button needs data= or text=")
        record = st.add_callback(user, msg, data)
        query = {
            "id": record.id,
            "from": user.to_api(),
            "message": st.message_json(msg),
            "chat_instance": str(abs(hash((user.id, msg.chat_id)))),
            "data": data,
        }
        st.record("callback_pressed", msg.chat_id, msg.message_id, callback_query=query)
        st.updates.push({"callback_query": query})
        return record.id

    async def edit_text(self, user: PlayUser, message: MessageRef, new_text: str) -> JsonDict:
        """The user edits their own text message (an ``edited_message`` update)."""
        st = self.state
        msg = self._message(message)
        if msg.from_bot or msg.sender_id != user.id or msg.text is None:
            raise ValueError(f"user {user.id} cannot edit message #{msg.message_id}")
        msg.text, msg.entities = new_text, incoming_entities(new_text)
        msg.edit_count += 1
        msg.edit_date = st.now()
        payload = st.message_json(msg)
        st.record("incoming_edit", msg.chat_id, msg.message_id, message=payload)
        chat = st.chats[msg.chat_id]
        if self._bot_sees(chat, msg):
            kind = "edited_channel_post" if chat.type == "channel" else "edited_message"
            st.updates.push({kind: payload})
        return payload

    async def send_raw_update(self, update: Mapping[str, Any]) -> int:
        """Enqueue any update as given (``update_id`` assigned if missing); returns its id."""
        update_id = self.state.updates.push(copy.deepcopy(dict(update)))
        self.state.record("raw_update", None, update_id=update_id)
        return update_id

    async def redeliver(self, update_id: int) -> None:
        """Send an earlier update again with the SAME update_id (idempotency tests)."""
        try:
            self.state.updates.redeliver(update_id)
        except KeyError:
            raise LookupError(f"no update {update_id} was ever sent") from None
