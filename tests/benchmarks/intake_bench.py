"""Reporter throughput, reply latency and memory: the intake bot against a plain PTB baseline.

    python -m tests.benchmarks.intake_bench [--reporters 200] [--backend sqlite|postgres|both]

N reporters at once each complete the whole questionnaire (FULL_REPORT: /start, Start, 26
answers, Send) through the Bot API stand-in, flood limits off, against:

* the intake bot, `python -m bot run` in a subprocess, on SQLite and/or PostgreSQL (a fresh
  database each), RATE_LIMITS=false (the stand-in enforces no limits; the bot's own pacing of
  Telegram's limits would set the pace instead of the bot), MAX_MESSAGES_PER_MINUTE high;
* `tests/benchmarks/baseline_bot.py`, a plain python-telegram-bot ConversationHandler bot with
  PicklePersistence and the same questions, buttons and Bot API calls per answer, also in a
  subprocess, against a stand-in of its own.

Measured from the reporters' side: updates per second (all reporters' updates / wall time from
the first send to the last reply), reply latency p50/p99 (a reporter's send to the bot's reply
arriving in the stand-in: the next message, or the edit for a ticked option), peak RSS of the
bot process alone (psutil, sampled every 50 ms from start to stop), and the bot process's CPU
time per update. Every reporter waits for each reply before it answers again (a closed loop),
so with N reporters latency is about N / throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select

from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.questionnaire.schema import QuestionType
from bot.i18n import Catalogs
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser, StoredMessage
from storage.db import make_engine
from storage.keyring import Keyring
from storage.models import Case
from tests import databases
from tests.bot.reporter_driver import FULL_REPORT, SKIP, UNKNOWN

PROJECT = Path(__file__).absolute().parents[2]
QUESTIONNAIRE = Questionnaire.load()
TR = Catalogs().translator("en")
REPLY_TIMEOUT = 120.0
RSS_EVERY = 0.05
UI_KEYS = (
    "welcome", "start_report", "progress", "back", "skip", "unknown", "done", "cancel",
    "selected_mark", "alerting", "review_title", "review_submit", "review_skipped",
    "review_unknown", "submitted", "wipe_offer", "wipe_yes", "wipe_no", "cancelled",
    "err_use_buttons", "err_choose_one",
)  # fmt: skip


def script() -> dict[str, Any]:
    """FULL_REPORT's questions in English, as the intake bot renders them (for the baseline)."""
    tier0 = [qid for qid, _ in FULL_REPORT if QUESTIONNAIRE.get(qid).tier == 0]  # type: ignore[union-attr]
    questions, previous = [], None
    for qid, _ in FULL_REPORT:
        q = QUESTIONNAIRE.get(qid)
        assert q is not None
        kind = {QuestionType.MULTI_CHOICE: "multi", QuestionType.FILE: "file"}.get(q.type)
        questions.append(
            {
                "id": q.id,
                "title": TR.question(q),
                "hint": TR.hint(q),
                "kind": kind or ("single" if q.options else "text"),
                "options": [{"id": o.id, "label": TR.option(q, o)} for o in q.options],
                "unknown_button": q.allow_unknown and q.type is not QuestionType.YES_NO_UNKNOWN,
                "skip_button": not q.required,
                # The intake bot says lawyers are being alerted with the question after Tier 0.
                "notice": TR.ui("alerting") if previous == tier0[-1] else None,
            }
        )
        previous = qid
    return {"questions": questions, "ui": {key: TR.ui(key) for key in UI_KEYS}}


# -- the reporters -----------------------------------------------------------------------------


@dataclass
class Timing:
    """Send times and the replies they got, across all reporters."""

    sends: list[tuple[float, int, int]] = field(default_factory=list)  # sent at, chat, reply id
    edits: list[tuple[float, float]] = field(default_factory=list)  # sent at, edit arrived

    @property
    def updates(self) -> int:
        """Updates the reporters sent."""
        return len(self.sends) + len(self.edits)

    def latencies(self, standin: BotApiStandIn) -> tuple[list[float], float, float]:
        """Every reply's latency, the first send and the last reply (stand-in clock)."""
        arrived = {
            (e.chat_id, e.message_id): e.time for e in standin.state.events if e.kind == "sent"
        }
        pairs = [(at, arrived[(chat, reply)]) for at, chat, reply in self.sends] + self.edits
        return [done - at for at, done in pairs], min(p[0] for p in pairs), max(p[1] for p in pairs)


def _label(button: dict[str, Any], mark: str) -> str:
    return str(button["text"]).removeprefix(mark)


class Player:
    """One reporter answering FULL_REPORT by button labels (works for both bots)."""

    def __init__(self, standin: BotApiStandIn, user: PlayUser, timing: Timing) -> None:
        self.standin = standin
        self.user = user
        self.timing = timing
        self.last: StoredMessage | None = None
        self.mark = TR.ui("selected_mark") + " "

    async def _reply_to(self, send: Callable[[], Awaitable[Any]]) -> StoredMessage:
        at = time.time()
        await send()
        self.last = await self.standin.next_bot_message(self.user, timeout=REPLY_TIMEOUT)
        self.timing.sends.append((at, self.user.id, self.last.message_id))
        return self.last

    def _data(self, label: str) -> str:
        assert self.last is not None
        for button in self.last.buttons():
            shown = _label(button, self.mark)
            if shown == label or (len(label) > 46 and shown[:40] == label[:40]):
                return str(button["callback_data"])
        labels = [b["text"] for b in self.last.buttons()]
        raise LookupError(f"no button {label!r} in {labels} under {self.last.text!r}")

    async def press(self, label: str) -> StoredMessage:
        """Press a button of the last message; the bot's next message."""
        data, message = self._data(label), self.last
        assert message is not None
        return await self._reply_to(
            lambda: self.standin.press_button(self.user, message, data=data)
        )

    async def say(self, text: str) -> StoredMessage:
        """Type an answer; the bot's next message."""
        return await self._reply_to(lambda: self.standin.send_text(self.user, text))

    async def tick(self, label: str) -> None:
        """Tick an option: the bot edits the question in place."""
        data, message = self._data(label), self.last
        assert message is not None
        chat, since = self.user.id, len(self.standin.state.events)
        at = time.time()
        await self.standin.press_button(self.user, message, data=data)
        edited = await self.standin.wait_for(
            lambda e: (
                e.kind == "edited" and e.chat_id == chat and e.message_id == message.message_id
            ),
            timeout=REPLY_TIMEOUT,
            since=since,
        )
        self.timing.edits.append((at, edited.time))
        self.last = next(
            m for m in self.standin.transcript(self.user) if m.message_id == message.message_id
        )

    async def report(self) -> None:
        """/start, Start, every answer of FULL_REPORT, Send; checks each question as it goes."""
        await self._reply_to(lambda: self.standin.send_command(self.user, "/start"))
        await self.press(TR.ui("start_report"))
        for qid, value in FULL_REPORT:
            q = QUESTIONNAIRE.get(qid)
            assert q is not None
            assert self.last is not None
            if TR.question(q) not in (self.last.text or ""):
                raise AssertionError(f"expected {qid}, got {self.last.text!r}")
            if value is SKIP:
                await self.press(TR.ui("skip"))
            elif value is UNKNOWN:
                await self.press(TR.ui("unknown"))
            elif q.type is QuestionType.MULTI_CHOICE:
                for option in value:
                    await self.tick(TR.option(q, q.option(option)))  # type: ignore[arg-type]
                await self.press(TR.ui("done"))
            elif q.options:
                await self.press(TR.option(q, q.option(value)))  # type: ignore[arg-type]
            else:
                await self.say(value)
        assert self.last is not None
        if TR.ui("review_title") not in (self.last.text or ""):
            raise AssertionError(f"expected the review, got {self.last.text!r}")
        sent = await self.press(TR.ui("review_submit"))
        if TR.ui("submitted").split("{code}")[0] not in (sent.text or ""):
            raise AssertionError(f"expected the submission, got {sent.text!r}")


# -- the bot process ---------------------------------------------------------------------------


@dataclass
class Result:
    """One row of the table."""

    bot: str
    reporters: int
    updates: int
    wall: float
    p50: float
    p99: float
    peak_rss: int
    cpu: float  # seconds of the bot process, start to stop
    driver_cpu: float  # seconds of this process (stand-in and reporters) during the run

    @property
    def rate(self) -> float:
        """Updates per second."""
        return self.updates / self.wall


class Process:
    """A bot subprocess with its RSS sampled every 50 ms until it is stopped."""

    def __init__(self, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.argv, self.env, self.workdir = argv, env, workdir
        self.stderr = workdir / "stderr.log"
        self.peak_rss = 0
        self.cpu = 0.0
        self._process: asyncio.subprocess.Process | None = None
        self._sampler: asyncio.Task[None] | None = None

    async def start(self, standin: BotApiStandIn, timeout: float = 60.0) -> None:
        """Spawn, sample RSS from the first moment, wait until it polls."""
        with self.stderr.open("wb") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, *self.argv, cwd=self.workdir, env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        self._sampler = asyncio.create_task(self._sample(psutil.Process(self._process.pid)))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while standin.state.updates.waiting_polls == 0:
            if self._process.returncode is not None or loop.time() > deadline:
                raise RuntimeError(f"{self.argv} did not start: {self.log_tail()}")
            with contextlib.suppress(TimeoutError):
                await standin.wait_polling(timeout=0.2)

    async def _sample(self, process: psutil.Process) -> None:
        with contextlib.suppress(psutil.Error):
            while True:
                self.peak_rss = max(self.peak_rss, process.memory_info().rss)
                times = process.cpu_times()
                self.cpu = times.user + times.system
                await asyncio.sleep(RSS_EVERY)

    async def stop(self) -> None:
        """SIGTERM (a clean stop), then the last samples."""
        assert self._process is not None
        assert self._sampler is not None
        self._sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sampler
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(self._process.pid)
            self.peak_rss = max(self.peak_rss, process.memory_info().rss)
            self.cpu = sum(process.cpu_times()[:2])
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()

    def log_tail(self) -> str:
        """The end of its stderr."""
        return self.stderr.read_text(errors="replace")[-2000:] if self.stderr.exists() else ""


async def measure(
    name: str, reporters: int, argv: list[str], env: dict[str, str], workdir: Path
) -> Result:
    """Start a bot on a stand-in of its own, play every reporter at once, stop it."""
    async with BotApiStandIn(flood_limits=False) as standin:
        env = {**env, "BOT_TOKEN": standin.token, "TELEGRAM_API_URL": standin.base_url}
        process = Process(argv, env, workdir)
        await process.start(standin)
        timing = Timing()
        players = [
            Player(standin, standin.new_user(f"R{i}", language_code="en"), timing)
            for i in range(reporters)
        ]
        driver = psutil.Process()
        driver_cpu = sum(driver.cpu_times()[:2])
        try:
            await asyncio.gather(*(p.report() for p in players))
        finally:
            driver_cpu = sum(driver.cpu_times()[:2]) - driver_cpu
            await process.stop()
        if "Traceback" in process.log_tail():
            print(f"{name}: traceback in the bot's stderr:\n{process.log_tail()}", file=sys.stderr)
        latencies, first, last = timing.latencies(standin)
        return Result(
            bot=name,
            reporters=reporters,
            updates=timing.updates,
            wall=last - first,
            p50=statistics.median(latencies),
            p99=statistics.quantiles(latencies, n=100)[98],
            peak_rss=process.peak_rss,
            cpu=process.cpu,
            driver_cpu=driver_cpu,
        )


async def submitted_cases(url: str) -> int:
    """How many cases the intake bot stored as submitted."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            query = select(func.count()).select_from(Case).where(Case.submitted_at.is_not(None))
            return int((await connection.execute(query)).scalar_one())
    finally:
        await engine.dispose()


def _base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT), "PTB_TIMEDELTA": "true"}


async def ours(backend: str, reporters: int, tmp: Path) -> Result | str:
    """The intake bot on a fresh database of `backend`; a string says why it was skipped."""
    workdir = tmp / f"ours-{backend}"
    workdir.mkdir()
    keyring = Keyring.create(workdir / "keys" / "keyring.json")
    pg_name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir}/data/intake.db"
    else:
        reason = await databases.pg_unavailable_reason_async()
        if reason is not None:
            return f"skipped: {reason}"
        pg_name = f"intake_bench_{uuid.uuid4().hex[:8]}"
        await databases.pg_admin(f'CREATE DATABASE "{pg_name}"')
        url = databases.pg_url(pg_name)
    env = {
        **_base_env(),
        "DATABASE_URL": url,
        "KEYRING_PATH": str(keyring.path),
        "MAX_MESSAGES_PER_MINUTE": "100000",
        "RATE_LIMITS": "false",
    }
    try:
        result = await measure(
            f"intake bot, {backend}", reporters, ["-m", "bot", "run"], env, workdir
        )
        stored = await submitted_cases(url)
        if stored != reporters:
            raise AssertionError(f"{stored} submitted cases stored for {reporters} reporters")
        return result
    finally:
        if pg_name is not None:
            await databases.pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


async def baseline(reporters: int, tmp: Path) -> Result:
    """The plain ConversationHandler bot."""
    workdir = tmp / "baseline"
    workdir.mkdir()
    questions = workdir / "questions.json"
    questions.write_text(json.dumps(script(), ensure_ascii=False), encoding="utf-8")
    env = {
        **_base_env(),
        "BASELINE_SCRIPT": str(questions),
        "BASELINE_PERSISTENCE": str(workdir / "baseline.pickle"),
    }
    argv = ["-m", "tests.benchmarks.baseline_bot"]
    return await measure("baseline (PTB + pickle)", reporters, argv, env, workdir)


def table(rows: list[Result | tuple[str, str]]) -> str:
    """The figures, one row per bot."""
    head = (
        f"{'bot':<26}{'reporters':>10}{'updates':>9}{'wall s':>8}{'updates/s':>11}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'peak RSS MiB':>14}{'CPU ms/upd':>12}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        if isinstance(row, tuple):
            lines.append(f"{row[0]:<26}{row[1]}")
            continue
        lines.append(
            f"{row.bot:<26}{row.reporters:>10}{row.updates:>9}{row.wall:>8.1f}{row.rate:>11.1f}"
            f"{row.p50 * 1000:>9.0f}{row.p99 * 1000:>9.0f}{row.peak_rss / 2**20:>14.1f}"
            f"{row.cpu / row.updates * 1000:>12.2f}"
        )
    return "\n".join(lines)


async def main(reporters: int, backend: str) -> None:
    """Run the bots one after another and print the table."""
    started, load_before = time.monotonic(), os.getloadavg()[0]
    rows: list[Result | tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as name:
        tmp = Path(name)
        for each in ("sqlite", "postgres") if backend == "both" else (backend,):
            result = await ours(each, reporters, tmp)
            rows.append(result if isinstance(result, Result) else (f"intake bot, {each}", result))
        rows.append(await baseline(reporters, tmp))
    command = f"python -m tests.benchmarks.intake_bench --reporters {reporters} --backend {backend}"
    print(f"command: {command}  (as typed: {shlex.join(sys.argv[1:]) or 'defaults'})")
    print(
        f"{reporters} reporters at once, each: /start, Start, {len(FULL_REPORT)} answers "
        "(3 with one ticked option), Send; stand-in flood limits off; intake bot RATE_LIMITS=false"
    )
    print(table(rows))
    driver = [r for r in rows if isinstance(r, Result)]
    print(
        "driver (stand-in + reporters, this process) CPU s: "
        + ", ".join(f"{r.bot}: {r.driver_cpu:.1f} of {r.wall:.1f} s" for r in driver)
    )
    print(
        f"total {time.monotonic() - started:.0f} s on {os.cpu_count()} CPUs; load average (1 min) "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work on the machine "
        "skews every figure)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reporters", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.reporters, arguments.backend))
