"""Fixtures: a stand-in per test, and python-telegram-bot clients pointed at it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, BaseHandler

from bot.standin import BotApiStandIn


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta durations.

    Without it, building a ``RetryAfter`` (or reading any duration) emits a
    PTBDeprecationWarning, which ``filterwarnings = error`` turns into an error
    that replaces the RetryAfter the test expects.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as server:
        yield server


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(**standin.ptb_kwargs()) as client:
        yield client


def build_app(standin: BotApiStandIn, **builder_options: object) -> Application:  # type: ignore[type-arg]
    """A PTB Application wired to the stand-in (extra builder calls by keyword)."""
    builder = (
        ApplicationBuilder()
        .token(standin.token)
        .base_url(standin.api_base_url)
        .base_file_url(standin.file_base_url)
        .concurrent_updates(True)
    )
    for name, value in builder_options.items():
        builder = getattr(builder, name)(value)
    return builder.build()


@contextlib.asynccontextmanager
async def polling_app(
    standin: BotApiStandIn,
    handlers: Sequence[BaseHandler],  # type: ignore[type-arg]
    **builder_options: object,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """A PTB Application polling the stand-in, stopped cleanly afterwards."""
    app = build_app(standin, **builder_options)
    app.add_handlers(handlers)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
