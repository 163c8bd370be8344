"""Entity helpers: UTF-16 offsets, parse errors, entities of users' text."""

from __future__ import annotations

import re
from typing import Any

from bot.standin.errors import ApiError, bad_request

JsonDict = dict[str, Any]

_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@])")


def u16len(text: str) -> int:
    """Length in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_error(detail: str) -> ApiError:
    """The 400 answer Telegram gives for malformed markup."""
    return bad_request(f"can't parse entities: {detail}")


def incoming_entities(text: str) -> list[JsonDict]:
    """Entities Telegram adds to a user's plain text: bot commands and mentions."""
    found: list[JsonDict] = []
    for pattern, kind in ((_COMMAND, "bot_command"), (_MENTION, "mention")):
        for match in pattern.finditer(text):
            offset = u16len(text[: match.start()])
            found.append({"type": kind, "offset": offset, "length": u16len(match.group())})
    return sorted(found, key=lambda e: e["offset"])
