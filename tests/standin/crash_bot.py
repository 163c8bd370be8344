"""A minimal PTB bot for the crash test: ``python crash_bot.py BASE_URL TOKEN``.

It echoes text with its pid.
"""

from __future__ import annotations

import os
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(f"{os.getpid()}: {message.text}")


def main() -> None:
    os.environ["PTB_TIMEDELTA"] = "true"
    base, token = sys.argv[1], sys.argv[2]
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=10)


if __name__ == "__main__":
    main()
