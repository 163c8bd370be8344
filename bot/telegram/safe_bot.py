"""An ExtBot whose polling survives updates the library cannot parse.

python-telegram-bot parses a getUpdates batch as a whole: one update it cannot read (a newer
Bot API field, an older self-hosted server, a hostile stand-in) raises, its Updater logs the
raw batch (other reporters' messages) and fetches the same batch again, forever. Here each
update is checked on its own; one that does not parse is replaced by a bare update with the
same id, logged by id and error type only, so polling moves past it and nothing leaks.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class SafeExtBot(ExtBot):  # type: ignore[type-arg]
    """ExtBot with per-update parsing of getUpdates results."""

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint != "getUpdates" or not isinstance(result, list):
            return result
        return [self._readable(raw) for raw in result]

    def _readable(self, raw: Any) -> Any:
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            log.warning("unreadable update skipped", extra={"update_id": None})
            return {"update_id": 0}
        try:
            Update.de_json(raw, self)
        except Exception as exc:  # any parsing failure: skip this update, keep the rest
            log.warning(
                "unreadable update skipped",
                extra={"update_id": raw["update_id"], "error_type": type(exc).__name__},
            )
            return {"update_id": raw["update_id"]}
        return raw
