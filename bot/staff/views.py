"""Rendering for coordinators: the case list, one case, menus, statistics."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.alerts.card import MARKS
from bot.domain.cases import CaseStatus
from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.workflow import TRANSITIONS, TriageFilter
from bot.i18n import Translator
from bot.telegram.render import Renderer
from storage.repositories.staff import StaffMember
from storage.repositories.triage import CaseLine, Stats
from storage.store import SqlTransaction

PAGE = 8
_STATUSES = list(CaseStatus)


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=data)


def _symbols(code: str) -> str:
    return code.replace("-", "")


class Views:
    """Text and buttons for the coordinators' screens."""

    def __init__(self, questionnaire: Questionnaire, clock: Callable[[], datetime]) -> None:
        self.q = questionnaire
        self.clock = clock

    async def case_list(
        self, tx: SqlTransaction, tr: Translator, which: TriageFilter, page: int
    ) -> tuple[str, InlineKeyboardMarkup]:
        """One page of a filtered list, with filter and paging buttons."""
        now = self.clock()
        lines, total = await tx.triage.page(which, now, page * PAGE, PAGE)
        title = tr.staff("list_title", filter=tr.staff(f"filter_{which.value}"), total=total)
        rows = [[_button(self._line(tr, line, now), f"Sv{_symbols(line.code)}")] for line in lines]
        nav = []
        if page > 0:
            nav.append(_button(tr.staff("prev"), f"Sl{which.value}{page - 1}"))
        if (page + 1) * PAGE < total:
            nav.append(_button(tr.staff("next"), f"Sl{which.value}{page + 1}"))
        if nav:
            rows.append(nav)
        rows.append(
            [
                _button(tr.staff(f"filter_{f.value}"), f"Sl{f.value}0")
                for f in TriageFilter
                if f is not which
            ]
        )
        body = html.escape(title) if lines else html.escape(title + "\n" + tr.staff("list_empty"))
        return f"<b>{body}</b>", InlineKeyboardMarkup(rows)

    def _line(self, tr: Translator, line: CaseLine, now: datetime) -> str:
        age = (
            int((now - line.tier0_completed_at).total_seconds() // 3600)
            if line.tier0_completed_at
            else 0
        )
        return tr.staff(
            "line",
            mark=MARKS[line.urgency],
            code=line.code,
            status=tr.ui(f"status_{line.status.value}"),
            age=max(age, 0),
            taken=tr.staff("line_taken") if line.claimed_by else "",
            reports=tr.staff("line_reports", n=line.report_count) if line.report_count > 1 else "",
        )

    async def case_view(
        self, tx: SqlTransaction, tr: Translator, line: CaseLine
    ) -> tuple[str, InlineKeyboardMarkup]:
        """Everything about one case: facts, answers, notes, history; with action buttons."""
        answers = await tx.cases.answers(line.id)
        renderer = Renderer(self.q, tr)
        parts = [f"<b>{html.escape(tr.staff('case_title', code=line.code))}</b>"]
        parts.append(
            html.escape(
                tr.staff(
                    "case_meta",
                    urgency=tr.alert(f"urgency_{line.urgency.value}"),
                    status=tr.ui(f"status_{line.status.value}"),
                    reports=line.report_count,
                )
            )
        )
        if line.claimed_by is not None:
            taker = await tx.staff.get(line.claimed_by)
            parts.append(
                html.escape(tr.staff("case_taker", name=taker.display_name if taker else "—"))
            )
        if line.duplicate_of is not None:
            first = await tx.alerts.case(line.duplicate_of)
            if first is not None:
                parts.append(html.escape(tr.staff("case_duplicate", code=first.code)))
        for question in self.q.questions:
            if question.id in answers:
                value = renderer.answer_text(question, answers[question.id])
                parts.append(f"<b>{html.escape(tr.question(question))}</b>\n{html.escape(value)}")
        notes = await tx.triage.notes(line.id)
        if notes:
            parts.append(f"<b>{html.escape(tr.staff('notes_title'))}</b>")
            parts += [html.escape(f"{n.at:%d.%m %H:%M} {n.text}") for n in notes]
        history = await tx.triage.history(line.code)
        if history:
            parts.append(f"<b>{html.escape(tr.staff('history_title'))}</b>")
            parts += [html.escape(f"{at:%d.%m %H:%M} {action}") for at, action in history]
        text = "\n\n".join(parts)
        if len(text) > 4000:
            text = text[:3990] + "…"
        symbols = _symbols(line.code)
        markup = InlineKeyboardMarkup(
            [
                [
                    _button(tr.staff("btn_status"), f"Ss{symbols}"),
                    _button(tr.staff("btn_assign"), f"Sa{symbols}"),
                ],
                [
                    _button(tr.staff("btn_note"), f"Sn{symbols}"),
                    _button(tr.staff("btn_contact"), f"Sc{symbols}"),
                ],
                [_button(tr.staff("btn_back"), "Slo0")],
            ]
        )
        return text, markup

    def status_menu(self, tr: Translator, line: CaseLine) -> str:
        """The prompt above the status buttons."""
        return html.escape(tr.staff("choose_status", code=line.code))

    def status_buttons(self, tr: Translator, line: CaseLine) -> InlineKeyboardMarkup:
        """One button per allowed next status."""
        symbols = _symbols(line.code)
        rows = [
            [_button(tr.ui(f"status_{target.value}"), f"St{symbols}{_STATUSES.index(target)}")]
            for target in TRANSITIONS.get(line.status, ())
        ]
        rows.append([_button(tr.staff("btn_back"), f"Sv{symbols}")])
        return InlineKeyboardMarkup(rows)

    def assign_menu(self, tr: Translator, line: CaseLine) -> str:
        """The prompt above the lawyer buttons."""
        return html.escape(tr.staff("choose_lawyer", code=line.code))

    def assign_buttons(
        self, tr: Translator, line: CaseLine, lawyers: list[StaffMember]
    ) -> InlineKeyboardMarkup:
        """One button per lawyer."""
        symbols = _symbols(line.code)
        rows = [[_button(m.display_name, f"SA{symbols}{m.id.hex}")] for m in lawyers[:20]]
        rows.append([_button(tr.staff("btn_back"), f"Sv{symbols}")])
        return InlineKeyboardMarkup(rows)

    def stats_text(self, tr: Translator, stats: Stats, days: int) -> str:
        """Statistics as text (the chart says the same in a picture)."""

        def items(counts: dict[str, int], label: Callable[[str], str]) -> str:
            return ", ".join(f"{label(k)} {v}" for k, v in sorted(counts.items())) or "—"

        lines = [
            tr.staff("stats_title", days=days),
            tr.staff(
                "stats_by_status", items=items(stats.by_status, lambda k: tr.ui(f"status_{k}"))
            ),
            tr.staff(
                "stats_by_urgency",
                items=items(stats.by_urgency, lambda k: tr.alert(f"urgency_{k}")),
            ),
        ]
        if stats.claim_minutes_median is None:
            lines.append(tr.staff("stats_claim_none"))
        else:
            lines.append(
                tr.staff(
                    "stats_claim",
                    median=round(stats.claim_minutes_median),
                    p90=round(stats.claim_minutes_p90 or 0),
                )
            )
        lines.append(tr.staff("stats_unclaimed", n=stats.unclaimed_now))
        return "\n".join(lines)
