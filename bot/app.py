"""Build and serve the python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.runtime import Runtime, StartupError
from bot.telegram import handlers
from bot.telegram.processor import PerChatUpdateProcessor

log = logging.getLogger(__name__)

REPORTER_COMMANDS = (
    BotCommand("start", "Begin a report"),
    BotCommand("help", "What this bot does"),
)


def build_application(runtime: Runtime) -> Application:  # type: ignore[type-arg]
    """The Application, pointed at TELEGRAM_API_URL, paced by AIORateLimiter."""
    settings = runtime.settings
    token = settings.token
    if token is None:
        raise StartupError("BOT_TOKEN is not set.")
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_file_base_url)
        # Paces requests under Telegram's limits before Telegram enforces them.
        .rate_limiter(AIORateLimiter())
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    handlers.register(application, runtime.store)
    return application


async def serve(runtime: Runtime, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set), then shut down cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    application = build_application(runtime)
    try:
        await application.initialize()
    except InvalidToken:
        raise StartupError(
            "BOT_TOKEN: Telegram rejected the token; check it with @BotFather."
        ) from None
    except NetworkError as exc:
        raise StartupError(
            f"TELEGRAM_API_URL: cannot reach the Bot API server ({type(exc).__name__})."
        ) from None
    try:
        try:
            await application.bot.set_my_commands(REPORTER_COMMANDS)
        except TelegramError as exc:  # a menu is a convenience; never a reason not to run
            log.warning("could not register commands", extra={"error_type": type(exc).__name__})
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("bot running", extra={"bot_username": application.bot.username})
        await stop.wait()
        log.info("stopping")
        await application.updater.stop()
        await application.stop()
    finally:
        await application.shutdown()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
