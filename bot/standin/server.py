"""The aiohttp server: Bot API routes, file downloads, lifecycle, refused connections.

python-telegram-bot talks to it as to a self-hosted Bot API server::

    ApplicationBuilder().token(standin.token)
        .base_url(f"{standin.base_url}/bot").base_file_url(f"{standin.base_url}/file/bot")

Method calls arrive as ``POST /bot<TOKEN>/<method>`` (GET works too), file
downloads as ``GET /file/bot<TOKEN>/<file_path>``; the test-facing HTTP API
lives under ``/_standin/`` (see ``http_api.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any

from aiohttp import web

# Importing the method modules registers their methods.
from bot.standin import (
    methods_chat,
    methods_files,
    methods_forward,
    methods_messages,
    methods_updates,
)
from bot.standin.errors import ApiError, not_found, too_many_requests, unauthorized
from bot.standin.files import MAX_UPLOAD
from bot.standin.http_api import add_routes
from bot.standin.limits import FloodConfig
from bot.standin.params import parse_request
from bot.standin.players import Players
from bot.standin.registry import find_method
from bot.standin.state import State

__all__ = ["DEFAULT_TOKEN", "BotApiStandIn"]
_ = (methods_chat, methods_files, methods_forward, methods_messages, methods_updates)

DEFAULT_TOKEN = "123456789:AAFstandInTokenForLocalTestsOnly_0000"  # noqa: S105 - not a secret
_CHUNK = 64 * 1024
_LOG = logging.getLogger(__name__)


class _Dropped(Exception):
    """The connection was aborted on purpose; there is nothing to answer."""


class BotApiStandIn(Players):
    """A local stand-in for the Telegram Bot API, with a test-facing API.

    Args:
        token: The only token accepted (others get 401); its numeric prefix is the bot id.
        bot_username: The bot's username.
        flood_limits: Enforce Telegram-like flood limits (``standin.flood_limits``
            switches them at run time).
        clock: Seconds since the epoch for dates, 48-hour windows, flood
            limits and fault windows.
        group_privacy: Telegram's privacy mode for groups (see :class:`State`).
        flood_config: Bucket sizes and rates of the flood limits (see :class:`FloodConfig`).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "intake_test_bot",
        flood_limits: bool = True,
        clock: Callable[[], float] = time.time,
        *,
        group_privacy: bool = True,
        flood_config: FloodConfig | None = None,
    ) -> None:
        super().__init__(
            State(
                token,
                bot_username,
                clock,
                flood_limits,
                group_privacy=group_privacy,
                flood_config=flood_config,
            )
        )
        self.token = token
        self._host = "127.0.0.1"
        self._port = 0
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._reopen: asyncio.Task[None] | None = None

    # -- addresses ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` once started."""
        if self._runner is None:
            raise RuntimeError("the stand-in is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_base_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_url``."""
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_file_url``."""
        return f"{self.base_url}/file/bot"

    @property
    def port(self) -> int:
        """The TCP port listened on."""
        return self._port

    # -- lifecycle ---------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 picks a free port); returns :attr:`base_url`."""
        self._host, self._port = host, port
        app = web.Application(client_max_size=MAX_UPLOAD + 10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        add_routes(app, self)
        # handler_cancellation: a client that hangs up (an abandoned long poll,
        # a killed bot process) must not keep its handler waiting.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await self.accept_connections()
        return self.base_url

    async def stop(self) -> None:
        """Answer waiting long polls and streams, stop webhook delivery, close the server."""
        st = self.state
        st.closed = True
        st.updates.close()
        st.signal.notify()
        if self._reopen is not None:
            self._reopen.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reopen
        await st.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._site = None

    async def __aenter__(self) -> BotApiStandIn:
        await self.start(self._host, self._port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _listen(self) -> socket.socket:
        family, kind, proto, _, address = socket.getaddrinfo(
            self._host, self._port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, kind, proto)
        # SO_REUSEADDR lets accept_connections() bind the same port again at once.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(512)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        return sock

    async def refuse_connections(self, duration: float | None = None) -> None:
        """Stop listening and close open connections: clients get ECONNREFUSED.

        Args:
            duration: Listen again on the same port after this many seconds;
                None waits for :meth:`accept_connections`.
        """
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            for handler in self._runner.server.connections:
                handler.force_close()
        if duration is not None:
            self._reopen = asyncio.create_task(self._accept_after(duration))

    @property
    def accepting(self) -> bool:
        """Whether the server is listening (not inside :meth:`refuse_connections`)."""
        return self._site is not None

    async def wait_accepting(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - by design
        """Wait until a timed :meth:`refuse_connections` window is over and serving resumed."""
        if self._reopen is not None:
            await asyncio.wait_for(asyncio.shield(self._reopen), timeout)
        if self._site is None:
            raise RuntimeError("not accepting connections and no reopening is scheduled")

    async def _accept_after(self, duration: float) -> None:
        await asyncio.sleep(duration)
        self._reopen = None
        await self.accept_connections()

    def accept_connections(self) -> asyncio.Task[None]:
        """Listen again on the same port; await the result to be sure it is serving.

        The socket listens before this returns (the kernel queues connections),
        so not awaiting is fine too.
        """
        if self._reopen is not None and self._reopen is not asyncio.current_task():
            self._reopen.cancel()
            self._reopen = None
        if self._runner is None:
            raise RuntimeError("the stand-in is not started")
        if self._site is not None:
            return asyncio.create_task(asyncio.sleep(0))
        self._site = web.SockSite(self._runner, self._listen())
        return asyncio.create_task(self._site.start())

    # -- request handling --------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        st = self.state
        if request.match_info["token"] != self.token:
            return _error_response(unauthorized())
        spec = find_method(request.match_info["method"])
        if spec is None:
            return _error_response(not_found())
        st.stats.calls[spec.name] += 1
        counted = spec.name != "getUpdates"
        st.inflight += counted
        chat_hint = None
        try:
            params = await parse_request(request)
            chat_hint = params.chat_hint()
            await self._inject_faults(request, spec.name, chat_hint)
            result = await spec.impl(st, params)
            return web.json_response({"ok": True, "result": result})
        except ApiError as err:
            self._count_error(err, chat_hint)
            return _error_response(err)
        except _Dropped:
            return web.Response()  # never sent: the transport is closed
        except Exception as exc:
            # A bug in the stand-in: answer like Telegram's 500, loudly in the log.
            _LOG.exception("stand-in failed in %s", spec.name)
            return _error_response(ApiError(500, f"Internal Server Error: {exc!r}"))
        finally:
            st.inflight -= counted
            st.signal.notify()

    def _count_error(self, err: ApiError, chat_id: int | None) -> None:
        stats = self.state.stats
        if err.code == HTTPStatus.TOO_MANY_REQUESTS:
            stats.too_many_requests += 1
            if chat_id is not None:
                stats.too_many_requests_by_chat[chat_id] += 1
        elif err.code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            stats.server_errors += 1

    async def _inject_faults(self, request: web.Request, name: str, chat_id: int | None) -> None:
        delay, fault = self.state.faults.hit(name, chat_id)
        if delay:
            await asyncio.sleep(delay)
        if fault is None:
            return
        if fault.kind == "429":
            raise too_many_requests(fault.retry_after)
        if fault.kind == "5xx":
            raise ApiError(fault.status, HTTPStatus(fault.status).phrase)
        self.state.stats.dropped_connections += 1
        if request.transport is not None:
            request.transport.abort()
        raise _Dropped

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(unauthorized())
        try:
            await self._inject_faults(request, "download", None)
        except ApiError as err:
            self._count_error(err, None)
            return _error_response(err)
        except _Dropped:
            return web.Response()
        stored = self.state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _error_response(not_found())
        response = web.StreamResponse(
            headers={"Content-Type": stored.mime_type or "application/octet-stream"}
        )
        response.content_length = stored.size
        await response.prepare(request)
        for start in range(0, stored.size, _CHUNK):
            await response.write(stored.data[start : start + _CHUNK])
        await response.write_eof()
        return response

    # -- conveniences for python-telegram-bot -----------------------------

    def ptb_kwargs(self) -> dict[str, Any]:
        """``token``, ``base_url`` and ``base_file_url`` for ``telegram.Bot(**kwargs)``."""
        return {
            "token": self.token,
            "base_url": self.api_base_url,
            "base_file_url": self.file_base_url,
        }


def _error_response(err: ApiError) -> web.Response:
    return web.json_response(err.payload(), status=err.code)
