"""A bot with a lawyers' group, staff and a clock the test moves: for alerting tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Bot, serve
from bot.runtime import Runtime, open_runtime
from bot.standin import BotApiStandIn
from bot.standin.models import PlayChat, PlayUser
from tests.bot.conftest import bot_settings
from tests.databases import ScratchDatabase

ZONE = ZoneInfo("Asia/Almaty")


@dataclass
class FakeClock:
    """A clock that moves only when told to."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 12, 14, 0, tzinfo=ZONE))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Office:
    """The people around a running bot: lawyers in a group, a coordinator, and the bot."""

    standin: BotApiStandIn
    runtime: Runtime
    bot: Bot
    clock: FakeClock
    group: PlayChat
    lawyers: list[PlayUser]
    coordinator: PlayUser
    outsider: PlayUser

    async def tick(self) -> None:
        """Run one pass of the alert loop now."""
        await self.bot.alerts.service.tick()


@asynccontextmanager
async def office(
    standin: BotApiStandIn,
    database: ScratchDatabase,
    keyring_path: Path,
    clock: FakeClock | None = None,
    **overrides: Any,
) -> AsyncIterator[Office]:
    """Start the bot with three lawyers (two of whom started it privately) and a coordinator."""
    lawyers = [standin.new_user(name, language_code="en") for name in ("Lena", "Marat", "Dana")]
    coordinator = standin.new_user("Kira", language_code="en")
    outsider = standin.new_user("Oleg", language_code="en")
    group = standin.new_group("Lawyers", members=[*lawyers, coordinator, outsider])
    clock = clock or FakeClock()
    settings = bot_settings(
        standin,
        database,
        keyring_path,
        lawyers_chat_id=group.id,
        lawyer_ids=",".join(str(u.id) for u in lawyers),
        coordinator_ids=str(coordinator.id),
        lawyers_language="en",
        **overrides,
    )
    async with running(settings, standin, clock) as (runtime, built):
        yield Office(standin, runtime, built, clock, group, lawyers, coordinator, outsider)


@asynccontextmanager
async def running(
    settings: Any, standin: BotApiStandIn, clock: FakeClock
) -> AsyncIterator[tuple[Runtime, Bot]]:
    """Serve a bot on a runtime whose clock is `clock`; yields once polling."""
    runtime = await open_runtime(settings)
    runtime.clock = clock
    stop = asyncio.Event()
    ready: asyncio.Future[Bot] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(runtime, stop, ready.set_result))
    try:
        built = await asyncio.wait_for(asyncio.shield(ready), timeout=10)
        await standin.wait_polling()
        yield runtime, built
    finally:
        stop.set()
        await task
        await runtime.close()
