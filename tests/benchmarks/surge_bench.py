"""Surge benchmark: 1,000 reporters reach Tier 0 within two minutes, Telegram's limits on.

    python -m tests.benchmarks.surge_bench [--reporters 1000] [--window 120] [--backend sqlite]

The bot runs as a subprocess (`python -m bot run`) against the local Bot API stand-in in this
process, which plays every person. Phases:

1. Warm-up (not measured; stand-in limits and the bot's pacing off): the lawyers open a
   private chat with the bot, the coordinator puts a primary and a secondary on call with
   `/roster`, and every reporter answers the questionnaire up to the last Tier-0 question.
   About a third of them say no lawyer is present (URGENT), others say it is unknown (HIGH)
   or that a lawyer is there (NORMAL).
2. The bot is stopped and started again with pacing on; the stand-in's flood limits are
   switched on (1 message a second per chat with a burst of 3, 20 a minute per group, 30 a
   second overall; 429 with retry_after beyond them).
3. Measured: within the window, at random moments, each reporter answers the last Tier-0
   question, which makes its case live. Then we wait until every case has reached a lawyer.

Printed: 429 answers the stand-in gave (target 0), cases that reached a lawyer (target all),
and for URGENT cases the latency from Tier 0 complete (the case's `tier0_completed_at`) to
the first message naming its code in a lawyer-facing chat (card, digest or private page),
p50 and p99 (target p99 < 5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.domain.intake_model import Action
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser
from storage.db import make_engine
from storage.models import Case
from tests import databases
from tests.bot.reporter_driver import FULL_REPORT, Reporter

PROJECT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
LAST_TIER0 = "urgent_flags"


def _person(n: int) -> str:
    """A distinct name per reporter (the same name and birth date would be one person)."""
    letters = "abcdefghiklmnoprstuvz"
    surname = "".join(letters[(n // len(letters) ** i) % len(letters)] for i in range(4))
    return f"Ivan {surname.capitalize()}ov"


def _answers_for(kind: str, n: int) -> list[tuple[str, Any]]:
    """The warm-up answers, up to (not including) the last Tier-0 question."""
    lawyer = {"urgent": "none", "high": "unknown", "normal": "present"}[kind]
    removal = "deportation" if kind != "normal" else "no"
    plan = []
    overrides = {"detained_name": _person(n), "lawyer_status": lawyer, "removal_talk": removal}
    for question_id, value in FULL_REPORT:
        if question_id == LAST_TIER0:
            break
        plan.append((question_id, overrides.get(question_id, value)))
    return plan


class BotProcess:
    """`python -m bot run` as a subprocess."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=self.env, cwd=PROJECT,
            stdout=handle, stderr=handle,
        )  # fmt: skip

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), timeout=30)


async def _warm_up(
    standin: BotApiStandIn, reporters: list[tuple[Reporter, str]], concurrency: int
) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int, reporter: Reporter, kind: str) -> None:
        async with gate:
            await reporter.command("/start")
            await reporter.press(Action.BEGIN)
            for question_id, value in _answers_for(kind, n):
                await reporter.answer(question_id, value)

    await asyncio.gather(*(one(n, r, k) for n, (r, k) in enumerate(reporters)))


async def _finish_tier0(reporter: Reporter, kind: str, at: float, start: float) -> float:
    """Answer the last Tier-0 question at its moment; how long the reporter waited for replies."""
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))  # the planned moment
    flag = "health" if kind == "urgent" else "none"
    began = time.monotonic()
    await reporter.toggle(LAST_TIER0, flag)
    await reporter.press(Action.DONE, LAST_TIER0)
    return time.monotonic() - began


async def _reached(standin: BotApiStandIn, chats: list[int]) -> dict[str, float]:
    """First time each case code appeared in a lawyer-facing chat (stand-in clock)."""
    first: dict[str, float] = {}
    wanted = set(chats)
    for event in standin.events(kind="sent"):
        if event.chat_id not in wanted:
            continue
        text = str((event.data.get("message") or {}).get("text", ""))
        for code in CODE.findall(text):
            first.setdefault(code, event.time)
    return first


async def _cases(url: str) -> dict[str, tuple[str, datetime]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(Case.code, Case.urgency, Case.tier0_completed_at).where(
                        Case.tier0_completed_at.is_not(None)
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    out: dict[str, tuple[str, datetime]] = {}
    for code, urgency, at in rows:
        moment = at if at.tzinfo else at.replace(tzinfo=UTC)
        out[code] = (urgency, moment)
    return out


async def run(count: int, window: float, backend: str, settle: float) -> dict[str, Any]:
    """Run the benchmark once; returns the figures."""
    rng = random.Random(20260112)
    workdir = Path(tempfile.mkdtemp(prefix="surge-bench-"))
    if backend == "postgres":
        name = f"intake_surge_{uuid.uuid4().hex[:8]}"
        await databases.pg_admin(f'CREATE DATABASE "{name}"')
        url = databases.pg_url(name)
    else:
        url = f"sqlite+aiosqlite:///{workdir}/data/intake.db"
    standin = BotApiStandIn(flood_limits=False)
    await standin.start()
    process: BotProcess | None = None
    try:
        lawyers = [standin.new_user(n, language_code="en") for n in ("Lena", "Marat", "Dana")]
        coordinator = standin.new_user("Kira", language_code="en")
        group = standin.new_group("Lawyers", members=[*lawyers, coordinator])
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(PROJECT),
            "PTB_TIMEDELTA": "true",
            "BOT_TOKEN": standin.token,
            "TELEGRAM_API_URL": standin.base_url,
            "DATABASE_URL": url,
            "KEYRING_PATH": str(workdir / "keys" / "keyring.json"),
            "LAWYERS_CHAT_ID": str(group.id),
            "LAWYER_IDS": ",".join(str(u.id) for u in lawyers),
            "COORDINATOR_IDS": str(coordinator.id),
            "LAWYERS_LANGUAGE": "en",
            "MAX_MESSAGES_PER_MINUTE": "100000",
            "MAX_REPORTS_PER_DAY": "100",
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
        log_path = workdir / "bot.log"
        process = BotProcess({**env, "RATE_LIMITS": "false"}, log_path)
        await process.start()
        await standin.wait_polling(timeout=60)
        staff: list[PlayUser] = [*lawyers, coordinator]
        for person in staff:
            await standin.send_command(person, "/start")
            await standin.next_bot_message(person, timeout=30)
        for position, lawyer in (("primary", lawyers[0]), ("secondary", lawyers[1])):
            await standin.send_command(
                coordinator, "/roster", args=f"add daily 00:00-24:00 {position} {lawyer.id}"
            )
            await standin.next_bot_message(coordinator, timeout=30)
        kinds = ["urgent"] * (count * 3 // 10) + ["high"] * (count * 3 // 10)
        kinds += ["normal"] * (count - len(kinds))
        rng.shuffle(kinds)
        reporters = [
            (Reporter(standin, standin.new_user(f"R{n}", language_code="en")), kind)
            for n, kind in enumerate(kinds)
        ]
        warm_started = time.monotonic()
        await _warm_up(standin, reporters, concurrency=100)
        warm_seconds = time.monotonic() - warm_started

        await process.stop()
        standin.flood_limits = True
        standin.stats.reset()
        process = BotProcess({**env, "RATE_LIMITS": "true"}, log_path)
        await process.start()
        await standin.wait_polling(timeout=60)

        for reporter, _kind in reporters:
            # Replies are paced under Telegram's overall limit: in a surge they queue for a while.
            reporter.patience = settle
        moments = sorted(rng.uniform(0, window) for _ in reporters)
        rng.shuffle(moments)
        started = time.monotonic()
        waits = await asyncio.gather(
            *(
                _finish_tier0(r, k, at, started)
                for (r, k), at in zip(reporters, moments, strict=True)
            )
        )
        waits.sort()
        tier0_done = time.monotonic() - started
        lawyer_chats = [group.id, *(u.id for u in staff)]
        deadline = time.monotonic() + settle
        cases: dict[str, tuple[str, datetime]] = {}
        reached: dict[str, float] = {}
        while time.monotonic() < deadline:
            cases = await _cases(url)
            reached = await _reached(standin, lawyer_chats)
            if len(cases) >= count and all(code in reached for code in cases):
                break
            await asyncio.sleep(2)
        latencies = sorted(
            max(0.0, reached[code] - at.timestamp())
            for code, (urgency, at) in cases.items()
            if urgency == "urgent" and code in reached
        )
        urgent_total = sum(1 for urgency, _ in cases.values() if urgency == "urgent")
        return {
            "backend": backend,
            "reporters": count,
            "window_s": window,
            "warm_up_s": round(warm_seconds, 1),
            "tier0_phase_s": round(tier0_done, 1),
            "cases_live": len(cases),
            "cases_reached": sum(1 for code in cases if code in reached),
            "urgent": urgent_total,
            "urgent_reached": len(latencies),
            "p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "p99_s": round(latencies[int(0.99 * (len(latencies) - 1))], 2) if latencies else None,
            "max_s": round(latencies[-1], 2) if latencies else None,
            # Tick an option, press Done, see the next question: both replies, paced.
            "reporter_wait_p50_s": round(statistics.median(waits), 2),
            "reporter_wait_p99_s": round(waits[int(0.99 * (len(waits) - 1))], 2),
            "429s": standin.stats.too_many_requests,
            "429s_by_chat": dict(standin.stats.too_many_requests_by_chat),
            "messages_to_group": standin.stats.delivered[group.id],
        }
    finally:
        if process is not None:
            await process.stop()
        await standin.stop()
        if backend == "postgres":
            await databases.pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Parse arguments, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reporters", type=int, default=1000)
    parser.add_argument(
        "--window", type=float, default=120.0, help="seconds for all to reach Tier 0"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--settle", type=float, default=420.0, help="seconds to wait for delivery")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    figures = asyncio.run(run(args.reporters, args.window, args.backend, args.settle))
    print(f"command: python -m tests.benchmarks.surge_bench --reporters {args.reporters} "
          f"--window {args.window:g} --backend {args.backend}")  # fmt: skip
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
