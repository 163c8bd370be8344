"""Telegram transport for reporters: parse the update, call the domain, render the reply."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.domain.conversation import ConversationState
from bot.domain.people import TelegramIdentity
from bot.domain.ports import Store
from bot.logging_setup import describe_exception

log = logging.getLogger(__name__)

GREETING = (
    "Hello. This bot passes reports about detained people to a team of lawyers.\n\n"
    "Everything you write here is stored encrypted. Send /help to see what you can do."
)
HELP = "/start: begin a report\n/help: this message"
UNKNOWN_COMMAND = "I don't know that command. Send /start to begin or /help for the list."
NOT_UNDERSTOOD = "Please send /start to begin a report."


def identity_of(update: Update) -> TelegramIdentity | None:
    """The sender's identity, for a private chat only (the bot serves reporters privately)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return None
    return TelegramIdentity(
        user_id=user.id,
        chat_id=chat.id,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        language_code=user.language_code,
    )


class ReporterHandlers:
    """Handlers for a reporter's private chat with the bot."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def start(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet the reporter and put them at the start of the conversation."""
        identity = identity_of(update)
        if identity is None or update.effective_message is None:
            return
        async with self._store.transaction() as tx:
            if await tx.claim_update(update.update_id):
                reporter_id = await tx.reporter_id(identity)
                state = await tx.load_conversation(reporter_id) or ConversationState()
                await tx.save_conversation(
                    reporter_id, state.moved_to("welcome", language=identity.language_code)
                )
        # Replied after the commit: an acknowledged step is always a stored step.
        await update.effective_message.reply_text(GREETING)

    async def help(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """List what a reporter can do."""
        if identity_of(update) is not None and update.effective_message is not None:
            await update.effective_message.reply_text(HELP)

    async def unknown_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer an unknown command politely."""
        if identity_of(update) is not None and update.effective_message is not None:
            await update.effective_message.reply_text(UNKNOWN_COMMAND)

    async def other_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything else in a private chat: point to /start."""
        if identity_of(update) is not None and update.effective_message is not None:
            await update.effective_message.reply_text(NOT_UNDERSTOOD)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log that something failed, without the update or the exception text (they hold input)."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    details = describe_exception(error) if error is not None else {}
    log.error("update failed", extra={"update_id": update_id, **details})


def register(application: Application, store: Store) -> None:  # type: ignore[type-arg]
    """Attach the reporter handlers and the error handler."""
    handlers = ReporterHandlers(store)
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", handlers.start, filters=private))
    application.add_handler(CommandHandler("help", handlers.help, filters=private))
    application.add_handler(MessageHandler(filters.COMMAND & private, handlers.unknown_command))
    application.add_handler(MessageHandler(private & ~filters.COMMAND, handlers.other_message))
    application.add_error_handler(on_error)
