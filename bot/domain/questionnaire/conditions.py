"""Conditions on earlier answers: when to ask a question, when a case is urgent.

Written in the definition file as small tables:
`{ question = "held_at", any_of = ["police_station"] }`, `not_any_of`, `answered = true`,
`older_than_hours = 3` and `within_hours = 48` (for date-time answers), combined with
`{ all = [...] }` and `{ any = [...] }`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Answers = Mapping[str, Any]


def chosen(value: Any) -> set[str]:
    """The option ids an answer holds (single or multiple choice); empty for other answers."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def moment(value: Any) -> datetime | None:
    """The moment of a date-time answer, if it has one."""
    if isinstance(value, dict) and isinstance(value.get("at"), str):
        try:
            return datetime.fromisoformat(value["at"])
        except ValueError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class Condition:
    """A node of a condition tree."""

    kind: str  # any_of | not_any_of | answered | older_than_hours | within_hours | all | any
    question: str = ""
    options: tuple[str, ...] = ()
    hours: float = 0.0
    flag: bool = True
    children: tuple[Condition, ...] = ()

    def evaluate(self, answers: Answers, now: datetime) -> bool:
        """Whether the condition holds for these answers at this moment."""
        if self.kind == "all":
            return all(c.evaluate(answers, now) for c in self.children)
        if self.kind == "any":
            return any(c.evaluate(answers, now) for c in self.children)
        value = answers.get(self.question)
        if self.kind == "answered":
            return (value is not None) == self.flag
        if value is None:
            return False
        if self.kind == "any_of":
            return bool(chosen(value) & set(self.options))
        if self.kind == "not_any_of":
            return not chosen(value) & set(self.options)
        at = moment(value)
        if at is None:
            return False
        if self.kind == "older_than_hours":
            return now - at >= timedelta(hours=self.hours)
        return at - now <= timedelta(hours=self.hours)  # within_hours; past counts as due

    def questions(self) -> Iterator[str]:
        """Every question id this condition reads."""
        if self.question:
            yield self.question
        for child in self.children:
            yield from child.questions()

    def option_refs(self) -> Iterator[tuple[str, str]]:
        """Every (question, option id) pair this condition names."""
        for option in self.options:
            yield self.question, option
        for child in self.children:
            yield from child.option_refs()


def parse_condition(raw: Any) -> Condition:
    """Build a condition from its table form; ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("a condition must be a table")
    for combinator in ("all", "any"):
        if combinator in raw:
            items = raw[combinator]
            if set(raw) != {combinator} or not isinstance(items, list) or not items:
                raise ValueError(f"'{combinator}' takes a non-empty list and nothing beside it")
            return Condition(combinator, children=tuple(parse_condition(i) for i in items))
    question = raw.get("question")
    if not isinstance(question, str) or not question:
        raise ValueError("a condition needs 'question' (or 'all'/'any')")
    tests = set(raw) - {"question"}
    if len(tests) != 1:
        raise ValueError(
            "a condition needs exactly one of any_of, not_any_of, answered, older_than_hours, "
            "within_hours"
        )
    kind = tests.pop()
    value = raw[kind]
    if kind in ("any_of", "not_any_of"):
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ValueError(f"'{kind}' takes a non-empty list of option ids")
        return Condition(kind, question, options=tuple(value))
    if kind == "answered":
        if not isinstance(value, bool):
            raise ValueError("'answered' takes true or false")
        return Condition(kind, question, flag=value)
    if kind in ("older_than_hours", "within_hours"):
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(f"'{kind}' takes a number of hours")
        return Condition(kind, question, hours=float(value))
    raise ValueError(f"unknown test {kind!r}")
