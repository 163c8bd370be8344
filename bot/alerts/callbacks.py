"""Card button data: compact, opaque, and authenticated so forged presses change nothing.

Layout: `K` + action letter + the case code's 12 symbols + a 10-character HMAC tag
(base32 of HMAC-SHA256 over action and code, truncated), 24 bytes in all, well under
Telegram's 64. The key is derived from the keyring's index key, so nobody without the server's
keys can mint a valid press for another case or action.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from bot.domain.alerting import ClaimAction
from bot.domain.cases import normalise_case_code

PREFIX = "K"
TAG_LENGTH = 10


class CallbackCodec:
    """Encode and verify card button data."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"intake-bot/card-callback/v1" + key).digest()

    def _tag(self, action: str, symbols: str) -> str:
        digest = hmac.new(self._key, f"{action}:{symbols}".encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode()[:TAG_LENGTH]

    def encode(self, action: ClaimAction, code: str) -> str:
        """Button data for an action on a case."""
        symbols = code.replace("-", "")
        return f"{PREFIX}{action.value}{symbols}{self._tag(action.value, symbols)}"

    def decode(self, data: str) -> tuple[ClaimAction, str] | None:
        """(action, case code) for genuine data; None for anything forged or malformed."""
        if not data.startswith(PREFIX) or len(data) != 2 + 12 + TAG_LENGTH:
            return None
        action_letter, symbols, tag = data[1], data[2:14], data[14:]
        try:
            action = ClaimAction(action_letter)
        except ValueError:
            return None
        if not hmac.compare_digest(tag, self._tag(action_letter, symbols)):
            return None
        code = normalise_case_code(symbols)
        return None if code is None else (action, code)

    @staticmethod
    def prefix() -> str:
        """What every card button's data starts with (reporter buttons start with a digit)."""
        return PREFIX
