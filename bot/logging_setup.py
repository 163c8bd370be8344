"""Structured, content-free logging.

Every line is one JSON object: time, level, logger, event and the `extra` fields a call passes.
Rules this module enforces rather than trusts:

* httpx and httpcore stay at WARNING: they log each request URL at INFO, and Bot API URLs carry
  the bot token (`/bot<token>/sendMessage`).
* The bot token is replaced by `<token>` in anything formatted, as a second line of defence.
* Tracebacks are reduced to exception type and the innermost frame's file and line: exception
  messages can quote user input, and a seized log must not.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

# Attributes every LogRecord has; anything else came from `extra=` and is emitted as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}

# Loggers that would put URLs (with the token) or payloads into the log below WARNING.
QUIET_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "hpack", "asyncio", "alembic")
# python-telegram-bot logs whole updates and request parameters (message text) at DEBUG.
INFO_ONLY_LOGGERS = ("telegram", "apscheduler")


OUR_LOGGERS = ("bot", "storage", "intake-bot", "tests")


def _ours(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in OUR_LOGGERS)


def describe_exception(exc: BaseException) -> dict[str, str]:
    """Exception type and innermost project frame, never the message (it may quote input)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if "/site-packages/" not in frame.filename:
            where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
            break
    if not where and frames:
        where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}"
    return {"error_type": type(exc).__name__, "where": where}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; no exception text, token redacted."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            # Libraries fill their messages with whatever they hold (python-telegram-bot logs a
            # whole unparsable batch of updates): from them, keep the template, not the values.
            "event": record.getMessage() if _ours(record.name) else str(record.msg),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info and record.exc_info[1] is not None:
            entry.update(describe_exception(record.exc_info[1]))
        line = json.dumps(entry, ensure_ascii=False, default=str)
        for secret in self._secrets:
            line = line.replace(secret, "<token>")
        return line


def configure_logging(
    level: int = logging.INFO, *, secrets: tuple[str, ...] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Install the JSON handler on the root logger and quieten URL-logging libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_url_loggers()
    return handler


def quiet_url_loggers() -> None:
    """Keep libraries that log request URLs (with the bot token) or payloads at WARNING."""
    root = logging.getLogger().getEffectiveLevel()
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level, root))
    for name in INFO_ONLY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.level, root))
