"""The test-facing HTTP API, for processes and web pages outside the stand-in's loop.

All routes answer JSON ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}`` (404 for unknown users/chats/messages,
400 for bad input, 408 when a wait times out; Bot API errors keep their
status and ``description``). Bodies are JSON (or form fields); uploads are
multipart with a ``file`` part, or JSON with ``data_base64``. CORS is open so
a sandbox page on another origin can use it.

Routes (prefix ``/_standin``)::

    GET    /                                   base URLs, bot user
    GET    /stats                              counters (see Stats)
    POST   /flood_limits                       {"enabled": bool}
    GET    /users                              all played users
    POST   /users                              {first_name, last_name?, username?,
                                                language_code?, id?} -> user
    POST   /users/{user_id}/block | /unblock   the user (un)blocks the bot
    GET    /chats                              all chats
    POST   /groups                             {title, member_ids, kind?, bot_status?,
                                                username?} -> chat
    POST   /chats/{chat_id}/members            {user_id, status}
    POST   /chats/{chat_id}/kick_bot           remove the bot from a group
    POST   /chats/{chat_id}/messages           {user_id, text, reply_to?} -> Message
    POST   /chats/{chat_id}/commands           {user_id, command, args?} -> Message
    POST   /chats/{chat_id}/press              {user_id, message_id, data? | text?}
                                               -> {"callback_query_id": ...}
    POST   /chats/{chat_id}/photos             user_id, file, caption? -> Message
    POST   /chats/{chat_id}/documents          user_id, file, file_name?, mime_type?,
                                               caption? -> Message
    POST   /chats/{chat_id}/locations          {user_id, latitude, longitude}
    POST   /chats/{chat_id}/contacts           {user_id, phone_number, first_name?}
    POST   /chats/{chat_id}/messages/{message_id}/edit   {user_id, text}
    GET    /chats/{chat_id}/transcript         current messages (see message_view)
    GET    /chats/{chat_id}/next_bot_message?after=ID&timeout=S
                                               first bot message with id > after
    GET    /chats/{chat_id}/visible_commands?user_id=&language_code=
    GET    /chats/{chat_id}/events?since=SEQ   Server-Sent Events: this chat's events
                                               and chat-less ones (commands_set...);
                                               Last-Event-ID resumes
    GET    /events/stream?chat_id=A&chat_id=B&since=SEQ
                                               the same for several chats on one
                                               connection (a page showing many chats
                                               stays under the browser's limit of six
                                               connections to one host)
    GET    /events?chat_id=&since=SEQ          the event log as JSON
    GET    /callbacks/{query_id}/answer?timeout=S   waits for answerCallbackQuery
    POST   /updates                            a raw update -> {"update_id": N}
    POST   /updates/{update_id}/redeliver      same update_id again
    GET    /files/{file_id}                    file bytes
    GET    /faults                             active faults
    POST   /faults                             {kind, method?, chat_id?, duration?,
                                                count?, retry_after?, delay?, status?}
    DELETE /faults/{fault_id}  |  DELETE /faults
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from aiohttp import web

from bot.standin.http_players import PlayerRoutes
from bot.standin.http_util import CORS, body, guard, ok
from bot.standin.models import Event

if TYPE_CHECKING:
    from bot.standin.players import Players

PREFIX = "/_standin"
KEEPALIVE = 15.0


class OpsRoutes:
    """Handlers for the log, streams, updates, files, faults and stats."""

    def __init__(self, standin: Players) -> None:
        self.s = standin
        self.st = standin.state

    async def info(self, request: web.Request) -> web.StreamResponse:
        base = f"{request.scheme}://{request.host}"
        return ok({"base_url": base, "bot": self.st.bot.to_api(), "prefix": PREFIX})

    async def stats(self, request: web.Request) -> web.StreamResponse:
        return ok(self.st.stats.to_json())

    async def flood_limits(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        self.s.flood_limits = str(data.get("enabled")).lower() in ("true", "1")
        return ok({"enabled": self.s.flood_limits})

    async def events(self, request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", 0))
        chat = request.query.get("chat_id")
        found = self.s.events(int(chat) if chat else None)
        return ok([e.to_json() for e in found if e.seq > since])

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events of one chat (plus chat-less events) until the client leaves."""
        return await self._stream(request, {self.s.chat(int(request.match_info["chat_id"])).id})

    async def stream_chats(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events of the chats named by ``chat_id`` (repeated), in log order."""
        chat_ids = {self.s.chat(int(value)).id for value in request.query.getall("chat_id", [])}
        if not chat_ids:
            raise ValueError("at least one chat_id is required")
        return await self._stream(request, chat_ids)

    async def _stream(self, request: web.Request, chat_ids: set[int]) -> web.StreamResponse:
        position = int(request.query.get("since") or request.headers.get("Last-Event-ID") or 0)
        response = web.StreamResponse(
            headers={**CORS, "Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        await response.write(b"retry: 1000\n\n")
        events = self.st.events
        try:
            while not self.st.closed:
                while position < len(events):
                    event = events[position]
                    position += 1
                    if event.chat_id is None or event.chat_id in chat_ids:
                        await response.write(_sse(event))
                if not await self.st.signal.wait(KEEPALIVE):
                    await response.write(b": keep-alive\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            if not self.st.closed:
                raise
        return response

    async def callback_answer(self, request: web.Request) -> web.StreamResponse:
        query_id = request.match_info["query_id"]
        timeout = float(request.query.get("timeout", 5))
        return ok(await self.s.wait_callback_answer(query_id, timeout))

    async def raw_update(self, request: web.Request) -> web.StreamResponse:
        return ok({"update_id": await self.s.send_raw_update(await body(request))})

    async def redeliver(self, request: web.Request) -> web.StreamResponse:
        await self.s.redeliver(int(request.match_info["update_id"]))
        return ok(True)

    async def file(self, request: web.Request) -> web.StreamResponse:
        stored = self.st.files.get(request.match_info["file_id"])
        if stored is None:
            raise LookupError(f"no file {request.match_info['file_id']}")
        content_type = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type, headers=CORS)

    async def faults(self, request: web.Request) -> web.StreamResponse:
        return ok([f.to_json() for f in self.st.faults.active()])

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        d = await body(request)

        def number(key: str) -> float | None:
            return None if d.get(key) is None else float(d[key])

        count, chat_id = number("count"), number("chat_id")
        handle = self.st.faults.add(
            kind=str(d["kind"]),  # type: ignore[arg-type]  # validated by Faults.add
            method=d.get("method"),
            chat_id=None if chat_id is None else int(chat_id),
            duration=number("duration"),
            count=None if count is None else int(count),
            retry_after=int(d.get("retry_after", 5)),
            delay=float(d.get("delay", 1.0)),
            status=int(d.get("status", 502)),
        )
        return ok(handle.fault.to_json())

    async def remove_fault(self, request: web.Request) -> web.StreamResponse:
        fault_id = request.match_info.get("fault_id")
        if fault_id is None:
            self.st.faults.clear()
            return ok(True)
        return ok(self.st.faults.remove(int(fault_id)))


def _sse(event: Event) -> bytes:
    data = json.dumps(event.to_json(), separators=(",", ":"))
    return f"id: {event.seq}\nevent: {event.kind}\ndata: {data}\n\n".encode()


async def _preflight(request: web.Request) -> web.StreamResponse:
    return web.Response(status=204, headers=CORS)


def add_routes(app: web.Application, standin: Players) -> None:
    """Mount the test-facing API under ``/_standin`` on ``app``."""
    ops, people = OpsRoutes(standin), PlayerRoutes(standin)
    table = [
        ("GET", "/", ops.info),
        ("GET", "/stats", ops.stats),
        ("POST", "/flood_limits", ops.flood_limits),
        ("GET", "/users", people.users),
        ("POST", "/users", people.new_user),
        ("POST", "/users/{user_id}/{action:block|unblock}", people.block),
        ("GET", "/chats", people.chats),
        ("POST", "/groups", people.new_group),
        ("POST", "/chats/{chat_id}/members", people.member),
        ("POST", "/chats/{chat_id}/kick_bot", people.kick_bot),
        (
            "POST",
            "/chats/{chat_id}/{action:messages|commands|press|photos|documents|locations|contacts}",
            people.act,
        ),
        ("POST", "/chats/{chat_id}/messages/{message_id}/edit", people.edit),
        ("GET", "/chats/{chat_id}/transcript", people.transcript),
        ("GET", "/chats/{chat_id}/next_bot_message", people.next_bot_message),
        ("GET", "/chats/{chat_id}/visible_commands", people.visible_commands),
        ("GET", "/chats/{chat_id}/events", ops.stream),
        ("GET", "/events", ops.events),
        ("GET", "/events/stream", ops.stream_chats),
        ("GET", "/callbacks/{query_id}/answer", ops.callback_answer),
        ("POST", "/updates", ops.raw_update),
        ("POST", "/updates/{update_id}/redeliver", ops.redeliver),
        ("GET", "/files/{file_id}", ops.file),
        ("GET", "/faults", ops.faults),
        ("POST", "/faults", ops.add_fault),
        ("DELETE", "/faults", ops.remove_fault),
        ("DELETE", "/faults/{fault_id}", ops.remove_fault),
    ]
    for verb, path, handler in table:
        app.router.add_route(verb, PREFIX + path, guard(handler))
    app.router.add_route("OPTIONS", PREFIX + "/{tail:.*}", _preflight)
