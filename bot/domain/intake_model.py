"""What the reporter does (events) and what they are shown (screens), free of Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.domain.questionnaire.schema import Question


class Action(StrEnum):
    """Button actions; the value travels in callback data, so it stays one or two letters."""

    BEGIN = "g"
    CHOOSE = "c"
    TOGGLE = "t"
    DONE = "d"
    SKIP = "s"
    UNKNOWN = "u"
    BACK = "b"
    CANCEL = "x"
    CANCEL_YES = "xy"
    CANCEL_NO = "xn"
    EDIT = "e"
    SUBMIT = "S"
    WIPE_YES = "wy"
    WIPE_NO = "wn"
    ERASE_YES = "ey"
    ERASE_NO = "en"
    LANGUAGE = "L"


class Command(StrEnum):
    """Slash commands a reporter may send."""

    START = "start"
    HELP = "help"
    STATUS = "status"
    ADD = "add"
    ERASE = "erase"
    WIPE = "wipe"
    CANCEL = "cancel"
    LANGUAGE = "language"


@dataclass(frozen=True, slots=True)
class CommandEvent:
    """A slash command."""

    command: Command


@dataclass(frozen=True, slots=True)
class TextEvent:
    """A typed message."""

    text: str


@dataclass(frozen=True, slots=True)
class FileEvent:
    """An uploaded photo or document, already stored encrypted as an attachment."""

    attachment_id: str


@dataclass(frozen=True, slots=True)
class UnsupportedEvent:
    """A sticker, voice note, location, contact or anything else we do not take."""

    reason: str = "err_unsupported"


@dataclass(frozen=True, slots=True)
class PressEvent:
    """A button press, decoded from callback data `nonce:action:question:option`."""

    nonce: int
    action: Action
    question: int = -1
    option: int = -1

    def encode(self) -> str:
        """Compact callback data (well under Telegram's 64 bytes)."""
        return f"{self.nonce}:{self.action.value}:{self.question}:{self.option}"

    @classmethod
    def decode(cls, data: str) -> PressEvent | None:
        """Parse callback data; None for anything malformed or forged beyond repair."""
        parts = data.split(":")
        if len(parts) != 4 or len(data) > 64:
            return None
        try:
            return cls(int(parts[0]), Action(parts[1]), int(parts[2]), int(parts[3]))
        except ValueError:
            return None


Event = CommandEvent | TextEvent | FileEvent | UnsupportedEvent | PressEvent


class ScreenKind(StrEnum):
    """What the reporter sees next."""

    WELCOME = "welcome"
    QUESTION = "question"
    REVIEW = "review"
    CONFIRM_CANCEL = "confirm_cancel"
    CANCELLED = "cancelled"
    SUBMITTED = "submitted"
    WIPE_OFFER = "wipe_offer"
    WIPED = "wiped"
    KEPT = "kept"
    STATUS = "status"
    NO_CASE = "no_case"
    ADD_PROMPT = "add_prompt"
    ADD_SAVED = "add_saved"
    CONFIRM_ERASE = "confirm_erase"
    ERASED = "erased"
    NOTHING_TO_ERASE = "nothing_to_erase"
    HELP = "help"
    CHOOSE_LANGUAGE = "choose_language"
    LANGUAGE_SET = "language_set"
    REFUSED = "refused"  # a limit was hit; `notice` says which


@dataclass(frozen=True, slots=True)
class Notice:
    """A short message shown before the screen (an error, "lawyers are being alerted")."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Screen:
    """Everything the transport needs to render one reply."""

    kind: ScreenKind
    nonce: int
    question: Question | None = None
    progress: tuple[int, int] | None = None
    selected: tuple[str, ...] = ()
    files: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    review: tuple[Question, ...] = ()
    skipped: tuple[str, ...] = ()
    case_code: str | None = None
    case_status: str | None = None
    can_go_back: bool = False
    notices: tuple[Notice, ...] = ()
    toast: str | None = None  # a short answer to a button press (callback query)
    wipe_from: int | None = None  # delete the chat's messages from this id (inclusive)
    wipe_to: int | None = None
    language: str | None = None
