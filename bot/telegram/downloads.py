"""Stream a file from the Bot API server straight into encrypted storage (no temporary file).

File URLs carry the bot token, so nothing here logs a URL, and the httpx logger stays at
WARNING (bot/logging_setup.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

MAX_DOWNLOAD = 20 * 1024 * 1024  # the cloud Bot API's getFile limit
_PIECE = 64 * 1024


class FileTooBig(Exception):
    """The file is larger than we accept."""


class FileFetcher:
    """One pooled HTTP client for downloads."""

    def __init__(self, timeout: float = 60.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def stream(self, url: str, limit: int = MAX_DOWNLOAD) -> AsyncIterator[bytes]:
        """Yield the file in pieces; FileTooBig past `limit`, httpx errors on failure."""
        received = 0
        async with self._client.stream("GET", url) as response:
            response.raise_for_status()
            async for piece in response.aiter_bytes(_PIECE):
                received += len(piece)
                if received > limit:
                    raise FileTooBig
                yield piece

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
