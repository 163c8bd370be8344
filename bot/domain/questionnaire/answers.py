"""Turn what a reporter typed into a stored answer, by question type.

Stored answer shapes (JSON, encrypted at rest):
- single choice, yes/no/unknown: the option id, e.g. `"police_station"`
- multiple choice: a list of option ids
- text: the cleaned text; phone: E.164 `"+77011234567"`
- date: `{"date": "1990-04-12", "approximate": false}`
- date-time: `{"at": "<ISO 8601 with offset>", "approximate": bool, "has_time": bool}`
- file: a list of attachment ids
- "Don't know" on any question that allows it: `{"unknown": true}`
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.questionnaire.parsing import (
    ParseError,
    clean_text,
    parse_date,
    parse_datetime,
    parse_phone,
)
from bot.domain.questionnaire.schema import Question, QuestionType

UNKNOWN: dict[str, Any] = {"unknown": True}
EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why typed text is not an answer: a UI error key and values for its placeholders."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()


_ERROR_KEYS = {
    "date.invalid": "err_date_invalid",
    "date.future": "err_date_future",
    "date.too_old": "err_date_too_old",
    "phone.invalid": "err_phone_invalid",
    "phone.too_short": "err_phone_too_short",
    "text.too_long": "err_text_too_long",
    "text.too_short": "err_text_too_short",
    "text.empty": "err_text_empty",
}


def _rejected(error: ParseError, question: Question) -> Rejected:
    key = _ERROR_KEYS.get(error.code, "err_text_empty")
    if question.type is QuestionType.DATETIME and key == "err_date_invalid":
        key = "err_datetime_invalid"
    return Rejected(key, (("max", question.max_length),))


def is_unknown(value: Any) -> bool:
    """Whether an answer is "Don't know"."""
    return isinstance(value, dict) and value.get("unknown") is True


def parse_typed(question: Question, text: str, now: datetime) -> Any | Rejected:
    """The stored form of a typed answer, or why it was refused."""
    if question.type in (
        QuestionType.SINGLE_CHOICE,
        QuestionType.MULTI_CHOICE,
        QuestionType.YES_NO_UNKNOWN,
    ):
        return Rejected("err_use_buttons")
    if question.type is QuestionType.FILE:
        return Rejected("err_file_expected")
    if question.type is QuestionType.TEXT:
        result = clean_text(text, min_length=question.min_length, max_length=question.max_length)
        return _rejected(result, question) if isinstance(result, ParseError) else result
    if question.type is QuestionType.PHONE:
        phone = parse_phone(text)
        return _rejected(phone, question) if isinstance(phone, ParseError) else phone
    if question.type is QuestionType.DATE:
        parsed = parse_date(
            text, today=now.date(), earliest=EARLIEST_BIRTH, allow_future=not question.past_only
        )
        if isinstance(parsed, ParseError):
            return _rejected(parsed, question)
        return parsed.to_json()
    moment = parse_datetime(text, now=now, allow_future_days=question.allow_future_days)
    if isinstance(moment, ParseError):
        return _rejected(moment, question)
    return moment.to_json()


def choice_valid(question: Question, option_id: str) -> bool:
    """Whether an option id belongs to the question."""
    return question.option(option_id) is not None


def toggle(question: Question, selected: list[str], option_id: str) -> list[str]:
    """The selection after pressing an option of a multiple-choice question."""
    option = question.option(option_id)
    if option is None:
        return selected
    if option_id in selected:
        return [s for s in selected if s != option_id]
    if option.exclusive:
        return [option_id]
    exclusive = {o.id for o in question.options if o.exclusive}
    kept = [s for s in selected if s not in exclusive]
    order = [o.id for o in question.options]
    return sorted([*kept, option_id], key=order.index)
