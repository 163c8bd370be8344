"""Build and serve the python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.alerts.setup import REPLIES_OVERALL_RATE, AlertStack, bootstrap_staff, build_alerts
from bot.domain.intake import IntakePolicy, IntakeService
from bot.i18n import Catalogs
from bot.logging_setup import quiet_url_loggers
from bot.runtime import Runtime, StartupError
from bot.staff import handlers as staff
from bot.staff.handlers import StaffConfig, StaffDirectory, StaffHandlers, apply_menus
from bot.staff.views import Views
from bot.telegram import wiring
from bot.telegram.janitor import schedule_janitor
from bot.telegram.processor import PerChatUpdateProcessor
from bot.telegram.ratelimit import ChatPacedRateLimiter
from bot.telegram.reporter import ReporterBot
from bot.telegram.safe_bot import SafeExtBot
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


# Connections for replies. httpcore's pool scans every connection (some checks twice over)
# each time a request starts or ends: with 256 open under 200 reporters at once that scan was
# over a third of the bot's CPU (PostgreSQL benchmark, py-spy). 32 carry far more than
# Telegram's ~30 messages a second. A reply waits for a free connection rather than fail.
REPLY_CONNECTIONS = 32
REPLY_POOL_TIMEOUT = 60.0


@dataclass
class Bot:
    """The Application (reporters, staff commands) and the alerting stack beside it."""

    application: Application  # type: ignore[type-arg]
    alerts: AlertStack
    directory: StaffDirectory


def build_application(runtime: Runtime) -> Bot:
    """The Application pointed at TELEGRAM_API_URL and paced under Telegram's limits."""
    quiet_url_loggers()  # whoever set up logging, URLs with the token stay out of it
    settings = runtime.settings
    token = settings.token
    if token is None:
        raise StartupError("BOT_TOKEN is not set.")
    # Pace replies under Telegram's limits before Telegram enforces them; alerts have a lane of
    # their own (bot/alerts/setup.py).
    limiter = ChatPacedRateLimiter(overall_max_rate=REPLIES_OVERALL_RATE, max_retries=3)
    bot = SafeExtBot(
        token,
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_file_base_url,
        request=HTTPXRequest(
            connection_pool_size=REPLY_CONNECTIONS, pool_timeout=REPLY_POOL_TIMEOUT
        ),
        get_updates_request=HTTPXRequest(),
        rate_limiter=limiter if settings.rate_limits else None,
    )
    application: Application = (  # type: ignore[type-arg]
        ApplicationBuilder().bot(bot).concurrent_updates(PerChatUpdateProcessor()).build()
    )
    catalogs = Catalogs()
    policy = IntakePolicy(
        max_reports_per_day=settings.max_reports_per_day,
        max_open_reports=settings.max_open_reports,
        wipe_by_default=settings.wipe_chat_by_default,
    )
    reporter = ReporterBot(
        store=runtime.store,
        service=IntakeService(runtime.questionnaire, policy),
        catalogs=catalogs,
        writer=AttachmentWriter(runtime.sessions, runtime.store.vault),
        fetcher=runtime.fetcher,
        clock=runtime.now,
        limiter=RateLimiter(settings.max_messages_per_minute),
    )
    directory = StaffDirectory(
        set(settings.lawyer_ids | settings.coordinator_ids | settings.admin_ids)
    )
    alerts = build_alerts(runtime, application, catalogs, directory)
    staff.register(
        application,
        StaffHandlers(
            store=runtime.store,
            catalogs=catalogs,
            views=Views(runtime.questionnaire, runtime.now),
            clock=runtime.now,
            policy=alerts.service.policy,
            directory=directory,
            notify=alerts.service.notify,
            config=StaffConfig.from_settings(settings),
        ),
    )
    wiring.register(application, reporter)
    schedule_janitor(application, runtime)
    return Bot(application, alerts, directory)


async def _initialize(built: Bot) -> None:
    try:
        await built.application.initialize()
        await built.alerts.bot.initialize()
    except InvalidToken:
        raise StartupError(
            "BOT_TOKEN: Telegram rejected the token; check it with @BotFather."
        ) from None
    except NetworkError as exc:
        raise StartupError(
            f"TELEGRAM_API_URL: cannot reach the Bot API server ({type(exc).__name__})."
        ) from None


async def serve(
    runtime: Runtime,
    stop: asyncio.Event | None = None,
    started: Callable[[Bot], None] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set), then shut down cleanly.

    `started` receives the running parts (tests use it to drive the alert loop's clock).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    built = build_application(runtime)
    application = built.application
    await _initialize(built)
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    alerts_stop = asyncio.Event()
    alert_loop: asyncio.Task[None] | None = None
    try:
        await bootstrap_staff(runtime)
        await built.directory.load(runtime.store)
        await apply_menus(application.bot, runtime.store, runtime.settings.lawyers_language)
        try:
            await application.bot.set_my_commands(REPORTER_COMMANDS)
        except TelegramError as exc:  # a menu is a convenience; never a reason not to run
            log.warning("could not register commands", extra={"error_type": type(exc).__name__})
        alert_loop = asyncio.create_task(built.alerts.service.run(alerts_stop))
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("bot running", extra={"bot_username": application.bot.username})
        if started is not None:
            started(built)
        await stop.wait()
        log.info("stopping")
        await application.updater.stop()
        await application.stop()
    finally:
        alerts_stop.set()
        if alert_loop is not None:
            await alert_loop
        await application.shutdown()
        await built.alerts.bot.shutdown()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
