"""Load and check a questionnaire definition file; a broken file fails with one clear sentence."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.domain.questionnaire.conditions import Condition, parse_condition

DEFAULT_PATH = Path(__file__).with_name("detention.toml")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Callback data is 64 bytes at most; ids travel in it, so they stay short.
_MAX_OPTION_ID = 24


class QuestionnaireError(Exception):
    """The definition file is broken; the message names the file, the question and the fault."""


class QuestionType(StrEnum):
    """How a question is asked and how its answer is parsed."""

    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO_UNKNOWN = "yes_no_unknown"
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    PHONE = "phone"
    FILE = "file"


CHOICE_TYPES = frozenset(
    {QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE, QuestionType.YES_NO_UNKNOWN}
)
YES_NO_UNKNOWN_OPTIONS = (("yes", "Yes"), ("no", "No"), ("unknown", "Don't know"))
KNOWN_ROLES = frozenset(
    {
        "reporter_role", "person_name", "person_dob", "detained_at", "city", "held_at",
        "held_at_details", "agency", "citizenship", "removal_talk", "lawyer_status",
        "urgent_flags", "grounds", "court_hearing", "removal_time", "removal_details",
        "contact_phone",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a choice question."""

    id: str
    label: str
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class Question:
    """One question, as the definition file describes it."""

    id: str
    tier: int
    type: QuestionType
    text: str
    hint: str | None
    required: bool
    allow_unknown: bool
    options: tuple[Option, ...]
    ask_if: Condition | None
    role: str | None
    min_length: int
    max_length: int
    past_only: bool
    allow_future_days: int
    max_files: int

    def option(self, option_id: str) -> Option | None:
        """The option with this id, if the question has it."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class UrgencyRules:
    """Conditions that make a case URGENT, else HIGH, else NORMAL."""

    urgent: tuple[Condition, ...]
    high: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Definition:
    """A whole, checked questionnaire definition."""

    version: str
    questions: tuple[Question, ...]
    urgency: UrgencyRules


def _fail(where: str, problem: str) -> QuestionnaireError:
    return QuestionnaireError(f"questionnaire {where}: {problem}")


def _options(raw: dict[str, Any], qtype: QuestionType, where: str) -> tuple[Option, ...]:
    if qtype is QuestionType.YES_NO_UNKNOWN:
        return tuple(Option(i, label) for i, label in YES_NO_UNKNOWN_OPTIONS)
    items = raw.get("options")
    if qtype not in CHOICE_TYPES:
        if items:
            raise _fail(where, f"a {qtype} question takes no options")
        return ()
    if not isinstance(items, list) or len(items) < 2:
        raise _fail(where, "a choice question needs at least two options")
    options: list[Option] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("label"), str):
            raise _fail(where, "every option needs an id and a label")
        option_id = str(item.get("id", ""))
        if not _ID.match(option_id) or len(option_id) > _MAX_OPTION_ID:
            raise _fail(where, f"option id {option_id!r} must be short lower-case letters/digits/_")
        if any(o.id == option_id for o in options):
            raise _fail(where, f"option {option_id!r} appears twice")
        options.append(Option(option_id, item["label"].strip(), bool(item.get("exclusive"))))
    return tuple(options)


def _question(raw: Any, index: int) -> Question:
    if not isinstance(raw, dict):
        raise _fail(f"question #{index + 1}", "is not a table")
    qid = str(raw.get("id", ""))
    where = f"question {qid!r}" if qid else f"question #{index + 1}"
    if not _ID.match(qid):
        raise _fail(where, "needs an id of lower-case letters, digits and _ (at most 40)")
    try:
        qtype = QuestionType(str(raw.get("type")))
    except ValueError:
        kinds = ", ".join(t.value for t in QuestionType)
        raise _fail(where, f"type {raw.get('type')!r} is not one of {kinds}") from None
    tier = raw.get("tier")
    if tier not in (0, 1, 2):
        raise _fail(where, "tier must be 0, 1 or 2")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _fail(where, "needs a text")
    role = raw.get("role")
    if role is not None and role not in KNOWN_ROLES:
        raise _fail(where, f"role {role!r} is unknown")
    unknown_keys = set(raw) - {
        "id", "tier", "type", "text", "hint", "required", "allow_unknown", "options", "ask_if",
        "role", "min_length", "max_length", "past_only", "allow_future_days", "max_files",
    }  # fmt: skip
    if unknown_keys:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown_keys))}")
    max_length = int(raw.get("max_length", 500))
    min_length = int(raw.get("min_length", 1))
    if not 1 <= min_length <= max_length <= 4000:
        raise _fail(where, "lengths must satisfy 1 <= min_length <= max_length <= 4000")
    try:
        ask_if = parse_condition(raw["ask_if"]) if "ask_if" in raw else None
    except ValueError as exc:
        raise _fail(where, f"ask_if: {exc}") from None
    return Question(
        id=qid,
        tier=int(tier),
        type=qtype,
        text=text.strip(),
        hint=str(raw["hint"]).strip() if raw.get("hint") else None,
        required=bool(raw.get("required", True)),
        allow_unknown=bool(raw.get("allow_unknown", False)),
        options=_options(raw, qtype, where),
        ask_if=ask_if,
        role=role,
        min_length=min_length,
        max_length=max_length,
        past_only=bool(raw.get("past_only", False)),
        allow_future_days=int(raw.get("allow_future_days", 0)),
        max_files=int(raw.get("max_files", 10)),
    )


def _check_references(questions: tuple[Question, ...], urgency: UrgencyRules) -> None:
    seen: dict[str, Question] = {}
    roles: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise _fail(f"question {question.id!r}", "appears twice")
        if question.role is not None:
            if question.role in roles:
                raise _fail(f"question {question.id!r}", f"role {question.role!r} is taken")
            roles.add(question.role)
        if question.ask_if is not None:
            for ref in question.ask_if.questions():
                if ref not in seen:
                    raise _fail(
                        f"question {question.id!r}",
                        f"ask_if refers to {ref!r}, which is not an earlier question",
                    )
                _check_option_refs(question.ask_if, seen, f"question {question.id!r}")
        seen[question.id] = question
    for level, rules in (("urgent", urgency.urgent), ("high", urgency.high)):
        for rule in rules:
            for ref in rule.questions():
                if ref not in seen:
                    raise _fail(f"urgency.{level}", f"refers to unknown question {ref!r}")
            _check_option_refs(rule, seen, f"urgency.{level}")


def _check_option_refs(condition: Condition, questions: dict[str, Question], where: str) -> None:
    for ref, option_id in condition.option_refs():
        question = questions[ref]
        if question.options and question.option(option_id) is None:
            raise _fail(where, f"question {ref!r} has no option {option_id!r}")


def _rules(raw: Any, level: str) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(f"urgency.{level}", "must be a list of conditions")
    try:
        return tuple(parse_condition(item) for item in raw)
    except ValueError as exc:
        raise _fail(f"urgency.{level}", str(exc)) from None


def parse_definition(raw: dict[str, Any]) -> Definition:
    """Check a decoded definition; QuestionnaireError names the first problem."""
    version = raw.get("version")
    if not isinstance(version, str) or not 0 < len(version) <= 32:
        raise _fail("version", "must be a text of at most 32 characters")
    items = raw.get("questions")
    if not isinstance(items, list) or not items:
        raise _fail("questions", "there must be at least one [[questions]] table")
    questions = tuple(_question(item, n) for n, item in enumerate(items))
    if not any(q.tier == 0 for q in questions):
        raise _fail("questions", "at least one question must be tier 0")
    if [q.tier for q in questions] != sorted(q.tier for q in questions):
        raise _fail("questions", "tiers must come in order: all tier 0, then 1, then 2")
    urgency_raw = raw.get("urgency") or {}
    urgency = UrgencyRules(_rules(urgency_raw.get("urgent"), "urgent"),
                           _rules(urgency_raw.get("high"), "high"))  # fmt: skip
    _check_references(questions, urgency)
    return Definition(version=version, questions=questions, urgency=urgency)


def load_definition(path: Path = DEFAULT_PATH) -> Definition:
    """Read and check a definition file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionnaireError(f"questionnaire {path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(f"questionnaire {path}: not valid TOML ({exc})") from None
    return parse_definition(raw)
