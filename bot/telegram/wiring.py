"""Attach every handler to the Application: reporters in private chats; groups are ignored."""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.domain.intake_model import Command
from bot.telegram.errors import on_error
from bot.telegram.reporter import ReporterBot

PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE
FILES = filters.PHOTO | filters.Document.ALL


def register(application: Application, reporter: ReporterBot) -> None:  # type: ignore[type-arg]
    """Reporter handlers, in order of precedence, and the error handler."""
    private_new = PRIVATE & NEW_MESSAGE
    commands = [c.value for c in Command]
    application.add_handler(CommandHandler(commands, reporter.on_command, filters=private_new))
    application.add_handler(MessageHandler(private_new & filters.COMMAND, reporter.on_command))
    application.add_handler(MessageHandler(private_new & filters.TEXT, reporter.on_text))
    application.add_handler(MessageHandler(private_new & FILES, reporter.on_file))
    application.add_handler(MessageHandler(private_new, reporter.on_unsupported))
    application.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, reporter.on_edited)
    )
    application.add_handler(CallbackQueryHandler(reporter.on_press))
    application.add_error_handler(on_error)
