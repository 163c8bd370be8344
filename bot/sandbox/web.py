"""The sandbox page's web app: the page, a reporter per browser session, and the stand-in's
test-facing API passed through for the chats that session may see.

Routes::

    GET  /                         the page (static/index.html)
    GET  /static/{name}            its stylesheet and script
    GET  /sandbox/session          this browser's people and chats; makes a reporter (and sets
                                   the session cookie) on the first visit; ?language=ru|uk|kk|en
    POST /sandbox/session          {"language": ...}: start over as a new reporter
    *    /_standin/...             the stand-in's own API, same paths, limited to this session:
                                   GET  chats/{id}/transcript, events/stream?chat_id=..., files/{id}
                                   POST chats/{id}/messages|commands|press|photos|documents|
                                        locations|contacts  (JSON, user_id one of its people)

Each session may read its reporter's private chat, the lawyers' group and the staff's private
chats, and act only as its reporter (in that chat) or as the staff (in theirs and the group); two
browsers are two reporters who never see each other's chat. The page reaches only this app (same
origin); the stand-in listens on another port, for the bot.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.cast import Cast
from bot.standin import PlayUser

SESSION_COOKIE = "intake_sandbox"
BOT_NAME = "Intake bot"
# A 50 MB document, base64-encoded in JSON, with room to spare.
MAX_BODY = 70 * 1024 * 1024
STATIC = {
    "sandbox.css": "text/css",
    "sandbox.js": "text/javascript",
}
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# Files people upload are served as downloads in a sandbox of their own, never as a page of
# this origin.
FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
}
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_CHAT_ROUTE = re.compile(
    r"chats/(-?\d{1,20})/(transcript|messages|commands|press|photos|documents|locations|contacts)"
)
_FILE_ROUTE = re.compile(r"files/([A-Za-z0-9_-]{1,200})")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Session:
    """One browser: its reporter."""

    token: str
    reporter: PlayUser


def _fail(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SandboxWeb:
    """The page's server for one cast; `start` listens, `stop` ends streams and closes."""

    def __init__(self, cast: Cast, upstream: str) -> None:
        self.cast = cast
        self.upstream = upstream.rstrip("/")
        self.sessions: dict[str, Session] = {}
        # Cookies are not kept apart by port: each sandbox names its own.
        self.cookie = SESSION_COOKIE
        self._client: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._streams: set[aiohttp.ClientResponse] = set()
        folder = resources.files("bot.sandbox.static")
        self._page = folder.joinpath("index.html").read_bytes()
        self._static = {name: folder.joinpath(name).read_bytes() for name in STATIC}

    # -- lifecycle -----------------------------------------------------------------------

    def application(self) -> web.Application:
        """The aiohttp application (routes above)."""
        app = web.Application(client_max_size=MAX_BODY, middlewares=[_local_only])
        app.router.add_get("/", self.page)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/sandbox/session", self.session)
        app.router.add_post("/sandbox/session", self.new_session)
        app.router.add_route("*", "/_standin/{tail:.*}", self.proxy)
        return app

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); returns the port.

        Raises:
            OSError: The port cannot be had.
        """
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._runner = web.AppRunner(
            self.application(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError:
            await self.stop()
            raise
        port = int(self._runner.addresses[0][1])
        self.cookie = f"{SESSION_COOKIE}_{port}"
        return port

    async def stop(self) -> None:
        """End the event streams, stop listening, close the connection to the stand-in."""
        for stream in list(self._streams):
            stream.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def client(self) -> aiohttp.ClientSession:
        """The HTTP client for the stand-in (open between start and stop)."""
        if self._client is None:
            raise RuntimeError("the sandbox page is not started")
        return self._client

    # -- the page and its session -----------------------------------------------------------

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The page."""
        return web.Response(body=self._page, content_type="text/html", headers=PAGE_HEADERS)

    async def static(self, request: web.Request) -> web.StreamResponse:
        """The stylesheet or the script."""
        name = request.match_info["name"]
        if name not in self._static:
            raise web.HTTPNotFound
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
        return web.Response(body=self._static[name], content_type=STATIC[name], headers=headers)

    def _session_of(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(self.cookie, ""))

    async def session(self, request: web.Request) -> web.StreamResponse:
        """This browser's people and chats; a new reporter on the first visit."""
        found = self._session_of(request)
        if found is not None:
            return web.json_response({"ok": True, "result": self.view(found)})
        return self._begin(request.query.get("language"))

    async def new_session(self, request: web.Request) -> web.StreamResponse:
        """Start over as a new reporter (the old one's chat stays in the stand-in, unseen)."""
        if request.content_type != "application/json":
            return _fail(415, "JSON expected")
        data = await request.json()
        language = data.get("language") if isinstance(data, dict) else None
        return self._begin(str(language) if language else None)

    def _begin(self, language: str | None) -> web.Response:
        token = secrets.token_urlsafe(24)
        session = Session(token, self.cast.new_reporter(language))
        self.sessions[token] = session
        response = web.json_response({"ok": True, "result": self.view(session)})
        response.set_cookie(self.cookie, token, httponly=True, samesite="Strict", path="/")
        return response

    def view(self, session: Session) -> dict[str, Any]:
        """What the page shows this session: three people, each with their chats."""
        cast, reporter = self.cast, session.reporter
        bot = cast.standin.bot
        bot_chat = {"kind": "private", "title": BOT_NAME, "subtitle": f"@{bot.username} · bot"}
        members = len(cast.group.members) + 1
        group = {
            "id": cast.group.id,
            "kind": "group",
            "title": cast.group.title,
            "subtitle": (
                f"{members} members: {cast.lawyer.first_name}, {cast.coordinator.first_name} "
                "and the bot"
            ),
        }
        return {
            "bot": {"id": bot.id, "name": BOT_NAME, "username": bot.username},
            "panes": [
                {
                    "role": "reporter",
                    "label": "Reporter",
                    "person": _person(reporter),
                    "about": "a relative reporting a detention, in a private chat with the bot",
                    "chats": [{**bot_chat, "id": reporter.id, "tab": "Chat with the bot"}],
                },
                {
                    "role": "lawyer",
                    "label": "Lawyer",
                    "person": _person(cast.lawyer),
                    "about": "on call: gets the case card in the group and pages privately",
                    "chats": [
                        {**group, "tab": "Lawyers' group"},
                        {**bot_chat, "id": cast.lawyer.id, "tab": "Private chat"},
                    ],
                },
                {
                    "role": "coordinator",
                    "label": "Coordinator",
                    "person": _person(cast.coordinator),
                    "about": "manages the roster (/roster, /oncall) and follows every case",
                    "chats": [
                        {**bot_chat, "id": cast.coordinator.id, "tab": "Private chat"},
                        {**group, "tab": "Lawyers' group"},
                    ],
                },
            ],
        }

    def actors(self, session: Session) -> dict[int, frozenset[int]]:
        """Chat id -> the people this session may act as there."""
        cast = self.cast
        return {
            session.reporter.id: frozenset({session.reporter.id}),
            cast.lawyer.id: frozenset({cast.lawyer.id}),
            cast.coordinator.id: frozenset({cast.coordinator.id}),
            cast.group.id: frozenset({cast.lawyer.id, cast.coordinator.id}),
        }

    # -- the stand-in's API, passed through --------------------------------------------------

    async def proxy(self, request: web.Request) -> web.StreamResponse:
        """Pass a request to the stand-in if this session may make it."""
        session = self._session_of(request)
        if session is None:
            return _fail(401, "no sandbox session: reload the page")
        tail, method = request.match_info["tail"], request.method
        actors = self.actors(session)
        if method == "GET" and tail == "events/stream":
            wanted = [_int(v) for v in request.query.getall("chat_id", [])]
            if not wanted or any(chat_id not in actors for chat_id in wanted):
                return _fail(403, "not a chat of this sandbox session")
            return await self._stream(request)
        if method == "GET" and _FILE_ROUTE.fullmatch(tail):
            return await self._file(request)
        route = _CHAT_ROUTE.fullmatch(tail)
        if route is None:
            return _fail(404, "not available in the sandbox")
        chat_id, action = int(route[1]), route[2]
        if chat_id not in actors:
            return _fail(403, "not a chat of this sandbox session")
        if action == "transcript":
            if method != "GET":
                return _fail(405, "GET expected")
            return await self._forward(request, None)
        if method != "POST":
            return _fail(405, "POST expected")
        if request.content_type != "application/json":
            return _fail(415, "JSON expected")
        data = await request.json()
        if not isinstance(data, dict) or _int(data.get("user_id")) not in actors[chat_id]:
            return _fail(403, "this session cannot act as that user in that chat")
        return await self._forward(request, data)

    def _url(self, request: web.Request) -> str:
        return self.upstream + str(request.rel_url)

    async def _forward(self, request: web.Request, data: dict[str, Any] | None) -> web.Response:
        try:
            async with self.client.request(request.method, self._url(request), json=data) as up:
                body = await up.read()
                return web.Response(body=body, status=up.status, content_type=up.content_type)
        except aiohttp.ClientError:
            return _fail(502, "the stand-in does not answer")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        try:
            async with self.client.get(self._url(request)) as up:
                body = await up.read()
                kind = up.content_type
                status = up.status
        except aiohttp.ClientError:
            return _fail(502, "the stand-in does not answer")
        headers = dict(FILE_HEADERS)
        if kind not in INLINE_TYPES:
            headers["Content-Disposition"] = "attachment"
        return web.Response(body=body, status=status, content_type=kind, headers=headers)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        headers = {}
        if "Last-Event-ID" in request.headers:
            headers["Last-Event-ID"] = request.headers["Last-Event-ID"]
        endless = aiohttp.ClientTimeout(total=None, sock_read=None)
        try:
            upstream = await self.client.get(self._url(request), headers=headers, timeout=endless)
        except aiohttp.ClientError:
            return _fail(502, "the stand-in does not answer")
        self._streams.add(upstream)
        try:
            if upstream.status != 200:
                body = await upstream.read()
                return web.Response(body=body, status=upstream.status, content_type="text/plain")
            response = web.StreamResponse(
                headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
            )
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
            except (aiohttp.ClientError, ConnectionResetError):
                pass  # the stand-in or the browser went away: the browser reconnects
            return response
        finally:
            self._streams.discard(upstream)
            upstream.release()


def _person(user: PlayUser) -> dict[str, Any]:
    return {"id": user.id, "first_name": user.first_name, "language_code": user.language_code}


@web.middleware
async def _local_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse requests for another host name (DNS rebinding) or from another site's page."""
    if _hostname(request.host or "") not in LOCAL_HOSTS:
        return _fail(421, "the sandbox answers only to 127.0.0.1 and localhost")
    origin = request.headers.get("Origin")
    if origin is not None and origin.split("://", 1)[-1] != request.host:
        return _fail(403, "requests from other sites are refused")
    return await handler(request)


def _hostname(host: str) -> str:
    """The host name of a Host header: 127.0.0.1:8765 -> 127.0.0.1, [::1]:8765 -> [::1]."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0]
