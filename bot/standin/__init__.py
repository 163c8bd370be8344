"""A local stand-in for the Telegram Bot API, for end-to-end tests of the bot.

Real HTTP with real Bot API JSON and errors, flood limits, fault injection,
long polling and webhooks, plus a test-facing API to play users::

    async with BotApiStandIn() as standin:
        app = (ApplicationBuilder().token(standin.token)
               .base_url(standin.api_base_url).base_file_url(standin.file_base_url).build())
        ann = standin.new_user("Ann")
        await standin.send_command(ann, "/start")
        reply = await standin.next_bot_message(ann)

See ``server.py`` (lifecycle), ``players.py``/``observe.py`` (the in-process
test API), ``http_api.py`` (the same over HTTP, with SSE) and ``client.py``.
"""

from bot.standin.client import StandInClient, StandInHttpError
from bot.standin.errors import ApiError
from bot.standin.faults import Fault, FaultHandle, FaultKind, Faults
from bot.standin.files import TINY_PNG
from bot.standin.limits import FloodConfig, FloodLimiter
from bot.standin.models import Event, PlayChat, PlayUser, StoredFile, StoredMessage
from bot.standin.server import DEFAULT_TOKEN, BotApiStandIn
from bot.standin.state import State
from bot.standin.stats import Stats

__all__ = [
    "DEFAULT_TOKEN",
    "TINY_PNG",
    "ApiError",
    "BotApiStandIn",
    "Event",
    "Fault",
    "FaultHandle",
    "FaultKind",
    "Faults",
    "FloodConfig",
    "FloodLimiter",
    "PlayChat",
    "PlayUser",
    "StandInClient",
    "StandInHttpError",
    "State",
    "Stats",
    "StoredFile",
    "StoredMessage",
]
