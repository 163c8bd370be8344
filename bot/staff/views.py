"""Rendering for coordinators: the case list, one case, menus, confirmations, statistics.

Screens are HTML built from self-contained parts (each escaped on its own), and a screen that
would pass Telegram's length limit drops whole parts from its end, never cutting inside a tag.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.alerts.card import MARKS
from bot.domain.cases import CaseStatus, Urgency
from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.workflow import TRANSITIONS, TriageFilter
from bot.i18n import Translator
from bot.telegram.render import Renderer
from storage.repositories.casework import Casework, HistoryEntry, MergePlan, Related
from storage.repositories.outbox import FOLLOW_UP_PREFIX
from storage.repositories.staff import StaffMember
from storage.repositories.triage import CaseLine, Stats
from storage.retention import Expiry
from storage.store import SqlTransaction

PAGE = 8
MAX_TEXT = 4000  # Telegram allows 4096 characters; tags count here, so this is safe
MAX_NOTE_SHOWN = 600
MAX_FOLLOW_UP_SHOWN = 300  # characters of one follow-up answer in a case view
MAX_FOLLOW_UPS_SHOWN = 10  # the newest; "…" says that older ones were left out
MAX_EXPIRING_SHOWN = 15
EXTEND_DAYS = 30
_STATUSES = list(CaseStatus)
_STATUS_ORDER = [s.value for s in CaseStatus]
_URGENCY_ORDER = [u.value for u in (Urgency.URGENT, Urgency.HIGH, Urgency.NORMAL)]
_HISTORY_KEYS = {
    "case.note": "h_note",
    "case.contact": "h_contact",
    "case.taken": "h_taken",
    "case.declined": "h_declined",
    "case.resolved": "h_resolved",
    "case.in_contact": "h_in_contact",
    "case.on_site": "h_on_site",
    "claim.lapsed": "h_lapsed",
    "case.retention_extended": "h_extended",
    "case.export": "h_export",
    "details.denied": "h_denied",
    "card.denied": "h_denied",
}


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(_clip(label, 60), callback_data=data)


def symbols(code: str) -> str:
    """A case code without its dashes (12 characters), as button data carries it."""
    return code.replace("-", "")


def fit(parts: Iterable[str], limit: int = MAX_TEXT) -> str:
    """Join self-contained HTML parts; stop (with an ellipsis) before passing `limit`."""
    out: list[str] = []
    used = 0
    for part in parts:
        if used + len(part) + 2 > limit - 3:
            out.append("…")
            break
        out.append(part)
        used += len(part) + 2
    return "\n\n".join(out)


def _bold(text: str) -> str:
    return f"<b>{html.escape(text)}</b>"


class Views:
    """Text and buttons for the coordinators' screens."""

    def __init__(self, questionnaire: Questionnaire, clock: Callable[[], datetime]) -> None:
        self.q = questionnaire
        self.clock = clock

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(self.clock().tzinfo).strftime("%d.%m %H:%M")

    # -- the list --------------------------------------------------------------------------

    async def case_list(
        self, tx: SqlTransaction, tr: Translator, which: TriageFilter, page: int
    ) -> tuple[str, InlineKeyboardMarkup]:
        """One page of a filtered list, with filter and paging buttons."""
        now = self.clock()
        lines, total = await tx.triage.page(which, now, page * PAGE, PAGE)
        primaries = await Casework(tx).codes({ln.duplicate_of for ln in lines if ln.duplicate_of})
        title = tr.staff("list_title", filter=tr.staff(f"filter_{which.value}"), total=total)
        rows = [
            [_button(self._line(tr, line, now, primaries), f"Sv{symbols(line.code)}")]
            for line in lines
        ]
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

    def _line(
        self, tr: Translator, line: CaseLine, now: datetime, primaries: dict[uuid.UUID, str]
    ) -> str:
        hours = (
            max(0, int((now - line.tier0_completed_at).total_seconds() // 3600))
            if line.tier0_completed_at
            else 0
        )
        age = tr.staff("age_hours", n=hours) if hours < 48 else tr.staff("age_days", n=hours // 24)
        linked = primaries.get(line.duplicate_of, "") if line.duplicate_of else ""
        return tr.staff(
            "line",
            mark=MARKS[line.urgency],
            code=line.code,
            status=tr.ui(f"status_{line.status.value}"),
            age=age,
            taken=tr.staff("line_taken") if line.claimed_by else "",
            reports=(tr.staff("line_reports", n=line.report_count) if line.report_count > 1 else "")
            + (tr.staff("line_linked", code=linked) if linked else ""),
        )

    # -- one case --------------------------------------------------------------------------

    async def case_view(
        self, tx: SqlTransaction, tr: Translator, line: CaseLine
    ) -> tuple[str, InlineKeyboardMarkup]:
        """Everything about one case: facts, card, answers, further reports, notes, history;
        with action buttons."""
        work = Casework(tx)
        related = await work.related(line.id)
        answers = await tx.cases.answers(line.id)
        parts = [_bold(tr.staff("case_title", code=line.code))]
        parts.append(html.escape("\n".join(await self._facts(tx, tr, line, related))))
        parts += self._answers(tr, answers)
        parts += self._follow_ups(tr, line.code, answers)
        parts += await self._reports(tx, tr, related, answers)
        notes = await tx.triage.notes(line.id)
        if notes:
            shown = [
                html.escape(f"{self._local(n.at)} {_clip(n.text, MAX_NOTE_SHOWN)}") for n in notes
            ]
            parts.append(_bold(tr.staff("notes_title")) + "\n" + "\n".join(shown))
        history = await work.history(line.code)
        if history:
            names: dict[str, str] = {}
            lines = [await self._history_line(tx, tr, entry, names) for entry in history]
            parts.append(_bold(tr.staff("history_title")) + "\n" + html.escape("\n".join(lines)))
        return fit(parts), self._case_buttons(tr, line, related)

    async def _facts(
        self, tx: SqlTransaction, tr: Translator, line: CaseLine, related: Related
    ) -> list[str]:
        facts = [
            tr.staff(
                "case_meta",
                urgency=tr.alert(f"urgency_{line.urgency.value}"),
                status=tr.ui(f"status_{line.status.value}"),
                reports=line.report_count,
            )
        ]
        state = await tx.alerts.case(line.id)
        if related.primary is not None:
            facts.append(tr.staff("case_card_primary", code=related.primary.code))
        elif state is not None and state.card_message_id is not None:
            facts.append(tr.staff("case_card_posted"))
        elif state is not None and state.digest_message_id is not None:
            facts.append(tr.staff("case_card_digest"))
        else:
            facts.append(tr.staff("case_card_none"))
        if line.claimed_by is not None:
            taker = await tx.staff.get(line.claimed_by)
            taken = tr.staff("case_taker", name=taker.display_name if taker else "—")
            if state is not None and state.progress:
                taken += " · " + tr.alert(f"card_progress_{state.progress}")
            facts.append(taken)
        if related.primary is not None:
            key = "case_merged_into" if related.primary.confirmed else "case_duplicate"
            facts.append(tr.staff(key, code=related.primary.code))
        facts += [
            tr.staff("case_suggestion", code=s.code, status=tr.ui(f"status_{s.status.value}"))
            for s in related.suggestions
        ]
        return facts

    def _answers(
        self, tr: Translator, answers: dict[str, Any], only: set[str] | None = None
    ) -> list[str]:
        renderer = Renderer(self.q, tr)
        return [
            f"{_bold(tr.question(question))}\n"
            f"{html.escape(renderer.answer_text(question, answers[question.id]))}"
            for question in self.q.questions
            if question.id in answers and (only is None or question.id in only)
        ]

    def _follow_ups(self, tr: Translator, code: str, answers: dict[str, Any]) -> list[str]:
        """What the reporter added after the questionnaire (``followup_NNN``: /add, or answers
        to staff), oldest first, under a heading of its own: texts clipped, files named."""
        found: list[tuple[int, str, dict[str, Any]]] = []
        for key, item in answers.items():
            number = key.removeprefix(FOLLOW_UP_PREFIX)
            if key.startswith(FOLLOW_UP_PREFIX) and number.isdigit() and isinstance(item, dict):
                found.append((int(number), str(item.get("at", "")), item))
        if not found:
            return []
        found.sort(key=lambda f: (f[0], f[1]))
        lines = ["…"] if len(found) > MAX_FOLLOW_UPS_SHOWN else []
        for _, at, item in found[-MAX_FOLLOW_UPS_SHOWN:]:
            if item.get("kind") == "text":
                body = _clip(" ".join(str(item.get("value", "")).split()), MAX_FOLLOW_UP_SHOWN)
            else:
                body = tr.staff("follow_up_file")
            lines.append(f"{self._when(at)} {body}".lstrip())
        heading = tr.staff("follow_ups_title", code=code)
        return [_bold(heading) + "\n" + html.escape("\n".join(lines))]

    def _when(self, at: str) -> str:
        """A follow-up's time ("at", ISO 8601) in the deployment's zone; "" if unreadable."""
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            return ""
        return self._local(moment) if moment.tzinfo is not None else ""

    async def _reports(
        self, tx: SqlTransaction, tr: Translator, related: Related, answers: dict[str, Any]
    ) -> list[str]:
        """Each further report: the answers in which it differs from this case."""
        if not related.reports:
            return []
        parts = [_bold(tr.staff("reports_title", n=len(related.reports)))]
        for report in related.reports:
            theirs = await tx.cases.answers(report.id)
            differ = {k for k, v in theirs.items() if answers.get(k) != v}
            key = "report_merged" if report.confirmed else "report_unconfirmed"
            heading = _bold(tr.staff(key, code=report.code))
            shown = self._answers(tr, theirs, differ)
            body = "\n".join(shown) if shown else html.escape(tr.staff("report_same"))
            added = self._follow_ups(tr, report.code, theirs)
            parts.append("\n".join([f"{heading}\n{body}", *added]))
        return parts

    async def _history_line(
        self, tx: SqlTransaction, tr: Translator, entry: HistoryEntry, names: dict[str, str]
    ) -> str:
        who = await self._who(tx, tr, entry.actor, names)
        return f"{self._local(entry.at)} {who}: {await self._what(tx, tr, entry, names)}"

    async def _who(
        self, tx: SqlTransaction, tr: Translator, actor: str, names: dict[str, str]
    ) -> str:
        if actor.startswith("staff:"):
            return await _name(tx, actor, names)
        if actor in ("system", "roster"):
            return tr.staff("who_bot")
        return tr.staff("who_ops") if actor == "ops" else tr.staff("who_other")

    async def _what(
        self, tx: SqlTransaction, tr: Translator, entry: HistoryEntry, names: dict[str, str]
    ) -> str:
        detail = entry.detail or ""
        if entry.action == "case.status" and detail in {s.value for s in CaseStatus}:
            return tr.staff("h_status", status=tr.ui(f"status_{detail}"))
        if entry.action == "case.assign":
            return tr.staff("h_assign", name=await _name(tx, detail, names))
        if entry.action == "case.merge" and detail.startswith(("from ", "into ")):
            merge = "h_merge_from" if detail.startswith("from ") else "h_merge_into"
            return tr.staff(merge, code=detail[5:])
        if entry.action == "case.promoted" and detail.startswith("in place of "):
            return tr.staff("h_promoted", code=detail.removeprefix("in place of "))
        if entry.action == "case.relinked" and detail.startswith("to "):
            return tr.staff("h_relinked", code=detail.removeprefix("to "))
        key = _HISTORY_KEYS.get(entry.action)
        return tr.staff(key) if key else entry.action

    def _case_buttons(
        self, tr: Translator, line: CaseLine, related: Related
    ) -> InlineKeyboardMarkup:
        mine = symbols(line.code)
        rows: list[list[InlineKeyboardButton]] = []
        merged = related.primary is not None and related.primary.confirmed
        if not merged:
            rows.append(
                [
                    _button(tr.staff("btn_status"), f"Ss{mine}"),
                    _button(tr.staff("btn_assign"), f"Sa{mine}"),
                ]
            )
        rows.append(
            [
                _button(tr.staff("btn_note"), f"Sn{mine}"),
                _button(tr.staff("btn_contact"), f"Sc{mine}"),
            ]
        )
        if related.primary is not None:
            other = symbols(related.primary.code)
            if not related.primary.confirmed:
                rows.append(
                    [_button(tr.staff("btn_merge", code=related.primary.code), f"Sm{mine}{other}")]
                )
            rows.append([_button(tr.staff("btn_open", code=related.primary.code), f"Sv{other}")])
        candidates = (*[r for r in related.reports if not r.confirmed], *related.suggestions)
        rows += [
            [_button(tr.staff("btn_merge", code=c.code), f"Sm{mine}{symbols(c.code)}")]
            for c in candidates
        ]
        rows.append([_button(tr.staff("btn_erase"), f"Se{mine}")])
        rows.append([_button(tr.staff("btn_back"), "Slo0")])
        return InlineKeyboardMarkup(rows)

    # -- menus and confirmations -------------------------------------------------------------

    def status_menu(self, tr: Translator, line: CaseLine) -> str:
        """The prompt above the status buttons."""
        return html.escape(tr.staff("choose_status", code=line.code))

    def status_buttons(self, tr: Translator, line: CaseLine) -> InlineKeyboardMarkup:
        """One button per allowed next status."""
        mine = symbols(line.code)
        rows = [
            [_button(tr.ui(f"status_{target.value}"), f"St{mine}{_STATUSES.index(target)}")]
            for target in TRANSITIONS.get(line.status, ())
        ]
        rows.append([_button(tr.staff("btn_back"), f"Sv{mine}")])
        return InlineKeyboardMarkup(rows)

    def assign_menu(self, tr: Translator, line: CaseLine) -> str:
        """The prompt above the lawyer buttons."""
        return html.escape(tr.staff("choose_lawyer", code=line.code))

    def assign_buttons(
        self, tr: Translator, line: CaseLine, lawyers: list[StaffMember]
    ) -> InlineKeyboardMarkup:
        """One button per lawyer."""
        mine = symbols(line.code)
        rows = [[_button(m.display_name, f"SA{mine}{m.id.hex}")] for m in lawyers[:20]]
        rows.append([_button(tr.staff("btn_back"), f"Sv{mine}")])
        return InlineKeyboardMarkup(rows)

    def merge_confirmation(
        self, tr: Translator, viewed: str, plan: MergePlan
    ) -> tuple[str, InlineKeyboardMarkup]:
        """Asks once before merging; Cancel goes back to the case the coordinator came from."""
        text = tr.staff("merge_ask", primary=plan.primary.code, secondary=plan.secondary.code)
        yes = f"SM{symbols(plan.primary.code)}{symbols(plan.secondary.code)}"
        markup = InlineKeyboardMarkup(
            [
                [_button(tr.staff("btn_merge_yes"), yes)],
                [_button(tr.staff("btn_cancel"), f"Sv{symbols(viewed)}")],
            ]
        )
        return html.escape(text), markup

    def erase_confirmation(
        self, tr: Translator, code: str, linked: list[str]
    ) -> tuple[str, InlineKeyboardMarkup]:
        """Asks once before crypto-shredding a case (and its further reports)."""
        lines = [tr.staff("erase_ask", code=code)]
        if linked:
            lines.append(tr.staff("erase_ask_linked", codes=", ".join(linked)))
        markup = InlineKeyboardMarkup(
            [
                [_button(tr.staff("btn_erase_yes"), f"SE{symbols(code)}")],
                [_button(tr.staff("btn_cancel"), f"Sv{symbols(code)}")],
            ]
        )
        return html.escape("\n\n".join(lines)), markup

    def erased(
        self, tr: Translator, code: str, linked: tuple[str, ...]
    ) -> tuple[str, InlineKeyboardMarkup]:
        """After an erasure: what went, and the way back to the list."""
        lines = [tr.staff("erased", code=code)]
        if linked:
            lines.append(tr.staff("erased_linked", codes=", ".join(linked)))
        markup = InlineKeyboardMarkup([[_button(tr.staff("btn_back"), "Slo0")]])
        return html.escape("\n".join(lines)), markup

    # -- retention ---------------------------------------------------------------------------

    def expiring(
        self, tr: Translator, found: list[Expiry], days: int
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        """Cases the retention job will erase within `days`, each with a button to keep it."""
        if not found:
            return html.escape(tr.staff("expiring_empty", days=days)), None
        now = self.clock()
        lines = [_bold(tr.staff("expiring_title", days=days, n=len(found)))]
        rows = []
        for expiry in found[:MAX_EXPIRING_SHOWN]:
            status = tr.ui(f"status_{expiry.status.value}")
            if expiry.expires_at <= now:
                text = tr.staff("expiring_due", code=expiry.code, status=status)
            else:
                date = expiry.expires_at.astimezone(now.tzinfo).strftime("%d.%m.%Y")
                text = tr.staff("expiring_line", code=expiry.code, status=status, date=date)
            if expiry.held:
                text += tr.staff("expiring_held")
            lines.append(html.escape(text))
            label = tr.staff("btn_extend", code=expiry.code, days=EXTEND_DAYS)
            rows.append([_button(label, f"Sx{symbols(expiry.code)}{days}")])
        if len(found) > MAX_EXPIRING_SHOWN:
            lines.append(html.escape(tr.staff("expiring_more", n=len(found) - MAX_EXPIRING_SHOWN)))
        return "\n".join(lines), InlineKeyboardMarkup(rows)

    # -- statistics --------------------------------------------------------------------------

    def stats_text(self, tr: Translator, stats: Stats, days: int) -> str:
        """Statistics as text (the chart says the same in a picture)."""

        def items(counts: dict[str, int], order: list[str], label: Callable[[str], str]) -> str:
            keys = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
            return ", ".join(f"{label(k)} {counts[k]}" for k in keys) or "—"

        lines = [
            tr.staff("stats_title", days=days),
            tr.staff(
                "stats_by_status",
                items=items(stats.by_status, _STATUS_ORDER, lambda k: tr.ui(f"status_{k}")),
            ),
            tr.staff(
                "stats_by_urgency",
                items=items(stats.by_urgency, _URGENCY_ORDER, lambda k: tr.alert(f"urgency_{k}")),
            ),
            tr.staff(
                "stats_per_day",
                items=", ".join(
                    f"{day[8:10]}.{day[5:7]} {n}" for day, n in stats.reports_per_day.items()
                )
                or "—",
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


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _name(tx: SqlTransaction, ref: str, names: dict[str, str]) -> str:
    """A staff member's name from an audit reference (``staff:<id>``), each looked up once."""
    if ref not in names:
        try:
            member = await tx.staff.get(uuid.UUID(ref.removeprefix("staff:")))
        except ValueError:
            member = None
        names[ref] = member.display_name if member else "—"
    return names[ref]
