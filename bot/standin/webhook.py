"""Webhook delivery: POST each update as JSON to the bot's URL, retry on failure.

Like Telegram, up to ``max_connections`` updates are in flight at once, the
secret token comes back in ``X-Telegram-Bot-Api-Secret-Token``, an update is
confirmed only by a 2xx answer, and failures are retried with exponential
backoff (much shorter than Telegram's, so tests stay fast) and reported in
``getWebhookInfo`` as ``last_error_date`` / ``last_error_message``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.standin.stats import Stats
from bot.standin.updates import PendingUpdate, UpdateQueue

JsonDict = dict[str, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


@dataclass
class WebhookConfig:
    """What ``setWebhook`` set."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None


class WebhookDeliverer:
    """Delivers pending updates to the configured webhook URL.

    Args:
        queue: The bot's update queue.
        stats: Counters to update.
        clock: The stand-in's clock, for ``last_error_date``.
        retry_base: First retry delay in seconds; doubles up to ``retry_max``.
        timeout: Seconds one POST may take.
    """

    def __init__(
        self,
        queue: UpdateQueue,
        stats: Stats,
        clock: Callable[[], float],
        *,
        retry_base: float = 0.05,
        retry_max: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        self.queue = queue
        self.stats = stats
        self.clock = clock
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.timeout = timeout
        self.config = WebhookConfig()
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def active(self) -> bool:
        """Whether a webhook URL is set."""
        return bool(self.config.url)

    async def configure(self, config: WebhookConfig) -> None:
        """Replace the webhook (an empty URL removes it) and (re)start delivery."""
        await self._stop_workers()
        self.config = config
        self.queue.webhook_active = self.active
        self.last_error_date = self.last_error_message = None
        if config.allowed_updates is not None:
            self.queue.allowed = frozenset(config.allowed_updates) or None
        self.queue.signal.notify()
        if not self.active:
            return
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._workers = [
            asyncio.create_task(self._work(self._session), name=f"standin-webhook-{n}")
            for n in range(config.max_connections)
        ]

    def info(self) -> JsonDict:
        """The ``WebhookInfo`` object."""
        out: JsonDict = {
            "url": self.config.url,
            "has_custom_certificate": False,
            "pending_update_count": self.queue.pending_count,
        }
        if self.active:
            out["max_connections"] = self.config.max_connections
            if self.config.allowed_updates is not None:
                out["allowed_updates"] = self.config.allowed_updates
            if self.config.ip_address:
                out["ip_address"] = self.config.ip_address
        if self.last_error_date is not None:
            out["last_error_date"] = self.last_error_date
            out["last_error_message"] = self.last_error_message
        return out

    async def close(self) -> None:
        """Stop delivering and close the HTTP session."""
        await self._stop_workers()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _stop_workers(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []

    async def _work(self, session: aiohttp.ClientSession) -> None:
        while True:
            item = await self.queue.claim()
            try:
                await self._deliver(session, item)
            finally:
                if item.in_flight:
                    self.queue.release(item)

    async def _deliver(self, session: aiohttp.ClientSession, item: PendingUpdate) -> None:
        headers = {}
        if self.config.secret_token:
            headers[SECRET_HEADER] = self.config.secret_token
        delay = self.retry_base
        while True:
            try:
                async with session.post(
                    self.config.url, json=item.payload, headers=headers
                ) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        item.in_flight = False
                        self.stats.webhook_deliveries += 1
                        self.queue.done(item)
                        return
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}: {exc}"
            self.stats.webhook_failures += 1
            self.last_error_date = int(self.clock())
            self.last_error_message = error
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max)
