"""Support for the crash test: the bot as a killable subprocess, and reporters that survive it.

The stand-in runs in the test process; the bot is ``python -m bot run`` in a subprocess that the
test kills with SIGKILL and starts again on the same database. A :class:`CrashReporter` plays one
person answering FULL_REPORT by meaning. It waits for the reply to each thing it sends; when none
comes in time (the bot was killed and the update was lost), it waits for the bot to be back and
sends /start to be shown where it is, as a person would, then carries on.

Which reply answers what: the bot handles one person's updates in order and renders every screen
with a nonce (in each button's callback data) that grows with each handled event, and shows the
"resume" notice only in reply to /start. So a reporter skips any screen whose nonce is not newer
than the one it last acted on (a redelivered update re-shows the same screen), takes a "resume"
screen only as the reply to its own /start (passing over whatever had arrived before it sent
that /start), and otherwise acts on the next screen that arrives. Ticking an option of a
multiple-choice question is acknowledged by the edit of the message instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.domain.intake_model import Action, PressEvent
from bot.domain.questionnaire.answers import is_unknown
from bot.i18n import Catalogs
from bot.standin import BotApiStandIn
from bot.standin.models import Event, PlayUser, StoredMessage
from tests.bot.reporter_driver import FULL_REPORT, QUESTIONNAIRE, SKIP, UNKNOWN, Reporter

PROJECT = Path(__file__).absolute().parents[2]
ORDER = [qid for qid, _ in FULL_REPORT]
EXPECTED = dict(FULL_REPORT)
TR = Catalogs().translator("en")
TITLES = {TR.question(q): q.id for q in QUESTIONNAIRE.questions}
RESUME = TR.ui("resume")
REVIEW = TR.ui("review_title")
MARK = TR.ui("selected_mark") + " "


# -- the bot process ---------------------------------------------------------------------------


def bot_env(
    standin: BotApiStandIn, database_url: str, keyring_path: Path, *, rate_limits: bool = False
) -> dict[str, str]:
    """The whole environment of the bot process: nothing inherited but PATH.

    RATE_LIMITS=false by default, as for the in-process bots of tests/bot/conftest.py: the
    stand-in's flood limits are off, and pacing replies at Telegram's rates would only make the
    test slow (a reporter's 32 updates would take over half a minute at one reply a second).
    """
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT),
        "BOT_TOKEN": standin.token,
        "TELEGRAM_API_URL": standin.base_url,
        "DATABASE_URL": database_url,
        "KEYRING_PATH": str(keyring_path),
        "PTB_TIMEDELTA": "true",
        "MAX_MESSAGES_PER_MINUTE": "100000",
        "RATE_LIMITS": "true" if rate_limits else "false",
    }


class BotProcess:
    """`python -m bot run` against the stand-in; started, killed and started again."""

    def __init__(
        self,
        standin: BotApiStandIn,
        env: dict[str, str],
        workdir: Path,
        argv: tuple[str, ...] = ("-m", "bot", "run"),
    ) -> None:
        self.standin = standin
        self.env = env
        self.workdir = workdir  # no .env here: settings come from `env` only
        self.argv = argv
        self.process: asyncio.subprocess.Process | None = None
        self.stderr_paths: list[Path] = []
        self.up = asyncio.Event()  # set while a started bot is polling

    async def start(self, timeout: float = 30.0) -> None:
        """Spawn the bot and wait until it polls the stand-in."""
        await self._old_poll_gone()
        path = self.workdir / f"bot-stderr-{len(self.stderr_paths)}.log"
        self.stderr_paths.append(path)
        with path.open("wb") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *self.argv, cwd=self.workdir, env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.standin.state.updates.waiting_polls == 0:
            if self.process.returncode is not None:
                raise RuntimeError(
                    f"the bot exited with {self.process.returncode} before polling: "
                    f"{path.read_text(errors='replace')[-2000:]}"
                )
            if loop.time() > deadline:
                raise TimeoutError(f"the bot did not poll within {timeout} s")
            with contextlib.suppress(TimeoutError):
                await self.standin.wait_polling(timeout=0.2)
        self.up.set()

    async def _old_poll_gone(self, timeout: float = 10.0) -> None:
        # A killed bot's long poll ends when the stand-in sees its connection close.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.standin.state.updates.waiting_polls and loop.time() < deadline:
            await asyncio.sleep(0.01)

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no last getUpdates confirming anything."""
        self.up.clear()
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait (SIGKILL if it hangs); the exit status."""
        self.up.clear()
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise

    def stderr_text(self) -> str:
        """Everything every started process wrote to stderr."""
        return "\n".join(p.read_text(errors="replace") for p in self.stderr_paths if p.exists())


# -- screens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A bot message read by meaning."""

    message: StoredMessage
    kind: str  # welcome, question, review, submitted, other
    nonce: int
    question: str | None = None
    resume: bool = False

    @property
    def position(self) -> int:
        """Where this screen is in the questionnaire (review is past the last question)."""
        if self.kind == "question" and self.question in ORDER:
            return ORDER.index(self.question)
        if self.kind in ("review", "submitted"):
            return len(ORDER)
        return -1


def read_screen(message: StoredMessage) -> Seen:
    """Classify a bot message: which screen, which question, its nonce."""
    presses = [PressEvent.decode(b.get("callback_data") or "") for b in message.buttons()]
    decoded = [p for p in presses if p is not None]
    nonce = max((p.nonce for p in decoded), default=-1)
    actions = {p.action for p in decoded}
    text = message.text or ""
    resume = RESUME in text
    if Action.BEGIN in actions:
        return Seen(message, "welcome", nonce, resume=resume)
    if Action.SUBMIT in actions or REVIEW in text:
        return Seen(message, "review", nonce, resume=resume)
    if Action.WIPE_YES in actions:
        return Seen(message, "submitted", nonce, resume=resume)
    for line in text.splitlines():
        if line.strip() in TITLES:
            return Seen(message, "question", nonce, TITLES[line.strip()], resume)
    return Seen(message, "other", nonce, resume=resume)


# -- one reporter ------------------------------------------------------------------------------


class Lost(Exception):
    """No reply in time: the bot was probably killed with the update."""


@dataclass(eq=False)
class CrashReporter:
    """One person answering FULL_REPORT through kills, by meaning."""

    standin: BotApiStandIn
    user: PlayUser
    bot: BotProcess
    on_ack: Callable[[], None]
    reply_timeout: float = 3.0
    acked: dict[str, Any] = field(default_factory=dict)
    frontier: int = -1  # position in ORDER of the furthest acknowledged answer
    began: bool = False  # the first question was shown after BEGIN: a case exists
    submit_sent: bool = False
    submitted: bool = False
    recoveries: int = 0
    updates_sent: int = 0
    problems: list[str] = field(default_factory=list)
    last: Seen | None = None
    nonce: int = -1  # newest nonce acted on

    def __post_init__(self) -> None:
        self._buttons = Reporter(self.standin, self.user)

    @property
    def name(self) -> str:
        """For messages."""
        return f"reporter {self.user.id}"

    # -- waiting ---------------------------------------------------------------------------

    async def _reply(self, *, to_start: bool) -> Seen:
        """The next screen that answers what was just sent; Lost if none comes in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise Lost
            try:
                message = await self.standin.next_bot_message(self.user, timeout=remaining)
            except TimeoutError:
                raise Lost from None
            seen = read_screen(message)
            # A redelivered update re-shows a screen already acted on: same nonce. (The welcome
            # screen of someone the bot keeps nothing about may always carry the same nonce.)
            if seen.nonce <= self.nonce and not (to_start and seen.kind == "welcome"):
                continue
            if to_start and not (seen.resume or seen.kind == "welcome"):
                continue  # a reply to an update sent before this /start
            if seen.resume and not to_start:
                continue  # a late reply to an older /start
            return seen

    async def _send(self, action: Callable[[], Any], *, to_start: bool = False) -> Seen:
        self.updates_sent += 1
        await action()
        return await self._reply(to_start=to_start)

    async def _press(
        self, action: Action, question: str | None = None, option: str | None = None
    ) -> Seen:
        assert self.last is not None
        self._buttons.last = self.last.message
        data = self._buttons.button_data(action, question, option)
        message = self.last.message
        self.nonce = max(self.nonce, self.last.nonce)
        return await self._send(lambda: self.standin.press_button(self.user, message, data=data))

    async def _text(self, text: str) -> Seen:
        assert self.last is not None
        self.nonce = max(self.nonce, self.last.nonce)
        return await self._send(lambda: self.standin.send_text(self.user, text))

    async def _toggle(self, question: str, option: str) -> None:
        """Tick or untick an option: the bot edits the message in place."""
        assert self.last is not None
        self._buttons.last = self.last.message
        data = self._buttons.button_data(Action.TOGGLE, question, option)
        message_id = self.last.message.message_id
        chat_id = self.user.id
        self.nonce = max(self.nonce, self.last.nonce)
        since = len(self.standin.state.events)
        self.updates_sent += 1
        query = await self.standin.press_button(self.user, self.last.message, data=data)

        def edited_or_refused(e: Event) -> bool:
            if e.kind == "edited":
                return e.chat_id == chat_id and e.message_id == message_id
            # A toast instead (the button went stale): no edit will come.
            answered = e.kind == "callback_answered" and e.data["callback_query_id"] == query
            return answered and bool(e.data.get("text"))

        try:
            event = await self.standin.wait_for(
                edited_or_refused, timeout=self.reply_timeout, since=since
            )
        except TimeoutError:
            raise Lost from None
        if event.kind != "edited":
            raise Lost
        edited = next(m for m in self.standin.transcript(self.user) if m.message_id == message_id)
        self.last = read_screen(edited)

    async def _drain(self) -> None:
        """Pass over the bot messages already here: replies to updates sent before now."""
        with contextlib.suppress(TimeoutError):
            while True:
                await self.standin.next_bot_message(self.user, timeout=0)

    async def _recover(self) -> Seen:
        """Wait for the bot to be back, then /start to be shown the current screen."""
        while True:
            self.recoveries += 1
            await self.bot.up.wait()
            await self.standin.wait_polling(timeout=30)
            # A late reply to an earlier /start must not pass for the reply to this one: its
            # buttons would be stale once this /start is handled, and pressing one would get
            # only a toast, then another /start, and so on.
            await self._drain()
            try:
                return await self._send(
                    lambda: self.standin.send_command(self.user, "/start"), to_start=True
                )
            except Lost:
                continue

    # -- the questionnaire -----------------------------------------------------------------

    def _note(self, problem: str) -> None:
        self.problems.append(f"{self.name}: {problem}")

    def _acknowledge(self, sent: str | None, seen: Seen) -> None:
        """A screen past the question just answered acknowledges that answer."""
        if sent is None or seen.position <= ORDER.index(sent):
            return
        for qid in ORDER[self.frontier + 1 : ORDER.index(sent) + 1]:
            if qid not in self.acked:
                self.acked[qid] = EXPECTED[qid]
                self.on_ack()
        self.frontier = max(self.frontier, ORDER.index(sent))

    async def _answer(self, question: str) -> Seen:
        value = EXPECTED[question]
        q = QUESTIONNAIRE.get(question)
        assert q is not None
        if value is SKIP:
            return await self._press(Action.SKIP, question)
        if value is UNKNOWN:
            return await self._press(Action.UNKNOWN, question)
        if q.type.value == "multi_choice":
            assert self.last is not None
            ticked = {
                (PressEvent.decode(b["callback_data"]) or PressEvent(0, Action.DONE)).option
                for b in self.last.message.buttons()
                if b["text"].startswith(MARK)
            }
            wanted = {[o.id for o in q.options].index(option) for option in value}
            for index in sorted(ticked ^ wanted):
                await self._toggle(question, q.options[index].id)
            return await self._press(Action.DONE, question)
        if q.options:
            return await self._press(Action.CHOOSE, question, value)
        return await self._text(value)

    async def run(self) -> None:
        """Start, answer everything, submit; recover from every kill on the way."""
        sent: str | None = None
        try:
            seen = await self._send(lambda: self.standin.send_command(self.user, "/start"))
        except Lost:
            seen = await self._recover()
        while True:
            self.last = seen
            self._acknowledge(sent, seen)
            sent = None
            try:
                if seen.kind == "welcome":
                    if self.submit_sent:
                        self.submitted = True  # /start after submission shows the welcome
                        return
                    if self.began:
                        self._note(f"shown the welcome screen after a case began: {self.acked}")
                    seen = await self._press(Action.BEGIN)
                    if seen.kind == "question":
                        self.began = True
                elif seen.kind == "question":
                    assert seen.question is not None
                    self.began = True
                    if seen.position <= self.frontier:
                        self._note(f"asked {seen.question} again after it was acknowledged")
                    sent = seen.question
                    seen = await self._answer(seen.question)
                elif seen.kind == "review":
                    self.began = True
                    if self.frontier < len(ORDER) - 1:
                        self._note(f"review shown at {self.frontier}: {seen.message.text!r}")
                    self.submit_sent = True
                    seen = await self._press(Action.SUBMIT)
                elif seen.kind == "submitted":
                    self.submitted = True
                    return
                else:
                    self._note(f"unexpected screen {seen.message.text!r}")
                    seen = await self._recover()
            except Lost:
                seen = await self._recover()


def answers_match(expected: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """What differs between acknowledged answers and the decrypted ones (empty: all there)."""
    wrong = []
    for qid, value in expected.items():
        if value is SKIP:
            if qid in stored:
                wrong.append(f"{qid}: skipped but stored")
        elif qid not in stored:
            wrong.append(f"{qid}: missing")
        elif value is UNKNOWN:
            if not is_unknown(stored[qid]):
                wrong.append(f"{qid}: {stored[qid]!r} is not 'unknown'")
        elif isinstance(stored[qid], str | list) and stored[qid] != value:
            wrong.append(f"{qid}: {stored[qid]!r} != {value!r}")
    return wrong
