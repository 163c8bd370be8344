"""HTTP handlers that create users and chats and act as users (see ``http_api.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.standin.http_util import body, message_view, ok
from bot.standin.models import PlayUser, StoredMessage
from bot.standin.signals import wait_until

if TYPE_CHECKING:
    from bot.standin.players import Players


class PlayerRoutes:
    """User, chat and action handlers bound to one stand-in."""

    def __init__(self, standin: Players) -> None:
        self.s = standin
        self.st = standin.state

    def user(self, value: Any) -> PlayUser:
        user = self.st.users.get(int(value))
        if user is None:
            raise LookupError(f"no user {value}")
        return user

    def chat_id(self, request: web.Request) -> int:
        return self.s.chat(int(request.match_info["chat_id"])).id

    async def users(self, request: web.Request) -> web.StreamResponse:
        return ok([u.to_api() for u in self.st.users.values()])

    async def new_user(self, request: web.Request) -> web.StreamResponse:
        d = await body(request)
        user = self.s.new_user(
            d.get("first_name") or "Ann",
            d.get("language_code"),
            d.get("username"),
            d.get("last_name"),
            int(d["id"]) if d.get("id") is not None else None,
        )
        return ok(user.to_api())

    async def block(self, request: web.Request) -> web.StreamResponse:
        user = self.user(request.match_info["user_id"])
        if request.match_info["action"] == "block":
            self.s.block_bot(user)
        else:
            self.s.unblock_bot(user)
        return ok(True)

    async def chats(self, request: web.Request) -> web.StreamResponse:
        return ok([{**c.to_api(), "bot_status": c.bot_status} for c in self.st.chats.values()])

    async def new_group(self, request: web.Request) -> web.StreamResponse:
        d = await body(request)
        members = [self.user(uid) for uid in d.get("member_ids", [])]
        chat = self.s.new_group(
            d["title"],
            members,
            d.get("kind", "group"),
            d.get("bot_status", "member"),
            d.get("username"),
        )
        return ok({**chat.to_api(), "members": {str(k): v for k, v in chat.members.items()}})

    async def member(self, request: web.Request) -> web.StreamResponse:
        d = await body(request)
        self.s.set_member_status(self.chat_id(request), self.user(d["user_id"]), d["status"])
        return ok(True)

    async def kick_bot(self, request: web.Request) -> web.StreamResponse:
        self.s.kick_bot(self.chat_id(request))
        return ok(True)

    async def act(self, request: web.Request) -> web.StreamResponse:
        """One user action in a chat; the route's ``action`` says which."""
        d = await body(request)
        user, chat_id = self.user(d["user_id"]), self.chat_id(request)
        action = request.match_info["action"]
        s = self.s
        if action == "messages":
            reply_to = int(d["reply_to"]) if d.get("reply_to") else None
            return ok(await s.send_text(user, str(d["text"]), chat_id, reply_to))
        if action == "commands":
            return ok(await s.send_command(user, d["command"], d.get("args", ""), chat_id))
        if action == "press":
            target = (chat_id, int(d["message_id"]))
            return ok(
                {
                    "callback_query_id": await s.press_button(
                        user, target, d.get("data"), d.get("text")
                    )
                }
            )
        if action == "photos":
            return ok(await s.send_photo(user, d["file"], d.get("caption"), chat_id))
        if action == "documents":
            return ok(
                await s.send_document(
                    user,
                    d["file"],
                    d.get("file_name") or "file.bin",
                    d.get("mime_type"),
                    caption=d.get("caption"),
                    chat_id=chat_id,
                )
            )
        if action == "locations":
            return ok(
                await s.send_location(user, float(d["latitude"]), float(d["longitude"]), chat_id)
            )
        if action == "contacts":
            return ok(await s.send_contact(user, d["phone_number"], d.get("first_name"), chat_id))
        raise LookupError(f"unknown action {action}")

    async def edit(self, request: web.Request) -> web.StreamResponse:
        d = await body(request)
        target = (self.chat_id(request), int(request.match_info["message_id"]))
        return ok(await self.s.edit_text(self.user(d["user_id"]), target, str(d["text"])))

    async def transcript(self, request: web.Request) -> web.StreamResponse:
        chat_id = self.chat_id(request)
        messages = self.st.messages.get(chat_id, {}).values()
        return ok([message_view(self.st, m) for m in messages if not m.deleted])

    async def next_bot_message(self, request: web.Request) -> web.StreamResponse:
        chat_id = self.chat_id(request)
        after = int(request.query.get("after", 0))
        timeout = float(request.query.get("timeout", 5))

        def find() -> StoredMessage | None:
            msgs = self.st.messages.get(chat_id, {}).values()
            return next((m for m in msgs if m.from_bot and m.message_id > after), None)

        found = await wait_until(self.st.signal, find, timeout)
        if found is None:
            raise TimeoutError(
                f"no bot message after #{after} in chat {chat_id} within {timeout} s; "
                f"chat holds: {self.s.describe(chat_id)}"
            )
        return ok(message_view(self.st, found))

    async def visible_commands(self, request: web.Request) -> web.StreamResponse:
        uid = request.query.get("user_id")
        user = self.user(uid) if uid else None
        language = request.query.get("language_code")
        return ok(self.s.visible_commands(self.chat_id(request), user, language))
