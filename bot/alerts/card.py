"""The case card in the lawyers' chat: what a lawyer needs to decide to go, nothing more.

Names and phone numbers stay out of the group unless the operator chose the FULL level (and
phone numbers never appear); "Details" sends the whole file privately to authorised staff.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.alerts.callbacks import CallbackCodec
from bot.domain.alerting import ALERTABLE, CardLevel, ClaimAction
from bot.domain.cases import Urgency
from bot.domain.questionnaire.answers import is_unknown
from bot.domain.questionnaire.flow import Questionnaire
from bot.i18n import Translator
from bot.telegram.render import Renderer
from storage.repositories.alerts import CaseAlertState

MARKS = {Urgency.URGENT: "🔴", Urgency.HIGH: "🟠", Urgency.NORMAL: "⚪"}
OPEN = ALERTABLE
# "Write to reporter" is a staff button (bot/staff/presses.py, verb "c"); "p" asks for the
# prompt in a new message, so the page or the details it was pressed on stay as they are.
CONTACT_VERB = "Sc"
CONTACT_FROM_MESSAGE = "p"


def contact_button(code: str, label: str) -> InlineKeyboardButton:
    """The button that lets the one holding a case (or a coordinator) write to its reporter."""
    data = f"{CONTACT_VERB}{code.replace('-', '')}{CONTACT_FROM_MESSAGE}"
    return InlineKeyboardButton(label, callback_data=data)


class CardRenderer:
    """Renders cards, digest lines and private details in one language."""

    def __init__(
        self, questionnaire: Questionnaire, tr: Translator, codec: CallbackCodec, level: CardLevel
    ) -> None:
        self.q = questionnaire
        self.tr = tr
        self.codec = codec
        self.level = level
        self.answers_renderer = Renderer(questionnaire, tr)

    def _answer(self, role: str, answers: dict[str, Any]) -> str | None:
        question = self.q.by_role(role)
        if question is None or question.id not in answers:
            return None
        value = answers[question.id]
        if is_unknown(value):
            return None
        return self.answers_renderer.answer_text(question, value)

    def _moment(self, role: str, answers: dict[str, Any]) -> datetime | None:
        question = self.q.by_role(role)
        value = answers.get(question.id) if question else None
        if isinstance(value, dict) and isinstance(value.get("at"), str):
            return datetime.fromisoformat(value["at"])
        return None

    def headline(self, case: CaseAlertState, answers: dict[str, Any]) -> str:
        """One line: mark, urgency, code, city (digest entries and pages)."""
        urgency = self.tr.alert(f"urgency_{case.urgency.value}")
        city = self._answer("city", answers) or "?"
        return f"{MARKS[case.urgency]} {urgency} · {case.code} · {city}"

    def lines(self, case: CaseAlertState, answers: dict[str, Any], now: datetime) -> list[str]:
        """The card's facts, as plain text lines (escape before sending as HTML)."""
        alert = self.tr.alert
        lines = [self.headline(case, answers)]
        if self.level is not CardLevel.MINIMAL:
            held = self._answer("held_at", answers)
            details = self._answer("held_at_details", answers)
            if held:
                lines.append(alert("card_held", place=f"{held} ({details})" if details else held))
            since = self._moment("detained_at", answers)
            if since is not None:
                hours = max(0, int((now - since).total_seconds() // 3600))
                lines.append(alert("card_since", when=since.strftime("%d.%m %H:%M"), hours=hours))
            for role, key, name in (
                ("agency", "card_agency", "agency"),
                ("lawyer_status", "card_lawyer", "lawyer"),
                ("citizenship", "card_citizenship", "citizenship"),
                ("removal_talk", "card_removal_talk", "removal"),
                ("urgent_flags", "card_flags", "flags"),
            ):
                value = self._answer(role, answers)
                if value:
                    lines.append(alert(key, **{name: value}))
            removal = self._moment("removal_time", answers)
            if removal is not None:
                hours = int((removal - now).total_seconds() // 3600)
                key = "card_removal_at" if hours >= 0 else "card_removal_past"
                lines.append(alert(key, when=removal.strftime("%d.%m %H:%M"), hours=hours))
        if self.level is CardLevel.FULL:
            person = self._answer("person_name", answers)
            born = self._answer("person_dob", answers)
            if person:
                lines.append(alert("card_name", name=person))
            if born:
                lines.append(alert("card_dob", dob=born))
        if case.report_count > 1:
            lines.append(alert("card_reports", n=case.report_count))
        lines.append(alert("card_status", status=self.tr.ui(f"status_{case.status.value}")))
        return lines

    def card(
        self,
        case: CaseAlertState,
        answers: dict[str, Any],
        now: datetime,
        taker: str | None,
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        """The card's HTML text and buttons."""
        lines = self.lines(case, answers, now)
        claim = (
            self.tr.alert("card_taken_by", name=taker) if taker else self.tr.alert("card_unclaimed")
        )
        if case.progress:
            claim += f" · {self.tr.alert(f'card_progress_{case.progress}')}"
        text = (
            "<b>" + html.escape(lines[0]) + "</b>\n" + html.escape("\n".join([*lines[1:], claim]))
        )
        return text, self.buttons(case, taker is not None)

    def buttons(self, case: CaseAlertState, taken: bool) -> InlineKeyboardMarkup | None:
        """Take/Decline/Details while open and unclaimed; progress buttons once taken."""
        if case.status not in OPEN:
            return None
        alert = self.tr.alert

        def button(label: str, action: ClaimAction) -> InlineKeyboardButton:
            return InlineKeyboardButton(label, callback_data=self.codec.encode(action, case.code))

        if not taken:
            rows = [
                [
                    button(alert("btn_take"), ClaimAction.TAKE),
                    button(alert("btn_decline"), ClaimAction.DECLINE),
                ],
                [button(alert("btn_details"), ClaimAction.DETAILS)],
            ]
        else:
            rows = [
                [button(alert("btn_in_contact"), ClaimAction.IN_CONTACT),
                 button(alert("btn_on_site"), ClaimAction.ON_SITE)],
                [button(alert("btn_details"), ClaimAction.DETAILS),
                 button(alert("btn_resolve"), ClaimAction.RESOLVE)],
            ]  # fmt: skip
        return InlineKeyboardMarkup(rows)

    def details(self, case: CaseAlertState, answers: dict[str, Any], files: int) -> str:
        """The whole case, for a private chat with an authorised lawyer or coordinator."""
        lines = [f"<b>{html.escape(self.tr.alert('details_title', code=case.code))}</b>", ""]
        for question in self.q.questions:
            if question.id not in answers:
                continue
            title = html.escape(self.tr.question(question))
            value = html.escape(self.answers_renderer.answer_text(question, answers[question.id]))
            lines.append(f"<b>{title}</b>\n{value}")
        for key in sorted(k for k in answers if k.startswith("followup_")):
            item = answers[key]
            if isinstance(item, dict) and item.get("kind") == "text":
                lines.append(f"<b>+</b> {html.escape(str(item.get('value', '')))}")
        if files:
            lines.append(html.escape(self.tr.alert("details_files", n=files)))
        return "\n".join(lines)
