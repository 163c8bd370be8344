"""Navigation through a checked questionnaire: which question next, tiers, progress, urgency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.domain.cases import Urgency
from bot.domain.questionnaire.schema import DEFAULT_PATH, Definition, Question, load_definition

Answers = Mapping[str, Any]


class Questionnaire:
    """A questionnaire definition with the questions that apply to a given set of answers."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.version = definition.version
        self.questions: tuple[Question, ...] = definition.questions
        self._by_id = {q.id: q for q in self.questions}
        self._index = {q.id: n for n, q in enumerate(self.questions)}
        self._by_role = {q.role: q for q in self.questions if q.role}

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Questionnaire:
        """Load and check a definition file (QuestionnaireError if broken)."""
        return cls(load_definition(path))

    def get(self, question_id: str) -> Question | None:
        """The question with this id, if it exists in this version."""
        return self._by_id.get(question_id)

    def index(self, question_id: str) -> int:
        """The position of a question (for compact button data)."""
        return self._index[question_id]

    def at(self, index: int) -> Question | None:
        """The question at a position, or None if out of range."""
        return self.questions[index] if 0 <= index < len(self.questions) else None

    def by_role(self, role: str) -> Question | None:
        """The question that plays a role (person_name, city, ...), if any."""
        return self._by_role.get(role)

    def applies(self, question: Question, answers: Answers, now: datetime) -> bool:
        """Whether the question is asked, given the answers so far."""
        return question.ask_if is None or question.ask_if.evaluate(answers, now)

    def applicable(self, answers: Answers, now: datetime) -> list[Question]:
        """Every question asked for these answers, in order."""
        return [q for q in self.questions if self.applies(q, answers, now)]

    def first(self, answers: Answers, now: datetime) -> Question:
        """The opening question."""
        return self.applicable(answers, now)[0]

    def next_after(self, question_id: str, answers: Answers, now: datetime) -> Question | None:
        """The next question that applies after this one, or None at the end."""
        start = self._index[question_id] + 1
        for question in self.questions[start:]:
            if self.applies(question, answers, now):
                return question
        return None

    def first_open(
        self, answers: Answers, skipped: Sequence[str], now: datetime, *, max_tier: int = 2
    ) -> Question | None:
        """The first applicable question neither answered nor skipped, up to a tier."""
        for question in self.applicable(answers, now):
            if question.tier > max_tier:
                return None
            if question.id not in answers and question.id not in skipped:
                return question
        return None

    def tier_complete(
        self, tier: int, answers: Answers, skipped: Sequence[str], now: datetime
    ) -> bool:
        """All applicable questions up to `tier` are answered (or skipped where allowed)."""
        return self.first_open(answers, skipped, now, max_tier=tier) is None

    def progress(self, question: Question, answers: Answers, now: datetime) -> tuple[int, int]:
        """(position, total) of a question among those that apply now."""
        asked = self.applicable(answers, now)
        ids = [q.id for q in asked]
        position = ids.index(question.id) + 1 if question.id in ids else len(ids)
        return position, len(asked)

    def relevant(self, answers: Answers, now: datetime) -> dict[str, Any]:
        """Answers of questions that still apply (a changed answer can make others moot)."""
        asked = {q.id for q in self.applicable(answers, now)}
        return {qid: value for qid, value in answers.items() if qid in asked}

    def urgency(self, answers: Answers, now: datetime) -> Urgency:
        """URGENT, HIGH or NORMAL by the definition's rules."""
        rules = self.definition.urgency
        relevant = self.relevant(answers, now)
        if any(rule.evaluate(relevant, now) for rule in rules.urgent):
            return Urgency.URGENT
        if any(rule.evaluate(relevant, now) for rule in rules.high):
            return Urgency.HIGH
        return Urgency.NORMAL
