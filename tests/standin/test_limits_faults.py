"""Flood limits, injected faults and refused connections, as PTB sees them."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.standin import BotApiStandIn


async def test_group_flood_gets_retry_after(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    group = standin.new_group("Lawyers", [ann])
    results = await asyncio.gather(
        *(bot.send_message(group.id, f"alert {n}") for n in range(40)), return_exceptions=True
    )
    limited = [r for r in results if isinstance(r, RetryAfter)]
    assert limited, "40 fast messages to one group must hit the flood limit"
    assert all(isinstance(r, RetryAfter) or r.text for r in results)  # type: ignore[union-attr]
    assert standin.stats.too_many_requests == len(limited)
    assert standin.stats.too_many_requests_by_chat[group.id] == len(limited)
    assert standin.stats.delivered[group.id] == 40 - len(limited)
    assert limited[0].retry_after.total_seconds() >= 1  # type: ignore[union-attr]


async def test_flood_limits_can_be_switched_off(bot: Bot, standin: BotApiStandIn) -> None:
    standin.flood_limits = False
    ann = standin.new_user()
    group = standin.new_group("Lawyers", [ann])
    await asyncio.gather(*(bot.send_message(group.id, f"alert {n}") for n in range(40)))
    assert standin.stats.too_many_requests == 0
    assert len(standin.transcript(group)) == 40


async def test_flood_buckets_follow_the_clock() -> None:
    now = [1_000.0]
    async with BotApiStandIn(clock=lambda: now[0]) as standin:
        ann = standin.new_user()
        await standin.send_text(ann, "hi")
        async with Bot(**standin.ptb_kwargs()) as bot:
            for n in range(3):  # the burst
                await bot.send_message(ann.id, f"m{n}")
            with pytest.raises(RetryAfter):
                await bot.send_message(ann.id, "one too many")
            now[0] += 1.0
            await bot.send_message(ann.id, "after a second")


async def test_429_storm_on_one_method_only(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    storm = standin.faults.add(kind="429", method="sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ann.id, "x")
    assert caught.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]
    assert await bot.send_chat_action(ann.id, "typing")
    assert (await bot.get_me()).username
    assert storm.hits == 1
    storm.remove()
    await bot.send_message(ann.id, "after the storm")
    assert standin.stats.too_many_requests == 1


async def test_faults_by_count_and_chat(bot: Bot, standin: BotApiStandIn) -> None:
    ann, bob = standin.new_user("Ann"), standin.new_user("Bob")
    await standin.send_text(ann, "hi")
    await standin.send_text(bob, "hi")
    standin.faults.add(kind="5xx", chat_id=ann.id, count=2)
    standin.faults.add(kind="5xx", method="getMe", status=500, count=1)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ann.id, "x")
    await bot.send_message(bob.id, "unaffected")
    await bot.send_message(ann.id, "recovered")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.get_me()
    assert standin.stats.server_errors == 3
    assert standin.faults.active() == []


async def test_fault_window_uses_the_clock() -> None:
    now = [0.0]
    standin = BotApiStandIn(clock=lambda: now[0])
    async with standin, Bot(**standin.ptb_kwargs()) as bot:
        standin.faults.add(kind="5xx", method="getMe", duration=10)
        with pytest.raises(NetworkError):
            await bot.get_me()
        now[0] = 9
        with pytest.raises(NetworkError):
            await bot.get_me()
        now[0] = 11
        assert (await bot.get_me()).is_bot


async def test_drop_and_delay(standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(**standin.ptb_kwargs(), request=request) as bot:
        standin.faults.add(kind="drop", method="sendMessage", count=1)
        with pytest.raises(NetworkError):
            await bot.send_message(ann.id, "lost")
        assert standin.stats.dropped_connections == 1
        standin.faults.add(kind="delay", method="sendMessage", delay=1.0, count=1)
        with pytest.raises(TimedOut):
            await bot.send_message(ann.id, "slow")
        await bot.send_message(ann.id, "fine")


async def test_refused_connections_then_accepted(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    port = standin.port
    await standin.refuse_connections()
    assert not standin.accepting
    with pytest.raises(NetworkError):
        await bot.send_message(ann.id, "while down")
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await standin.accept_connections()
    assert standin.port == port
    await bot.send_message(ann.id, "back")

    await standin.refuse_connections(duration=0.1)
    with pytest.raises(NetworkError):
        await bot.get_me()
    await standin.wait_accepting()
    sent = await bot.send_message(ann.id, "up again")
    assert sent.text == "up again"
    assert [m.text for m in standin.transcript(ann)] == ["hi", "back", "up again"]


async def test_bad_request_is_not_counted_as_server_error(bot: Bot, standin: BotApiStandIn) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(1, "nobody")
    assert standin.stats.server_errors == 0
    assert standin.stats.calls["sendMessage"] == 1
