"""A reporter's place in the conversation: a small JSON-able value kept (encrypted) in the DB."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Where a reporter is. Stored encrypted, never in process memory between updates."""

    step: str = "welcome"
    language: str | None = None
    case_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def moved_to(self, step: str, **changes: Any) -> ConversationState:
        """A copy at another step."""
        return replace(self, step=step, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "step": self.step,
            "language": self.language,
            "case_id": self.case_id,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ConversationState:
        """The inverse of `to_dict`; tolerant of fields added later."""
        return cls(
            step=str(raw.get("step", "welcome")),
            language=raw.get("language"),
            case_id=raw.get("case_id"),
            data=dict(raw.get("data") or {}),
        )
