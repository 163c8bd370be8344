"""Build and serve the python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.domain.intake import IntakePolicy, IntakeService
from bot.i18n import Catalogs
from bot.logging_setup import quiet_url_loggers
from bot.runtime import Runtime, StartupError
from bot.telegram import wiring
from bot.telegram.janitor import schedule_janitor
from bot.telegram.processor import PerChatUpdateProcessor
from bot.telegram.reporter import ReporterBot
from bot.telegram.throttle import RateLimiter
from storage.repositories.attachments import AttachmentWriter

log = logging.getLogger(__name__)

REPORTER_COMMANDS = (
    BotCommand("start", "Begin a report"),
    BotCommand("status", "Status of your report"),
    BotCommand("add", "Add information to your report"),
    BotCommand("language", "Change the language"),
    BotCommand("wipe", "Delete this conversation from your phone"),
    BotCommand("erase", "Erase your data"),
    BotCommand("help", "What this bot can do"),
)


def build_application(runtime: Runtime) -> Application:  # type: ignore[type-arg]
    """The Application, pointed at TELEGRAM_API_URL, paced by AIORateLimiter."""
    quiet_url_loggers()  # whoever set up logging, URLs with the token stay out of it
    token = runtime.settings.token
    if token is None:
        raise StartupError("BOT_TOKEN is not set.")
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(runtime.settings.bot_api_base_url)
        .base_file_url(runtime.settings.bot_file_base_url)
        # Paces requests under Telegram's limits before Telegram enforces them.
        .rate_limiter(AIORateLimiter())
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    settings = runtime.settings
    policy = IntakePolicy(
        max_reports_per_day=settings.max_reports_per_day,
        max_open_reports=settings.max_open_reports,
        wipe_by_default=settings.wipe_chat_by_default,
    )
    reporter = ReporterBot(
        store=runtime.store,
        service=IntakeService(runtime.questionnaire, policy),
        catalogs=Catalogs(),
        writer=AttachmentWriter(runtime.sessions, runtime.store.vault),
        fetcher=runtime.fetcher,
        clock=runtime.now,
        limiter=RateLimiter(settings.max_messages_per_minute),
    )
    wiring.register(application, reporter)
    schedule_janitor(application, runtime)
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
