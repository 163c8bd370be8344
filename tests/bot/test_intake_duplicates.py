"""Two relatives report the same person: the second case points at the first, silently."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.domain.intake_model import Action
from bot.standin.models import StoredMessage
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import FULL_REPORT, Reporter, begin, cases

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", re.IGNORECASE)


def report_with(name: str, detained_at: str) -> list[tuple[str, Any]]:
    """FULL_REPORT with another spelling of the name and a fixed moment of detention."""
    changed = {"detained_name": name, "detained_at": detained_at}
    return [(q, changed.get(q, v)) for q, v in FULL_REPORT]


async def report(bot: RunningBot, first_name: str, name: str, moment: str) -> Reporter:
    reporter = await begin(bot, "en", first_name=first_name)
    await reporter.answer_until(None, report_with(name, moment))
    await reporter.press(Action.SUBMIT)
    return reporter


def bot_texts(reporter: Reporter) -> list[str]:
    """What the bot said to the reporter, case codes masked, in order."""
    messages: list[StoredMessage] = reporter.standin.transcript(reporter.user)
    return [CODE.sub("<code>", m.text or "") for m in messages if m.from_bot]


async def test_a_second_report_of_the_same_person_is_linked_to_the_first(
    running_bot: RunningBot,
) -> None:
    # An absolute moment, so both reports give the same answer whenever they are typed.
    moment = (running_bot.runtime.now() - timedelta(days=1)).strftime("%d.%m.%Y 06:00")
    mother = await report(running_bot, "Olga", "Ivan Sergeevich Petrov", moment)
    brother = await report(running_bot, "Pavel", "PETROV ivan sergeevich", moment)
    first, second = await cases(running_bot)
    assert first.duplicate_of is None
    assert second.duplicate_of == first.id
    assert first.report_count == 2
    assert first.person_index == second.person_index
    # The second reporter is told exactly what the first was, and nothing about anyone else.
    texts = bot_texts(brother)
    assert texts == [t.replace("Ivan Sergeevich Petrov", "PETROV ivan sergeevich")
                     for t in bot_texts(mother)]  # fmt: skip
    joined = "\n".join(m.text or "" for m in brother.standin.transcript(brother.user))
    assert first.code not in joined
    assert "Olga" not in joined
    for word in ("already", "another", "other report", "duplicate", "2 report", "reports: 2"):
        assert word not in joined.lower()


async def test_a_different_birth_date_is_another_person(running_bot: RunningBot) -> None:
    reporter = await begin(running_bot, "en")
    await reporter.answer_until(None)
    await reporter.press(Action.SUBMIT)
    other = await begin(running_bot, "en", first_name="Pavel")
    changed = [(q, "13.04.1990" if q == "detained_dob" else v) for q, v in FULL_REPORT]
    await other.answer_until(None, changed)
    await other.press(Action.SUBMIT)
    first, second = await cases(running_bot)
    assert second.duplicate_of is None
    assert first.report_count == 1
