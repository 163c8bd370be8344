"""SIGKILL the bot while many reporters answer: no acknowledged answer is lost, nobody is stuck.

The bot runs as `python -m bot run` in a subprocess against the stand-in in this process, on
this test's database. Reporters answer FULL_REPORT concurrently; at random moments (a seeded
random.Random picks how far the reporters have got, and a small delay after that) the bot is
killed with SIGKILL, the database is checked while it is dead, and it is started again on the
same database. An answer is acknowledged once the bot has shown the next question (or a later
screen) after it: the bot commits before it replies, so every acknowledged answer must be in the
database at the kill. An update in flight at a kill may be lost (python-telegram-bot confirms a
batch when it asks for the next, as with real Telegram); its reporter, getting no reply, waits
for the bot to be back and sends /start, as a person would, and carries on.

CRASH_SEED=<int> replays other kill moments; CRASH_REPORTERS=<n> changes the crowd;
CRASH_RATE_LIMITS=1 runs the bot with its Telegram pacing on (slower: use fewer reporters).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.standin import BotApiStandIn
from storage.keyring import Keyring
from storage.models import Case
from storage.store import SqlStore
from tests.bot.crash_support import (
    EXPECTED,
    ORDER,
    BotProcess,
    CrashReporter,
    answers_match,
    bot_env,
)
from tests.databases import ScratchDatabase

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CRASH_SEED", "20250611"))
REPORTERS = int(os.environ.get("CRASH_REPORTERS", "30"))
RATE_LIMITS = os.environ.get("CRASH_RATE_LIMITS", "") not in ("", "0", "false")
KILLS = 5
DEADLINE = 120.0  # seconds for everyone to finish; a stuck reporter fails the test here


@dataclass
class Kill:
    """What the test knew at one kill."""

    at: float  # seconds since the start
    acknowledged: int
    unfinished: int
    lost: list[str]


def _position(state: Any, submitted: bool) -> int:
    """How far a stored conversation has got, on the scale of ORDER (len(ORDER) = review)."""
    if submitted:  # after submission /start shows the welcome screen again
        return len(ORDER)
    if state.step == "question":
        question = str(state.data.get("question", ""))
        return ORDER.index(question) if question in ORDER else -1
    if state.step in ("review", "confirm_cancel", "submitted", "wiped", "kept"):
        return len(ORDER)
    return -1


async def _lost_answers(
    store: SqlStore, snapshot: dict[CrashReporter, tuple[dict[str, Any], int]]
) -> list[str]:
    """Acknowledged answers (and positions) missing from the database of a dead bot."""
    lost = []
    async with store.transaction() as tx:
        for reporter, (acked, frontier) in snapshot.items():
            if not acked:
                continue
            reporter_id = await tx.reporters.find(reporter.user.id)
            state = await tx.load_conversation(reporter_id) if reporter_id else None
            if state is None or state.case_id is None:
                lost.append(f"{reporter.name}: no case, {len(acked)} answers acknowledged")
                continue
            case_id = uuid.UUID(state.case_id)
            stored = await tx.cases.answers(case_id)
            lost += [f"{reporter.name}: {w}" for w in answers_match(acked, stored)]
            case = await tx.session.get(Case, case_id)
            if _position(state, case is not None and case.submitted_at is not None) <= frontier:
                lost.append(
                    f"{reporter.name}: stored at {state.step}/{state.data.get('question')}, "
                    f"but {ORDER[frontier]} was acknowledged"
                )
    return lost


async def test_sigkill_at_random_moments_loses_no_acknowledged_answer(
    standin: BotApiStandIn,
    database: ScratchDatabase,
    keyring: Keyring,
    store: SqlStore,
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    env = bot_env(standin, database.url, keyring.path, rate_limits=RATE_LIMITS)
    bot = BotProcess(standin, env, tmp_path)
    acknowledged = 0

    def on_ack() -> None:
        nonlocal acknowledged
        acknowledged += 1

    reporters = [
        CrashReporter(standin, standin.new_user(f"R{i}", language_code="en"), bot, on_ack)
        for i in range(REPORTERS)
    ]
    total = REPORTERS * len(ORDER)
    thresholds = sorted(rng.sample(range(total // 12, total * 9 // 10), KILLS))
    kills: list[Kill] = []
    started = time.monotonic()

    async def kill_at_random_moments() -> None:
        for threshold in thresholds:
            while acknowledged < threshold:
                await asyncio.sleep(0.005)
            await asyncio.sleep(rng.uniform(0.0, 0.2))
            snapshot = {r: (dict(r.acked), r.frontier) for r in reporters}
            count, unfinished = acknowledged, sum(not r.submitted for r in reporters)
            await bot.kill()
            lost = await _lost_answers(store, snapshot)
            kills.append(Kill(time.monotonic() - started, count, unfinished, lost))
            await asyncio.sleep(rng.uniform(0.0, 0.5))  # updates pile up while it is down
            await bot.start()

    await bot.start()
    try:
        work = asyncio.gather(kill_at_random_moments(), *(r.run() for r in reporters))
        try:
            await asyncio.wait_for(work, DEADLINE)
        except TimeoutError:
            stuck = [
                f"{r.name} at {r.last.kind if r.last else None}/"
                f"{r.last.question if r.last else None}, {len(r.acked)} acked, "
                f"{r.recoveries} recoveries; chat: {standin.describe(r.user)}; events: "
                f"{[(e.kind, e.message_id, e.data) for e in standin.events(r.user)][-12:]}"
                for r in reporters
                if not r.submitted
            ]
            pytest.fail(
                f"seed {SEED}: not finished in {DEADLINE} s; kills {kills}; {stuck}; "
                f"bot stderr ends: {bot.stderr_text()[-3000:]}"
            )
    finally:
        status = await bot.stop()
    elapsed = time.monotonic() - started

    context = f"seed {SEED}, kills at {[(round(k.at, 1), k.acknowledged) for k in kills]}"
    assert len(kills) == KILLS, context
    assert all(k.unfinished > 0 for k in kills), f"a kill came after everyone finished; {context}"
    assert [line for k in kills for line in k.lost] == [], context
    assert [p for r in reporters for p in r.problems] == [], context
    assert all(r.submitted for r in reporters), context
    # The kills did hit updates in flight: some reporters had to start again.
    assert sum(r.recoveries for r in reporters) > 0, context

    async with store.transaction() as tx:
        for reporter in reporters:
            reporter_id = await tx.reporters.find(reporter.user.id)
            assert reporter_id is not None, f"{reporter.name}: no reporter row; {context}"
            cases = list(
                (await tx.session.execute(select(Case).where(Case.reporter_id == reporter_id)))
                .scalars()
                .all()
            )
            assert len(cases) == 1, f"{reporter.name}: {len(cases)} cases; {context}"
            assert cases[0].submitted_at is not None, f"{reporter.name}: not submitted; {context}"
            stored = await tx.cases.answers(cases[0].id)
            assert answers_match(EXPECTED, stored) == [], f"{reporter.name}; {context}"

    log = bot.stderr_text()
    assert "Traceback" not in log, log[-3000:]
    errors = [line for line in log.splitlines() if '"level": "ERROR"' in line]
    assert errors == [], errors[:5]
    assert status == 0, log[-2000:]
    print(  # shown with -s: what this run did
        f"\n{database.backend}: {REPORTERS} reporters, {KILLS} kills ({context}), "
        f"{sum(r.recoveries for r in reporters)} /start recoveries, "
        f"{sum(r.updates_sent for r in reporters)} updates, {elapsed:.1f} s"
    )
