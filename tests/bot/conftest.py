"""A real bot (the production Application) running against the local Bot API stand-in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import serve
from bot.config import Settings, load_settings
from bot.logging_setup import JsonFormatter
from bot.runtime import Runtime, open_runtime
from bot.standin import BotApiStandIn
from tests.databases import ScratchDatabase


@dataclass
class RunningBot:
    """A bot process's runtime and the stand-in it talks to."""

    runtime: Runtime
    standin: BotApiStandIn
    log_lines: list[str]


class _Capture(logging.Handler):
    def __init__(self, formatter: logging.Formatter, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    """A Bot API stand-in with flood limits off (tests that need them switch them on)."""
    async with BotApiStandIn(flood_limits=False) as server:
        yield server


def bot_settings(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path, **overrides: Any
) -> Settings:
    """Settings for a bot talking to the stand-in, with nothing read from the environment."""
    values: dict[str, Any] = {
        "bot_token": standin.token,
        "telegram_api_url": standin.base_url,
        "database_url": database.url,
        "keyring_path": keyring_path,
        "timezone": "Asia/Almaty",
        "log_level": "DEBUG",
        # Test drivers answer far faster than people; the limit has a test of its own.
        "max_messages_per_minute": 10_000,
        # The stand-in's flood limits are off by default too; tests of pacing switch both on.
        "rate_limits": False,
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


async def start_bot(
    settings: Settings, standin: BotApiStandIn
) -> tuple[Runtime, asyncio.Event, asyncio.Task[None]]:
    """Open the runtime and serve it in a task until the returned event is set."""
    runtime = await open_runtime(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(runtime, stop))
    await standin.wait_polling()
    return runtime, stop, task


async def stop_bot(runtime: Runtime, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Stop serving and release the runtime."""
    stop.set()
    await task
    await runtime.close()


@pytest.fixture
async def running_bot(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> AsyncIterator[RunningBot]:
    """The production bot, polling the stand-in, with its log lines captured as JSON."""
    lines: list[str] = []
    settings = bot_settings(standin, database, keyring_path)
    handler = _Capture(JsonFormatter((standin.token,)), lines)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    runtime, stop, task = await start_bot(settings, standin)
    try:
        yield RunningBot(runtime, standin, lines)
    finally:
        await stop_bot(runtime, stop, task)
        root.removeHandler(handler)
        root.setLevel(previous)
