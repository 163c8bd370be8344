"""Assemble the alerting side: its own Bot (and rate limiter), delivery, the loop, handlers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram.ext import Application, ExtBot

from bot.alerts import handlers
from bot.alerts.callbacks import CallbackCodec
from bot.alerts.card import CardRenderer
from bot.alerts.delivery import Delivery
from bot.alerts.service import AlertService
from bot.config import Settings
from bot.domain.alerting import Audience, CardLevel, EscalationPolicy, Round
from bot.domain.people import TelegramIdentity
from bot.i18n import Catalogs
from bot.runtime import Runtime
from bot.staff.handlers import StaffDirectory
from bot.telegram.ratelimit import ChatPacedRateLimiter

log = logging.getLogger(__name__)
# Telegram allows about 30 messages a second per bot: replies get 20, alerts a lane of 8 of
# their own, so a flood of replies never delays an URGENT alert.
ALERTS_OVERALL_RATE = 8
REPLIES_OVERALL_RATE = 20


@dataclass
class AlertStack:
    """The alerting parts of one bot process."""

    bot: ExtBot  # type: ignore[type-arg]
    delivery: Delivery
    service: AlertService
    handlers: handlers.LawyerHandlers


def policy_from(settings: Settings) -> EscalationPolicy:
    """The escalation policy with the configured minutes (audiences follow the product rules)."""
    urgent_audiences = [
        frozenset({Audience.PRIMARY}),
        frozenset({Audience.PRIMARY, Audience.SECONDARY}),
    ]
    later = frozenset({Audience.ALL_ON_CALL, Audience.COORDINATORS})
    urgent = tuple(
        Round(timedelta(minutes=m), urgent_audiences[i] if i < len(urgent_audiences) else later)
        for i, m in enumerate(settings.escalation_urgent_minutes)
    )
    high_audiences = [frozenset(), frozenset({Audience.PRIMARY})]
    high = tuple(
        Round(
            timedelta(minutes=m),
            high_audiences[i] if i < len(high_audiences) else frozenset({Audience.COORDINATORS}),
        )
        for i, m in enumerate(settings.escalation_high_minutes)
    )
    return EscalationPolicy(
        urgent=urgent,
        high=high,
        claim_lapse=timedelta(minutes=settings.claim_lapse_minutes),
        surge_cases=settings.surge_cases,
        surge_window=timedelta(minutes=settings.surge_window_minutes),
        digest_every=timedelta(minutes=settings.digest_every_minutes),
    )


def build_alerts(
    runtime: Runtime,
    application: Application,  # type: ignore[type-arg]
    catalogs: Catalogs,
    directory: StaffDirectory,
) -> AlertStack:
    """Create the alerts bot, delivery, loop and handlers; register the handlers.

    `directory` is the live set of staff (admins, coordinators and lawyers, with /grant and
    /revoke applied): whoever is in it when they write to the bot privately becomes reachable.
    """
    settings = runtime.settings
    token = settings.token or ""
    bot: ExtBot = ExtBot(  # type: ignore[type-arg]
        token,
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_file_base_url,
        rate_limiter=(
            ChatPacedRateLimiter(overall_max_rate=ALERTS_OVERALL_RATE)
            if settings.rate_limits
            else None
        ),
    )
    codec = CallbackCodec(runtime.keys.current().index_key)
    tr = catalogs.translator(settings.lawyers_language)
    level = CardLevel(settings.card_detail)
    policy = policy_from(settings)
    delivery = Delivery(
        store=runtime.store,
        bot=bot,
        questionnaire=runtime.questionnaire,
        catalogs=catalogs,
        codec=codec,
        lawyers_chat_id=settings.lawyers_chat_id,
        language=settings.lawyers_language,
        card_level=level,
        name_lawyer_to_reporter=settings.name_lawyer_to_reporter,
        policy=policy,
    )
    service = AlertService(runtime.store, delivery, runtime.now, policy)
    runtime.store.on_outbox(service.notify)
    lawyer_handlers = handlers.LawyerHandlers(
        store=runtime.store,
        codec=codec,
        cards=CardRenderer(runtime.questionnaire, tr, codec, level),
        tr=tr,
        clock=runtime.now,
        policy=policy,
        notify=service.notify,
        directory=directory,
        lawyers_chat_id=settings.lawyers_chat_id,
    )
    handlers.register(application, lawyer_handlers)
    return AlertStack(bot, delivery, service, lawyer_handlers)


async def bootstrap_staff(runtime: Runtime) -> None:
    """Make sure everyone in ADMIN_IDS, COORDINATOR_IDS and LAWYER_IDS is staff with that role
    (the highest listed wins), and that nobody removed from them keeps access. Roles granted
    with /grant are not touched."""
    settings = runtime.settings
    admins = settings.admin_ids
    coordinators = settings.coordinator_ids - admins
    lawyers = settings.lawyer_ids - admins - coordinators
    async with runtime.store.transaction() as tx:
        for role, ids in (("admin", admins), ("coordinator", coordinators), ("lawyer", lawyers)):
            for user_id in sorted(ids):
                await tx.staff.ensure(TelegramIdentity(user_id, user_id), role, from_settings=True)
        removed = await tx.staff.retain_only(admins | coordinators | lawyers)
        if removed:
            await tx.audit.append("system", "staff.removed", detail=f"{removed} staff")
    if removed:
        log.warning("staff removed from the settings lost access", extra={"count": removed})
    if settings.lawyers_chat_id is None:
        log.warning("LAWYERS_CHAT_ID is not set: cards cannot be posted, only private pages")
