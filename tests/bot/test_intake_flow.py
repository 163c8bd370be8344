"""A complete report through the real bot, in every language; the case goes live at Tier 0."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain.cases import CaseStatus, Urgency, normalise_case_code
from bot.domain.intake_model import Action
from bot.i18n import Catalogs
from storage.models import Case, OutboxMessage
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import FULL_REPORT, QUESTIONNAIRE, TIER0, Reporter


async def _cases(bot: RunningBot) -> list[Case]:
    async with bot.runtime.sessions() as session:
        return list((await session.execute(select(Case))).scalars())


async def _outbox(bot: RunningBot) -> list[OutboxMessage]:
    async with bot.runtime.sessions() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def begin(bot: RunningBot, language: str = "en") -> Reporter:
    reporter = Reporter(bot.standin, bot.standin.new_user("Olga", language_code=language))
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    return reporter


@pytest.mark.parametrize("language", ["ru", "uk", "kk", "en"])
async def test_a_complete_report_in_each_language(running_bot: RunningBot, language: str) -> None:
    tr = Catalogs().translator(language)
    reporter = await begin(running_bot, language)
    first = QUESTIONNAIRE.get("reporter_role")
    assert first is not None
    assert reporter.last is not None
    assert tr.question(first) in reporter.last.text
    for question_id, value in FULL_REPORT:
        reply = await reporter.answer(question_id, value)
        if question_id == TIER0[-1]:
            # The alert is queued the moment Tier 0 is complete, before Tier 1 starts.
            assert tr.ui("alerting").split("\n")[0] in reply.text
            cases = await _cases(running_bot)
            assert [(c.status, c.urgency) for c in cases] == [("new", "urgent")]
            alerts = [m for m in await _outbox(running_bot) if m.kind == "alert"]
            assert [(a.priority, a.destination) for a in alerts] == [(0, "lawyers")]
    assert reporter.last is not None
    assert tr.ui("review_title") in reporter.last.text
    submitted = await reporter.press(Action.SUBMIT)
    case = (await _cases(running_bot))[0]
    assert case.code in submitted.text
    assert normalise_case_code(case.code.lower().replace("-", " ")) == case.code
    assert case.submitted_at is not None
    assert CaseStatus(case.status) is CaseStatus.NEW
    assert Urgency(case.urgency) is Urgency.URGENT
    assert case.questionnaire_version == QUESTIONNAIRE.version
    async with running_bot.runtime.store.transaction() as tx:
        answers = await tx.cases.answers(case.id)
    assert answers["detained_name"] == "Ivan Petrov"
    assert answers["citizenship"] == ["ru"]
    assert answers["detained_dob"] == {"date": "1990-04-12", "approximate": False}
    assert "detained_place" not in answers
