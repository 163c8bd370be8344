"""The Application's error handler: log that something failed, never what was in it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.logging_setup import describe_exception

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error type and code location with the update id; not the update or message."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    details = describe_exception(error) if error is not None else {}
    log.error("update failed", extra={"update_id": update_id, **details})
