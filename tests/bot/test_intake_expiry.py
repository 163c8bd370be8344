"""Abandoned drafts are shredded by the janitor; cases that raised the alert are kept."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from bot.domain.cases import CaseStatus
from bot.telegram.janitor import sweep
from storage.models import Case
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import FULL_REPORT, TIER0, begin, cases, data_key_ids, tr

EN = tr("en")


async def age(bot: RunningBot, case_id: uuid.UUID, by: timedelta) -> None:
    """Make a case look untouched for `by` (instead of waiting)."""
    async with bot.runtime.sessions() as session, session.begin():
        row = await session.get(Case, case_id)
        assert row is not None
        await session.execute(
            update(Case).where(Case.id == case_id).values(updated_at=row.updated_at - by)
        )


async def test_a_stale_draft_is_shredded_and_a_live_case_is_kept(running_bot: RunningBot) -> None:
    ttl = timedelta(hours=running_bot.runtime.settings.draft_ttl_hours)
    quitter = await begin(running_bot, first_name="Quitter")
    await quitter.answer_until("detained_at")
    alerted = await begin(running_bot, first_name="Alerted")
    after_tier0 = next(q for q, _ in FULL_REPORT if q not in TIER0)
    await alerted.answer_until(after_tier0)
    draft, live = await cases(running_bot)
    assert (draft.status, live.status) == (CaseStatus.DRAFT.value, CaseStatus.NEW.value)
    # Both untouched for longer than the limit; a fresh draft stays.
    fresh = await begin(running_bot, first_name="Fresh")
    await fresh.answer("reporter_role", "witness")
    await age(running_bot, draft.id, ttl + timedelta(minutes=1))
    await age(running_bot, live.id, ttl * 10)
    removed = await sweep(running_bot.runtime)
    assert removed["drafts"] == 1
    remaining = {c.id for c in await cases(running_bot)}
    assert draft.id not in remaining
    assert live.id in remaining
    assert len(remaining) == 2
    keys = await data_key_ids(running_bot)
    assert draft.id not in keys
    assert live.id in keys
    # The reporter who left comes back to a fresh start, not to an error.
    reply = await quitter.say("12.04.1990")
    assert EN.ui("welcome") in (reply.text or "")


async def test_a_draft_younger_than_the_limit_is_kept(running_bot: RunningBot) -> None:
    ttl = timedelta(hours=running_bot.runtime.settings.draft_ttl_hours)
    reporter = await begin(running_bot)
    await reporter.answer("reporter_role", "relative")
    (draft,) = await cases(running_bot)
    await age(running_bot, draft.id, ttl - timedelta(minutes=5))
    assert (await sweep(running_bot.runtime))["drafts"] == 0
    assert [c.id for c in await cases(running_bot)] == [draft.id]
