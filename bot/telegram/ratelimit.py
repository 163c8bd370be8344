"""python-telegram-bot's AIORateLimiter, plus pacing of sends to each chat.

AIORateLimiter paces the overall rate and each group (20 a minute) but not single chats, where
Telegram allows about one message a second with short bursts (groups included). Sends to one
chat are paced here with the same aiolimiter, so a burst of replies, cards or pages never draws
a 429.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

SEND_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage", "sendMediaGroup"}
)
PRIVATE_BURST = 3  # messages at once
# Seconds for a full burst to refill: a little under Telegram's one a second, because requests
# that leave here evenly spaced can arrive bunched (a 429 in the 1,000-reporter surge benchmark
# at exactly one a second).
PRIVATE_PERIOD = 3.6
GROUP_PER_MINUTE = 18  # Telegram's 20, with the same margin
MAX_TRACKED = 4096


class ChatPacedRateLimiter(AIORateLimiter):
    """AIORateLimiter that also paces sends to each chat."""

    def __init__(
        self,
        *,
        overall_max_rate: float,
        group_max_rate: float = GROUP_PER_MINUTE,
        max_retries: int = 0,
    ) -> None:
        # Alerts keep max_retries=0: their retries belong to the outbox, which survives
        # restarts. Replies retry a 429 after its retry_after: a lost reply strands a reporter.
        super().__init__(
            overall_max_rate=overall_max_rate,
            overall_time_period=1,
            group_max_rate=group_max_rate,
            group_time_period=60,
            max_retries=max_retries,
        )
        self._private: dict[int | str, AsyncLimiter] = {}

    def _limiter(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._private.get(chat_id)
        if limiter is None:
            if len(self._private) > MAX_TRACKED:
                for key, old in list(self._private.items()):
                    if old.has_capacity(PRIVATE_BURST):
                        del self._private[key]
            limiter = self._private[chat_id] = AsyncLimiter(PRIVATE_BURST, PRIVATE_PERIOD)
        return limiter

    async def process_request(  # noqa: PLR0917 (the signature is python-telegram-bot's)
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the chat's pace (sends only), then AIORateLimiter's.

        Telegram's overall limit (about 30 a second) counts messages sent. An edit or a removed
        keyboard in a private chat sends none, so it does not queue behind the overall pace
        (in a surge that queue held reporters' next questions for half a minute); in groups
        everything counts. `data` is what AIORateLimiter looks at, not what is sent.
        """
        chat_id = data.get("chat_id")
        if endpoint in SEND_METHODS and isinstance(chat_id, int | str):
            async with self._limiter(chat_id):
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        if isinstance(chat_id, int) and chat_id > 0:
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
