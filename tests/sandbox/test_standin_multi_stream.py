"""The stand-in's event stream for several chats on one connection (the sandbox page's only
stream: browsers allow six connections to a host, and a page shows four chats or more)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.standin import BotApiStandIn


async def _events(response: aiohttp.ClientResponse, n: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async for raw in response.content:
        line = raw.decode().strip()
        if line.startswith("data:"):
            found.append(json.loads(line[5:]))
            if len(found) == n:
                break
    return found


async def test_one_stream_follows_several_chats_in_log_order() -> None:
    async with BotApiStandIn(flood_limits=False) as standin, aiohttp.ClientSession() as http:
        ann, bob, eve = (standin.new_user(name) for name in ("Ann", "Bob", "Eve"))
        url = f"{standin.base_url}/_standin/events/stream"
        query = [("chat_id", str(ann.id)), ("chat_id", str(bob.id))]
        async with http.get(url, params=query) as response:
            assert response.status == 200
            assert response.content_type == "text/event-stream"
            await standin.send_text(ann, "one")
            await standin.send_text(eve, "not for this stream")
            await standin.send_text(bob, "two")
            await standin.send_text(ann, "three")
            events = await asyncio.wait_for(_events(response, 3), timeout=5)
        assert [(e["chat_id"], e["data"]["message"]["text"]) for e in events] == [
            (ann.id, "one"),
            (bob.id, "two"),
            (ann.id, "three"),
        ]
        # Resuming after an event replays only what came later.
        resume = {"Last-Event-ID": str(events[0]["seq"])}
        async with http.get(url, params=query, headers=resume) as response:
            replayed = await asyncio.wait_for(_events(response, 2), timeout=5)
        assert [e["seq"] for e in replayed] == [e["seq"] for e in events[1:]]

        async with http.get(url) as response:
            assert response.status == 400
        async with http.get(url, params={"chat_id": "42"}) as response:
            assert response.status == 404
