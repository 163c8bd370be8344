"""Who is talking to the bot, as the domain sees it (no Telegram types)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TelegramIdentity:
    """A person's Telegram identity. Sensitive: stored only encrypted, found by blind index."""

    user_id: int
    chat_id: int
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TelegramIdentity:
        """The inverse of `to_dict`."""
        return cls(
            user_id=int(data["user_id"]),
            chat_id=int(data["chat_id"]),
            username=data.get("username"),
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            language_code=data.get("language_code"),
        )
