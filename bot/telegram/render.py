"""Screens to Telegram messages: text (HTML, everything escaped) and inline keyboards."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.intake_model import Action, PressEvent, Screen, ScreenKind
from bot.domain.questionnaire.answers import is_unknown
from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.questionnaire.schema import Question, QuestionType
from bot.i18n import LANGUAGE_NAMES, Translator

MAX_TEXT = 4000  # under Telegram's 4096, leaving room for entities
REVIEW_ANSWER_MAX = 160
# Ever shorter (title, answer) clips, until a review of many long answers fits one message.
REVIEW_CLIPS = ((80, REVIEW_ANSWER_MAX), (60, 80), (50, 40), (40, 20), (30, 10))
BUTTON_LABEL_MAX = 48


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _button(
    label: str, nonce: int, action: Action, question: int = -1, option: int = -1
) -> InlineKeyboardButton:
    data = PressEvent(nonce, action, question, option).encode()
    return InlineKeyboardButton(_clip(label, BUTTON_LABEL_MAX), callback_data=data)


class Renderer:
    """Renders screens in one language."""

    def __init__(self, questionnaire: Questionnaire, tr: Translator) -> None:
        self.q = questionnaire
        self.tr = tr

    # -- answers -------------------------------------------------------------------------

    def answer_text(self, question: Question, value: Any) -> str:
        """A stored answer as the reporter would read it (plain text, not escaped)."""
        if is_unknown(value):
            return self.tr.ui("review_unknown")
        if question.type is QuestionType.FILE:
            return self.tr.ui("review_files", n=len(value or []))
        if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO_UNKNOWN):
            option = question.option(str(value))
            return self.tr.option(question, option) if option else str(value)
        if question.type is QuestionType.MULTI_CHOICE and isinstance(value, list):
            labels = [self.tr.option(question, o) for o in question.options if o.id in value]
            return ", ".join(labels)
        if question.type is QuestionType.DATE and isinstance(value, dict):
            shown = date.fromisoformat(str(value.get("date"))).strftime("%d.%m.%Y")
            return f"~{shown}" if value.get("approximate") else shown
        if question.type is QuestionType.DATETIME and isinstance(value, dict):
            moment = datetime.fromisoformat(str(value.get("at")))
            shown = moment.strftime("%d.%m.%Y %H:%M" if value.get("has_time", True) else "%d.%m.%Y")
            return f"~{shown}" if value.get("approximate") else shown
        return str(value)

    # -- screens -------------------------------------------------------------------------

    def render(self, screen: Screen) -> Reply:
        """The message for a screen, with its notices on top.

        The text is HTML, so it is never cut: a cut could split a tag or an entity, which
        Telegram refuses, leaving the reporter without a screen. A review shortens its answers
        to fit instead.
        """
        notices = [html.escape(self.tr.ui(n.key, **n.values)) for n in screen.notices]
        room = MAX_TEXT - sum(len(notice) + 2 for notice in notices)
        body, markup = self._body(screen, room)
        text = "\n\n".join([*notices, body]) if body else "\n\n".join(notices)
        return Reply(text or "…", markup)

    def _body(self, screen: Screen, room: int) -> tuple[str, InlineKeyboardMarkup | None]:
        kind, n = screen.kind, screen.nonce
        ui = self.tr.ui
        if kind is ScreenKind.QUESTION and screen.question is not None:
            return self._question(screen, screen.question)
        if kind is ScreenKind.REVIEW:
            return self._review(screen, room)
        if kind is ScreenKind.WELCOME:
            return html.escape(ui("welcome")), InlineKeyboardMarkup(
                [[_button(ui("start_report"), n, Action.BEGIN)]]
            )
        if kind is ScreenKind.CONFIRM_CANCEL:
            return html.escape(ui("cancel_confirm")), InlineKeyboardMarkup(
                [[_button(ui("cancel_yes"), n, Action.CANCEL_YES)],
                 [_button(ui("cancel_no"), n, Action.CANCEL_NO)]]
            )  # fmt: skip
        if kind is ScreenKind.CONFIRM_ERASE:
            return html.escape(ui("erase_confirm")), InlineKeyboardMarkup(
                [[_button(ui("erase_yes"), n, Action.ERASE_YES)],
                 [_button(ui("erase_no"), n, Action.ERASE_NO)]]
            )  # fmt: skip
        if kind is ScreenKind.SUBMITTED:
            text = ui("submitted", code=screen.case_code or "") + "\n\n" + ui("wipe_offer")
            return html.escape(text), InlineKeyboardMarkup(
                [[_button(ui("wipe_yes"), n, Action.WIPE_YES)],
                 [_button(ui("wipe_no"), n, Action.WIPE_NO)]]
            )  # fmt: skip
        if kind is ScreenKind.CHOOSE_LANGUAGE:
            buttons = [
                [_button(LANGUAGE_NAMES[lang], n, Action.LANGUAGE, option=i)]
                for i, lang in enumerate(LANGUAGE_NAMES)
            ]
            return html.escape(ui("choose_language")), InlineKeyboardMarkup(buttons)
        if kind is ScreenKind.WIPED:
            if screen.case_code:
                return html.escape(ui("wiped_with_code", code=screen.case_code)), None
            return html.escape(ui("wiped")), None
        if kind is ScreenKind.STATUS:
            status = ui(f"status_{screen.case_status}")
            return html.escape(ui("status", code=screen.case_code or "", status=status)), None
        if kind is ScreenKind.ADD_PROMPT:
            return html.escape(ui("add_prompt", code=screen.case_code or "")), None
        if kind is ScreenKind.ADD_SAVED:
            return html.escape(ui("add_saved", code=screen.case_code or "")), None
        keys = {
            ScreenKind.CANCELLED: "cancelled",
            ScreenKind.KEPT: "kept",
            ScreenKind.NO_CASE: "no_case",
            ScreenKind.ERASED: "erased",
            ScreenKind.NOTHING_TO_ERASE: "nothing_to_erase",
            ScreenKind.HELP: "help",
        }
        key = keys.get(kind)
        return (html.escape(ui(key)) if key else ""), None

    def _question(self, screen: Screen, question: Question) -> tuple[str, InlineKeyboardMarkup]:
        ui, n = self.tr.ui, screen.nonce
        qi = self.q.index(question.id)
        lines = []
        if screen.progress:
            position, total = screen.progress
            lines.append(f"<i>{html.escape(ui('progress', n=position, total=total))}</i>")
        lines.append(f"<b>{html.escape(self.tr.question(question))}</b>")
        hint = self.tr.hint(question)
        if hint:
            lines.append(html.escape(hint))
        current = screen.answers.get(question.id)
        if current is not None and question.type not in (
            QuestionType.MULTI_CHOICE,
            QuestionType.FILE,
        ):
            shown = _clip(self.answer_text(question, current), REVIEW_ANSWER_MAX)
            lines.append(f"<i>{html.escape(ui('current_answer', answer=shown))}</i>")
        rows: list[list[InlineKeyboardButton]] = []
        if question.type is QuestionType.MULTI_CHOICE:
            mark = ui("selected_mark")
            for i, option in enumerate(question.options):
                label = self.tr.option(question, option)
                prefix = f"{mark} " if option.id in screen.selected else ""
                rows.append([_button(prefix + label, n, Action.TOGGLE, qi, i)])
            rows.append([_button(ui("done"), n, Action.DONE, qi)])
        elif question.options:
            rows.extend(
                [_button(self.tr.option(question, option), n, Action.CHOOSE, qi, i)]
                for i, option in enumerate(question.options)
            )
        if question.type is QuestionType.FILE and screen.files:
            rows.append([_button(ui("done"), n, Action.DONE, qi)])
        extra = []
        if question.allow_unknown and question.type not in (QuestionType.YES_NO_UNKNOWN,):
            extra.append(_button(ui("unknown"), n, Action.UNKNOWN, qi))
        if not question.required and not (question.type is QuestionType.FILE and screen.files):
            extra.append(_button(ui("skip"), n, Action.SKIP, qi))
        if extra:
            rows.append(extra)
        nav = [_button(ui("cancel"), n, Action.CANCEL)]
        if screen.can_go_back:
            nav.insert(0, _button(ui("back"), n, Action.BACK))
        rows.append(nav)
        return "\n".join(lines), InlineKeyboardMarkup(rows)

    def _review(self, screen: Screen, room: int) -> tuple[str, InlineKeyboardMarkup]:
        ui, n = self.tr.ui, screen.nonce
        entries: list[tuple[str, str]] = []
        rows: list[list[InlineKeyboardButton]] = []
        for question in screen.review:
            if question.id in screen.answers:
                shown = self.answer_text(question, screen.answers[question.id])
            elif question.id in screen.skipped:
                shown = ui("review_skipped")
            else:
                continue
            title = self.tr.question(question)
            entries.append((title, shown))
            rows.append([_button("✎ " + title, n, Action.EDIT, self.q.index(question.id))])
        rows.append([_button(ui("review_submit"), n, Action.SUBMIT)])
        rows.append([_button(ui("cancel"), n, Action.CANCEL)])
        header = f"<b>{html.escape(ui('review_title'))}</b>\n"
        for title_max, answer_max in REVIEW_CLIPS:
            lines = [
                f"<b>{html.escape(_clip(title, title_max))}</b>\n"
                f"{html.escape(_clip(shown, answer_max))}"
                for title, shown in entries
            ]
            text = "\n".join([header, *lines])
            if len(text) <= room:
                break
        return text, InlineKeyboardMarkup(rows)
