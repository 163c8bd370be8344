"""A small client for the stand-in's test-facing HTTP API (``/_standin/``).

For processes that do not share the stand-in's event loop: a bot under test
in a subprocess, a load generator, a tool. User ids double as private chat
ids, as in Telegram.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

import aiohttp

JsonDict = dict[str, Any]
_PREFIX = "/_standin"


class StandInHttpError(Exception):
    """The HTTP API answered ``ok: false``."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


class StandInClient:
    """Play users against a stand-in reached over HTTP.

    Args:
        base_url: The stand-in's ``base_url`` (``http://HOST:PORT``).
        session: An aiohttp session to use (else one is made and closed by :meth:`close`).
    """

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._cursors: dict[int, int] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session (made on first use)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        return self._session

    async def close(self) -> None:
        """Close the session if this client made it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> StandInClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _call(
        self,
        verb: str,
        path: str,
        payload: Mapping[str, Any] | aiohttp.FormData | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"params": query}
        if isinstance(payload, aiohttp.FormData):
            kwargs["data"] = payload
        elif payload is not None:
            kwargs["json"] = dict(payload)
        async with self.session.request(verb, self.base_url + _PREFIX + path, **kwargs) as resp:
            answer = await resp.json()
        if not answer.get("ok"):
            error = str(answer.get("error") or answer.get("description"))
            if resp.status == 408:
                raise TimeoutError(error)
            raise StandInHttpError(resp.status, error)
        return answer["result"]

    # -- people and chats --------------------------------------------------

    async def new_user(
        self,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        id: int | None = None,
    ) -> JsonDict:
        """Create a user; returns the Bot API User object."""
        fields: JsonDict = {"first_name": first_name, "language_code": language_code}
        fields.update({"username": username, "last_name": last_name, "id": id})
        user: JsonDict = await self._call("POST", "/users", fields)
        return user

    async def new_group(
        self, title: str, member_ids: list[int], kind: str = "group", bot_status: str = "member"
    ) -> JsonDict:
        """Create a group with the bot in it; returns the Chat object (plus members)."""
        fields = {"title": title, "member_ids": member_ids, "kind": kind, "bot_status": bot_status}
        chat: JsonDict = await self._call("POST", "/groups", fields)
        return chat

    async def block_bot(self, user_id: int) -> None:
        """The user blocks the bot."""
        await self._call("POST", f"/users/{user_id}/block")

    async def unblock_bot(self, user_id: int) -> None:
        """The user unblocks the bot."""
        await self._call("POST", f"/users/{user_id}/unblock")

    async def kick_bot(self, chat_id: int) -> None:
        """Remove the bot from a group."""
        await self._call("POST", f"/chats/{chat_id}/kick_bot")

    async def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Add a user to a group or change their status."""
        await self._call(
            "POST", f"/chats/{chat_id}/members", {"user_id": user_id, "status": status}
        )

    # -- acting ------------------------------------------------------------

    async def _act(self, user_id: int, chat_id: int | None, action: str, **fields: Any) -> Any:
        path = f"/chats/{chat_id if chat_id is not None else user_id}/{action}"
        return await self._call("POST", path, {"user_id": user_id, **fields})

    async def send_text(
        self, user_id: int, text: str, chat_id: int | None = None, reply_to: int | None = None
    ) -> JsonDict:
        """The user sends text; returns the Message."""
        msg: JsonDict = await self._act(user_id, chat_id, "messages", text=text, reply_to=reply_to)
        return msg

    async def send_command(
        self, user_id: int, command: str, args: str = "", chat_id: int | None = None
    ) -> JsonDict:
        """The user sends ``/command args``."""
        msg: JsonDict = await self._act(user_id, chat_id, "commands", command=command, args=args)
        return msg

    async def press_button(
        self,
        user_id: int,
        message: Mapping[str, Any],
        data: str | None = None,
        text: str | None = None,
    ) -> str:
        """Press an inline button of ``message`` (a Message dict); returns the query id."""
        chat_id = int(message["chat"]["id"])
        fields = {"message_id": message["message_id"], "data": data, "text": text}
        result = await self._act(user_id, chat_id, "press", **fields)
        return str(result["callback_query_id"])

    async def _upload(
        self, user_id: int, chat_id: int | None, action: str, data: bytes, **fields: Any
    ) -> JsonDict:
        form = aiohttp.FormData()
        form.add_field("user_id", str(user_id))
        for key, value in fields.items():
            if value is not None and key != "file_name":
                form.add_field(key, str(value))
        form.add_field("file", data, filename=fields.get("file_name") or "upload.bin")
        path = f"/chats/{chat_id if chat_id is not None else user_id}/{action}"
        msg: JsonDict = await self._call("POST", path, form)
        return msg

    async def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None, chat_id: int | None = None
    ) -> JsonDict:
        """The user sends a photo."""
        return await self._upload(user_id, chat_id, "photos", data, caption=caption)

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user sends a file."""
        return await self._upload(
            user_id,
            chat_id,
            "documents",
            data,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
        )

    async def send_location(
        self, user_id: int, latitude: float, longitude: float, chat_id: int | None = None
    ) -> JsonDict:
        """The user shares a location."""
        msg: JsonDict = await self._act(
            user_id, chat_id, "locations", latitude=latitude, longitude=longitude
        )
        return msg

    async def edit_text(self, user_id: int, message: Mapping[str, Any], text: str) -> JsonDict:
        """The user edits their own message."""
        path = f"/chats/{message['chat']['id']}/messages/{message['message_id']}/edit"
        msg: JsonDict = await self._call("POST", path, {"user_id": user_id, "text": text})
        return msg

    async def send_raw_update(self, update: Mapping[str, Any]) -> int:
        """Enqueue a raw update; returns its update_id."""
        return int((await self._call("POST", "/updates", update))["update_id"])

    async def redeliver(self, update_id: int) -> None:
        """Send an earlier update again with the same update_id."""
        await self._call("POST", f"/updates/{update_id}/redeliver")

    # -- reading -----------------------------------------------------------

    async def transcript(self, chat_id: int) -> list[JsonDict]:
        """Current messages of a chat (Message objects plus from_bot, edit_count...)."""
        messages: list[JsonDict] = await self._call("GET", f"/chats/{chat_id}/transcript")
        return messages

    async def next_bot_message(self, chat_id: int, timeout: float = 5.0) -> JsonDict:  # noqa: ASYNC109 - the waiting API takes a timeout by design
        """The next bot message in the chat not returned to this client before.

        Raises:
            TimeoutError: None within ``timeout`` seconds.
        """
        query = {"after": str(self._cursors.get(chat_id, 0)), "timeout": str(timeout)}
        msg: JsonDict = await self._call("GET", f"/chats/{chat_id}/next_bot_message", query=query)
        self._cursors[chat_id] = int(msg["message_id"])
        return msg

    async def visible_commands(
        self, chat_id: int, user_id: int | None = None, language_code: str | None = None
    ) -> list[JsonDict]:
        """The command menu a user sees in a chat."""
        query = {"user_id": str(user_id or ""), "language_code": language_code or ""}
        commands: list[JsonDict] = await self._call(
            "GET", f"/chats/{chat_id}/visible_commands", query=query
        )
        return commands

    async def events(self, chat_id: int | None = None, since: int = 0) -> list[JsonDict]:
        """The event log (optionally of one chat) after sequence number ``since``."""
        query = {"since": str(since), **({"chat_id": str(chat_id)} if chat_id else {})}
        events: list[JsonDict] = await self._call("GET", "/events", query=query)
        return events

    async def stream_events(self, chat_id: int, since: int = 0) -> AsyncIterator[JsonDict]:
        """Events of a chat as they happen (Server-Sent Events), from ``since`` on."""
        url = f"{self.base_url}{_PREFIX}/chats/{chat_id}/events"
        async with self.session.get(url, params={"since": str(since)}) as resp:
            data: list[str] = []
            async for raw in resp.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    yield json.loads("\n".join(data))
                    data = []

    async def wait_callback_answer(self, query_id: str, timeout: float = 5.0) -> JsonDict:  # noqa: ASYNC109 - the waiting API takes a timeout by design
        """The bot's answer to a button press."""
        path = f"/callbacks/{query_id}/answer"
        answer: JsonDict = await self._call("GET", path, query={"timeout": str(timeout)})
        return answer

    async def file_bytes(self, file_id: str) -> bytes:
        """The content of a file in the stand-in."""
        async with self.session.get(f"{self.base_url}{_PREFIX}/files/{file_id}") as resp:
            if resp.status != 200:
                raise StandInHttpError(resp.status, await resp.text())
            return await resp.read()

    # -- operations --------------------------------------------------------

    async def stats(self) -> JsonDict:
        """The stand-in's counters."""
        stats: JsonDict = await self._call("GET", "/stats")
        return stats

    async def set_flood_limits(self, enabled: bool) -> None:
        """Switch flood limits on or off."""
        await self._call("POST", "/flood_limits", {"enabled": enabled})

    async def add_fault(self, kind: str, **options: Any) -> int:
        """Inject a fault (see ``Faults.add`` for the options); returns its id."""
        fault = await self._call("POST", "/faults", {"kind": kind, **options})
        return int(fault["id"])

    async def remove_fault(self, fault_id: int) -> None:
        """Remove one fault."""
        await self._call("DELETE", f"/faults/{fault_id}")

    async def clear_faults(self) -> None:
        """Remove every fault."""
        await self._call("DELETE", "/faults")
