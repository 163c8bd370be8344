"""The reporter conversation: one event in, state and answers changed, one screen out.

Everything here runs inside one storage transaction opened by the transport, so an answer, the
conversation state, the case's tier-0 completion and the outbox alert commit together or not
at all, before any reply is sent.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.cases import CaseStatus, Priority, Urgency, priority_for
from bot.domain.conversation import ConversationState
from bot.domain.intake_model import (
    Action,
    Command,
    CommandEvent,
    Event,
    FileEvent,
    Notice,
    PressEvent,
    Screen,
    ScreenKind,
    TextEvent,
    UnsupportedEvent,
)
from bot.domain.ports import CaseInfo, IntakeTransaction
from bot.domain.questionnaire.answers import UNKNOWN, Rejected, parse_typed, toggle
from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.questionnaire.parsing import ParseError, clean_text, person_key
from bot.domain.questionnaire.schema import CHOICE_TYPES, Question, QuestionType

# Steps that are shown once, then give way to the step the reporter came from (`back_to`).
TRANSIENT_STEPS = frozenset({"status_view", "no_case", "add_saved", "wiped", "kept", "cancelled"})
URGENCY_ORDER = {Urgency.NORMAL: 0, Urgency.HIGH: 1, Urgency.URGENT: 2}
FOLLOW_UP_MAX_LENGTH = 3000


@dataclass(frozen=True, slots=True)
class IntakePolicy:
    """Limits and defaults, from settings."""

    max_reports_per_day: int = 5
    max_open_reports: int = 3
    wipe_by_default: bool = False
    languages: tuple[str, ...] = ("ru", "uk", "kk", "en")


@dataclass
class _Turn:
    """Working data for one event."""

    tx: IntakeTransaction
    reporter_id: uuid.UUID
    state: ConversationState
    now: datetime
    message_id: int | None
    notices: list[Notice]
    answers: dict[str, Any] | None = None
    case: CaseInfo | None = None
    toast: str | None = None
    erased: bool = False

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def notice(self, key: str, **values: Any) -> None:
        self.notices.append(Notice(key, values))


class IntakeService:
    """Drives the questionnaire for one reporter event at a time."""

    def __init__(self, questionnaire: Questionnaire, policy: IntakePolicy | None = None) -> None:
        self.questionnaire = questionnaire
        self.policy = policy or IntakePolicy()

    # -- entry point -----------------------------------------------------------------------

    async def handle(
        self,
        tx: IntakeTransaction,
        reporter_id: uuid.UUID,
        event: Event,
        now: datetime,
        *,
        message_id: int | None = None,
        language: str | None = None,
    ) -> tuple[Screen, ConversationState | None]:
        """Apply one event; return the screen and the state to store (None once erased)."""
        state = await tx.load_conversation(reporter_id)
        if state is None:
            state = ConversationState(step="welcome", language=language, data={"nonce": 0})
        turn = _Turn(tx, reporter_id, state, now, message_id, [])
        await self._load_case(turn)
        if isinstance(event, PressEvent) and event.nonce != turn.data.get("nonce", 0):
            turn.toast = "err_stale_button"
            return await self._render(turn), turn.state
        if "first_message_id" not in turn.data and message_id is not None:
            turn.data["first_message_id"] = message_id
        before = ConversationState.from_dict(copy.deepcopy(turn.state.to_dict()))
        await self._dispatch(turn, event)
        if turn.erased:
            return await self._render(turn), None
        if isinstance(event, PressEvent) and turn.toast is not None:
            # A refused press changes nothing: the buttons on screen stay live.
            turn.state = before
            return await self._render(turn), before
        turn.data["nonce"] = int(turn.data.get("nonce", 0)) + 1
        screen = await self._render(turn)
        if turn.state.step == "wiped":
            # The chat is wiped up to here; the next wipe starts at the next message.
            turn.data.pop("first_message_id", None)
            turn.data.pop("wipe_code", None)
        if turn.state.step in TRANSIENT_STEPS:
            self._return(turn)  # shown once; the next message is handled by the resting step
        return screen, turn.state

    def without_reporter(self, event: Event, language: str | None) -> Screen | None:
        """The reply to someone we hold nothing about, if it needs no record of them.

        Asking for a status, to add or to erase, or for help must not create a reporter (after
        an erasure, /status must not bring back a trace of the person). None: handle() it.
        """
        if not isinstance(event, CommandEvent):
            return None
        base: dict[str, Any] = {"nonce": 0, "language": language}
        if event.command in (Command.STATUS, Command.ADD):
            return Screen(ScreenKind.NO_CASE, **base)
        if event.command is Command.ERASE:
            return Screen(ScreenKind.NOTHING_TO_ERASE, **base)
        if event.command is Command.HELP:
            return Screen(ScreenKind.WELCOME, notices=(Notice("help"),), **base)
        return None

    async def current_screen(
        self, tx: IntakeTransaction, reporter_id: uuid.UUID, now: datetime
    ) -> Screen:
        """The screen for the stored state, changing nothing (for a redelivered update)."""
        state = await tx.load_conversation(reporter_id) or ConversationState(data={"nonce": 0})
        turn = _Turn(tx, reporter_id, state, now, None, [])
        await self._load_case(turn)
        return await self._render(turn)

    def expects_file(self, state: ConversationState | None) -> bool:
        """Whether the next message may be a file worth downloading."""
        if state is None:
            return False
        if state.step == "adding":
            return True
        question = self.questionnaire.get(str(state.data.get("question", "")))
        return (
            state.step == "question" and question is not None and question.type is QuestionType.FILE
        )

    # -- dispatch --------------------------------------------------------------------------

    async def _dispatch(self, turn: _Turn, event: Event) -> None:
        if isinstance(event, CommandEvent):
            await self._command(turn, event.command)
            return
        step = turn.state.step
        handler = {
            "question": self._on_question,
            "review": self._on_review,
            "confirm_cancel": self._on_confirm_cancel,
            "confirm_erase": self._on_confirm_erase,
            "submitted": self._on_submitted,
            "adding": self._on_adding,
            "choose_language": self._on_choose_language,
        }.get(step, self._on_welcome)
        await handler(turn, event)

    async def _command(self, turn: _Turn, command: Command) -> None:
        step = turn.state.step
        if command is Command.START:
            resting = step if step in ("question", "review") else turn.data.get("back_to")
            if resting in ("question", "review") and turn.case is not None:
                turn.data.pop("back_to", None)
                self._go(turn, str(resting))
                turn.notice("resume")
            else:
                self._go(turn, "welcome")
        elif command is Command.HELP:
            turn.notice("help")
        elif command is Command.CANCEL:
            if step in ("question", "review"):
                self._go(turn, "confirm_cancel", back_to=step)
            else:
                turn.notice("help")
        elif command is Command.LANGUAGE:
            self._go(turn, "choose_language", back_to=step)
        elif command is Command.STATUS:
            self._go(turn, "status_view", back_to=step)
        elif command is Command.ADD:
            latest = await turn.tx.latest_case(turn.reporter_id)
            if latest is None:
                self._go(turn, "no_case", back_to=step)
            else:
                self._go(turn, "adding", add_case=str(latest.id), back_to=step)
        elif command is Command.ERASE:
            self._go(turn, "confirm_erase", back_to=step)
        elif command is Command.WIPE:
            self._go(turn, "wiped", back_to=step)

    def _go(self, turn: _Turn, step: str, **data: Any) -> None:
        turn.state = turn.state.moved_to(step)
        turn.data.update(data)

    def _return(self, turn: _Turn) -> None:
        back = str(turn.data.pop("back_to", "welcome"))
        if back not in ("question", "review", "submitted", "welcome", "adding"):
            back = "welcome"
        if back in ("question", "review") and turn.case is None:
            back = "welcome"
        turn.state = turn.state.moved_to(back)

    # -- welcome and start -----------------------------------------------------------------

    async def _on_welcome(self, turn: _Turn, event: Event) -> None:
        if isinstance(event, PressEvent) and event.action is Action.BEGIN:
            await self._begin(turn)
        elif isinstance(event, PressEvent):
            turn.toast = "err_stale_button"
        else:
            self._go(turn, "welcome")

    async def _begin(self, turn: _Turn) -> None:
        since = turn.now - timedelta(days=1)
        if (
            await turn.tx.count_cases(turn.reporter_id, since=since)
            >= self.policy.max_reports_per_day
        ):
            turn.notice("err_too_many_today")
            self._go(turn, "welcome")
            return
        if (
            await turn.tx.count_cases(turn.reporter_id, open_only=True)
            >= self.policy.max_open_reports
        ):
            turn.notice("err_too_many_open")
            self._go(turn, "welcome")
            return
        case = await turn.tx.create_case(turn.reporter_id, self.questionnaire.version)
        turn.case, turn.answers = case, {}
        first = self.questionnaire.first({}, turn.now)
        turn.state = turn.state.moved_to("question", case_id=str(case.id))
        for key in ("history", "skipped", "selected", "editing", "back_to", "add_case"):
            turn.data.pop(key, None)
        turn.data["question"] = first.id

    # -- questions -------------------------------------------------------------------------

    def _current(self, turn: _Turn) -> Question | None:
        return self.questionnaire.get(str(turn.data.get("question", "")))

    async def _on_question(self, turn: _Turn, event: Event) -> None:
        question = self._current(turn)
        if question is None or turn.case is None:
            self._go(turn, "welcome")
            return
        if isinstance(event, TextEvent):
            parsed = parse_typed(question, event.text, turn.now)
            if isinstance(parsed, Rejected):
                turn.notice(parsed.key, **dict(parsed.values))
            else:
                await self._answer(turn, question, parsed)
        elif isinstance(event, FileEvent):
            await self._add_file(turn, question, event.attachment_id)
        elif isinstance(event, UnsupportedEvent):
            choice = question.type in CHOICE_TYPES
            turn.notice("err_use_buttons" if choice and event.reason == "err_text_expected"
                        else event.reason)  # fmt: skip
        elif isinstance(event, PressEvent):
            await self._press_on_question(turn, question, event)

    async def _press_on_question(self, turn: _Turn, question: Question, press: PressEvent) -> None:
        action = press.action
        if action is Action.BACK:
            await self._back(turn)
            return
        if action is Action.CANCEL:
            self._go(turn, "confirm_cancel", back_to="question")
            return
        if press.question != self.questionnaire.index(question.id):
            turn.toast = "err_stale_button"
            return
        option = (
            question.options[press.option] if 0 <= press.option < len(question.options) else None
        )
        if (
            action is Action.CHOOSE
            and option is not None
            and question.type is not QuestionType.MULTI_CHOICE
        ):
            await self._answer(turn, question, option.id)
        elif (
            action is Action.TOGGLE
            and option is not None
            and question.type is QuestionType.MULTI_CHOICE
        ):
            selected = list(turn.data.get("selected", []))
            turn.data["selected"] = toggle(question, selected, option.id)
        elif action is Action.DONE and question.type is QuestionType.MULTI_CHOICE:
            selected = list(turn.data.get("selected", []))
            if selected:
                await self._answer(turn, question, selected)
            else:
                turn.notice("err_choose_one")
        elif action is Action.DONE and question.type is QuestionType.FILE:
            answers = await self._answers(turn)
            if answers.get(question.id) or not question.required:
                if not answers.get(question.id):
                    await self._skip(turn, question)
                else:
                    await self._advance(turn, question)
            else:
                turn.notice("err_file_expected")
        elif action is Action.SKIP and not question.required:
            await self._skip(turn, question)
        elif action is Action.UNKNOWN and question.allow_unknown:
            await self._answer(turn, question, UNKNOWN)
        else:
            turn.toast = "err_stale_button"

    async def _add_file(self, turn: _Turn, question: Question, attachment_id: str) -> None:
        if question.type is not QuestionType.FILE or turn.case is None:
            turn.notice("err_text_expected")
            return
        answers = await self._answers(turn)
        files = list(answers.get(question.id) or [])
        if len(files) >= question.max_files:
            turn.notice("err_file_too_many")
            return
        if not await turn.tx.attach_file(turn.case.id, attachment_id):
            turn.notice("err_file_expected")
            return
        files.append(attachment_id)
        await turn.tx.put_answer(turn.case.id, question.id, files)
        answers[question.id] = files
        turn.notice("file_received", n=len(files))

    async def _answers(self, turn: _Turn) -> dict[str, Any]:
        if turn.answers is None:
            turn.answers = await turn.tx.case_answers(turn.case.id) if turn.case else {}
        return turn.answers

    async def _answer(self, turn: _Turn, question: Question, value: Any) -> None:
        assert turn.case is not None
        answers = await self._answers(turn)  # first: storage then replaces without a lookup
        await turn.tx.put_answer(turn.case.id, question.id, value)
        answers[question.id] = value
        turn.data["skipped"] = [s for s in turn.data.get("skipped", []) if s != question.id]
        await self._advance(turn, question)

    async def _skip(self, turn: _Turn, question: Question) -> None:
        assert turn.case is not None
        await turn.tx.delete_answer(turn.case.id, question.id)
        answers = await self._answers(turn)
        answers.pop(question.id, None)
        skipped = [s for s in turn.data.get("skipped", []) if s != question.id]
        turn.data["skipped"] = [*skipped, question.id]
        await self._advance(turn, question)

    async def _advance(self, turn: _Turn, question: Question) -> None:
        assert turn.case is not None
        answers = await self._answers(turn)
        turn.data.pop("selected", None)
        await self._forget_moot(turn, answers)
        await self._update_case(turn, answers)
        history = [h for h in turn.data.get("history", []) if h != question.id]
        turn.data["history"] = [*history, question.id]
        if turn.data.get("editing"):
            # An edit from the review: ask only what it opened, then the review again.
            skipped = list(turn.data.get("skipped", []))
            opened = self.questionnaire.first_open(answers, skipped, turn.now)
            if opened is None:
                turn.data.pop("editing", None)
                self._go(turn, "review")
            else:
                turn.data["question"] = opened.id
                self._prefill_selection(turn, opened, answers)
            return
        following = self.questionnaire.next_after(question.id, answers, turn.now)
        if following is None:
            self._go(turn, "review")
        else:
            turn.data["question"] = following.id
            self._prefill_selection(turn, following, answers)

    async def _forget_moot(self, turn: _Turn, answers: dict[str, Any]) -> None:
        """Delete answers to questions that no longer apply (a changed answer closed them).

        The reporter may have taken a phone number back by choosing "Only through this chat";
        it must not stay stored. Conditions only look at earlier questions, so one pass in
        question order sees every earlier answer already cleaned.
        """
        assert turn.case is not None
        for question in self.questionnaire.questions:
            if question.id in answers and not self.questionnaire.applies(
                question, answers, turn.now
            ):
                await turn.tx.delete_answer(turn.case.id, question.id)
                del answers[question.id]

    def _prefill_selection(self, turn: _Turn, question: Question, answers: dict[str, Any]) -> None:
        previous = answers.get(question.id)
        if question.type is QuestionType.MULTI_CHOICE and isinstance(previous, list):
            turn.data["selected"] = list(previous)

    async def _update_case(self, turn: _Turn, answers: dict[str, Any]) -> None:
        """Tier 0 complete: the case goes live and the alert is queued. Later: urgency rises."""
        case = turn.case
        assert case is not None
        skipped = list(turn.data.get("skipped", []))
        urgency = self.questionnaire.urgency(answers, turn.now)
        if case.status is CaseStatus.DRAFT:
            if not self.questionnaire.tier_complete(0, answers, skipped, turn.now):
                return
            await turn.tx.complete_tier0(case.id, urgency, self._person_key(answers), turn.now)
            await turn.tx.enqueue_case_event(case.id, "alert", priority_for(urgency))
            turn.case = CaseInfo(case.id, case.code, CaseStatus.NEW, urgency)
            turn.notice("alerting")
        elif URGENCY_ORDER[urgency] > URGENCY_ORDER[case.urgency]:
            await turn.tx.set_urgency(case.id, urgency)
            await turn.tx.enqueue_case_event(case.id, "urgency_raised", priority_for(urgency))
            turn.case = CaseInfo(case.id, case.code, case.status, urgency)

    def _person_key(self, answers: dict[str, Any]) -> str | None:
        name_q = self.questionnaire.by_role("person_name")
        dob_q = self.questionnaire.by_role("person_dob")
        name = answers.get(name_q.id) if name_q else None
        if not isinstance(name, str):
            return None
        dob = answers.get(dob_q.id) if dob_q else None
        birth = dob.get("date") if isinstance(dob, dict) else None
        return person_key(name, birth if isinstance(birth, str) else None)

    async def _back(self, turn: _Turn) -> None:
        if turn.data.pop("editing", False):
            self._go(turn, "review")  # an edit from the review goes back to the review
            return
        history = list(turn.data.get("history", []))
        if not history:
            turn.toast = "err_stale_button"
            return
        previous = history.pop()
        turn.data["history"] = history
        turn.data["question"] = previous
        turn.data.pop("editing", None)
        question = self.questionnaire.get(previous)
        if question is not None:
            self._prefill_selection(turn, question, await self._answers(turn))

    # -- review, cancel, submit ------------------------------------------------------------

    async def _on_review(self, turn: _Turn, event: Event) -> None:
        if not isinstance(event, PressEvent) or turn.case is None:
            if isinstance(event, TextEvent | FileEvent | UnsupportedEvent):
                turn.notice("err_use_buttons")
            return
        if event.action is Action.EDIT:
            question = self.questionnaire.at(event.question)
            answers = await self._answers(turn)
            if question is None or question not in self.questionnaire.applicable(answers, turn.now):
                turn.toast = "err_stale_button"
                return
            self._go(turn, "question", question=question.id, editing=True)
            self._prefill_selection(turn, question, await self._answers(turn))
        elif event.action is Action.CANCEL:
            self._go(turn, "confirm_cancel", back_to="review")
        elif event.action is Action.SUBMIT:
            await self._submit(turn)
        else:
            turn.toast = "err_stale_button"

    async def _submit(self, turn: _Turn) -> None:
        case = turn.case
        assert case is not None
        answers = await self._answers(turn)
        skipped = list(turn.data.get("skipped", []))
        first_open = self.questionnaire.first_open(answers, skipped, turn.now)
        if first_open is not None:  # the definition changed, or a condition opened a question
            self._go(turn, "question", question=first_open.id, editing=True)
            self._prefill_selection(turn, first_open, answers)
            return
        await turn.tx.mark_submitted(case.id, turn.now)
        await turn.tx.enqueue_case_event(case.id, "submitted", Priority.NORMAL)
        turn.data["submitted_case"] = str(case.id)
        turn.data["submitted_code"] = case.code
        if self.policy.wipe_by_default:
            # The reporter never saw the code: the one message left in the chat carries it.
            self._go(turn, "wiped", back_to="submitted", wipe_code=case.code)
        else:
            self._go(turn, "submitted")

    async def _on_confirm_cancel(self, turn: _Turn, event: Event) -> None:
        if isinstance(event, PressEvent) and event.action is Action.CANCEL_YES:
            if turn.case is not None:
                await turn.tx.shred_case(turn.case.id)
            turn.case, turn.answers = None, None
            turn.state = ConversationState(
                step="cancelled",
                language=turn.state.language,
                data={"nonce": turn.data.get("nonce", 0),
                      "first_message_id": turn.data.get("first_message_id"),
                      "back_to": "welcome"},
            )  # fmt: skip
        elif isinstance(event, PressEvent) and event.action is Action.CANCEL_NO:
            self._return(turn)
        elif isinstance(event, PressEvent):
            turn.toast = "err_stale_button"

    async def _on_confirm_erase(self, turn: _Turn, event: Event) -> None:
        if isinstance(event, PressEvent) and event.action is Action.ERASE_YES:
            await turn.tx.erase_reporter(turn.reporter_id)
            turn.erased = True
        elif isinstance(event, PressEvent) and event.action is Action.ERASE_NO:
            self._return(turn)
        elif isinstance(event, PressEvent):
            turn.toast = "err_stale_button"

    # -- after submission ------------------------------------------------------------------

    async def _on_submitted(self, turn: _Turn, event: Event) -> None:
        if isinstance(event, PressEvent) and event.action is Action.WIPE_YES:
            self._go(turn, "wiped", back_to="submitted")
        elif isinstance(event, PressEvent) and event.action is Action.WIPE_NO:
            self._go(turn, "kept", back_to="submitted")
        elif isinstance(event, PressEvent) and event.action is Action.BEGIN:
            await self._begin(turn)
        elif isinstance(event, PressEvent):
            turn.toast = "err_stale_button"
        else:
            turn.notice("help")

    async def _on_adding(self, turn: _Turn, event: Event) -> None:
        case_id = uuid.UUID(str(turn.data.get("add_case")))
        case = await turn.tx.case_info(case_id)
        if case is None:
            self._go(turn, "no_case")
            return
        if isinstance(event, TextEvent):
            text = clean_text(event.text, max_length=FOLLOW_UP_MAX_LENGTH)
            if isinstance(text, ParseError):
                key = "err_text_too_long" if text.code == "text.too_long" else "err_text_empty"
                turn.notice(key, max=FOLLOW_UP_MAX_LENGTH)
                return
            await self._add_follow_up(turn, case, "text", text)
        elif isinstance(event, FileEvent):
            if await turn.tx.attach_file(case.id, event.attachment_id):
                await self._add_follow_up(turn, case, "file", event.attachment_id)
            else:
                turn.notice("err_file_expected")
        elif isinstance(event, UnsupportedEvent):
            turn.notice(event.reason)
        else:
            turn.toast = "err_stale_button"

    async def _add_follow_up(self, turn: _Turn, case: CaseInfo, kind: str, value: str) -> None:
        answers = await turn.tx.case_answers(case.id)
        number = 1 + sum(1 for key in answers if key.startswith("followup_"))
        await turn.tx.put_answer(
            case.id,
            f"followup_{number:03d}",
            {"kind": kind, "value": value, "at": turn.now.isoformat()},
        )
        await turn.tx.enqueue_case_event(case.id, "follow_up", Priority.NORMAL)
        back = turn.data.get("back_to") or "submitted"  # /add may interrupt a new report
        self._go(turn, "add_saved", saved_code=case.code, back_to=back)

    async def _on_choose_language(self, turn: _Turn, event: Event) -> None:
        languages = self.policy.languages
        if isinstance(event, PressEvent):
            if event.action is not Action.LANGUAGE or not 0 <= event.option < len(languages):
                turn.toast = "err_stale_button"
                return
            turn.state = turn.state.moved_to(turn.state.step, language=languages[event.option])
            turn.notice("language_set")
        self._return(turn)

    # -- rendering -------------------------------------------------------------------------

    async def _load_case(self, turn: _Turn) -> None:
        case_id = turn.state.case_id
        if case_id is None:
            return
        turn.case = await turn.tx.case_info(uuid.UUID(case_id))
        if turn.case is None and turn.state.step in ("question", "review", "confirm_cancel"):
            # The draft was shredded (abandoned, or erased elsewhere): start afresh.
            turn.state = ConversationState(
                step="welcome", language=turn.state.language,
                data={"nonce": turn.data.get("nonce", 0),
                      "first_message_id": turn.data.get("first_message_id")},
            )  # fmt: skip

    async def _render(self, turn: _Turn) -> Screen:
        base: dict[str, Any] = {
            "nonce": int(turn.data.get("nonce", 0)),
            "notices": tuple(turn.notices),
            "toast": turn.toast,
            "language": turn.state.language,
        }
        if turn.erased:
            return Screen(ScreenKind.ERASED, **base)
        step = turn.state.step
        if step == "question":
            question = self._current(turn)
            if question is not None and turn.case is not None:
                answers = await self._answers(turn)
                return Screen(
                    ScreenKind.QUESTION,
                    question=question,
                    progress=self.questionnaire.progress(question, answers, turn.now),
                    selected=tuple(turn.data.get("selected", [])),
                    files=len(answers.get(question.id) or [])
                    if question.type is QuestionType.FILE
                    else 0,
                    answers={question.id: answers[question.id]} if question.id in answers else {},
                    can_go_back=bool(turn.data.get("history")),
                    case_code=turn.case.code,
                    **base,
                )
        if step == "review" and turn.case is not None:
            answers = await self._answers(turn)
            return Screen(
                ScreenKind.REVIEW,
                answers=self.questionnaire.relevant(answers, turn.now),
                review=tuple(self.questionnaire.applicable(answers, turn.now)),
                skipped=tuple(turn.data.get("skipped", [])),
                case_code=turn.case.code,
                **base,
            )
        if step in ("submitted", "wiped", "kept"):
            wipe = step == "wiped"
            kind = {"submitted": ScreenKind.SUBMITTED, "wiped": ScreenKind.WIPED,
                    "kept": ScreenKind.KEPT}[step]  # fmt: skip
            code_key = "wipe_code" if wipe else "submitted_code"  # a wipe keeps no code unasked
            return Screen(
                kind,
                case_code=turn.data.get(code_key),
                wipe_from=turn.data.get("first_message_id") if wipe else None,
                wipe_to=turn.message_id if wipe else None,
                **base,
            )
        if step == "status_view":
            latest = await turn.tx.latest_case(turn.reporter_id)
            if latest is None:
                return Screen(ScreenKind.NO_CASE, **base)
            return Screen(
                ScreenKind.STATUS, case_code=latest.code, case_status=latest.status.value, **base
            )
        simple = {
            "confirm_cancel": ScreenKind.CONFIRM_CANCEL,
            "cancelled": ScreenKind.CANCELLED,
            "confirm_erase": ScreenKind.CONFIRM_ERASE,
            "choose_language": ScreenKind.CHOOSE_LANGUAGE,
            "no_case": ScreenKind.NO_CASE,
            "adding": ScreenKind.ADD_PROMPT,
            "add_saved": ScreenKind.ADD_SAVED,
        }
        if step in simple:
            code = turn.data.get("saved_code")
            if step == "adding" and turn.data.get("add_case"):
                added = await turn.tx.case_info(uuid.UUID(str(turn.data["add_case"])))
                code = added.code if added else None
            return Screen(simple[step], case_code=code, **base)
        return Screen(ScreenKind.WELCOME, **base)
