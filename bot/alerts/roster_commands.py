"""/oncall and /roster: the on-call roster, managed by coordinators from Telegram."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain.people import TelegramIdentity
from bot.domain.roster import (
    WEEKDAYS,
    Position,
    Shift,
    Substitute,
    on_call,
    parse_span,
    parse_weekdays,
)
from bot.i18n import Translator
from storage.store import SqlStore, SqlTransaction

MANAGERS = frozenset({"coordinator", "admin"})
STAFF = frozenset({"lawyer", "coordinator", "admin"})


def _clock_text(minute: int, *, end: bool = False) -> str:
    """ "09:00"; a shift's end at midnight reads "24:00", not "00:00"."""
    if not (end and minute == 24 * 60):
        minute %= 24 * 60
    return f"{minute // 60:02d}:{minute % 60:02d}"


class RosterCommands:
    """Parses and applies roster commands; returns the reply, or None for non-staff."""

    def __init__(self, *, store: SqlStore, tr: Translator, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.tr = tr
        self.clock = clock

    async def who_is_on_call(self, user_id: int) -> str | None:
        """The answer to /oncall, or None if the asker is not staff."""
        async with self.store.transaction() as tx:
            member = await tx.staff.by_user(user_id)
            if member is None or member.role not in STAFF:
                return None
            return await self._on_call_text(tx)

    async def _on_call_text(self, tx: SqlTransaction) -> str:
        now = self.clock()
        holders = on_call(await tx.staff.shifts(), await tx.staff.substitutes(now), now)
        names: dict[Position, str] = {}
        for position, ids in holders.items():
            members = [m for m in [await tx.staff.get(i) for i in ids] if m]
            names[position] = ", ".join(m.display_name for m in members) or self.tr.alert(
                "oncall_nobody"
            )
        return self.tr.alert(
            "oncall_now", primary=names[Position.PRIMARY], secondary=names[Position.SECONDARY]
        )

    async def handle(self, user_id: int, args: list[str]) -> str | None:
        """Apply `/roster <args>` for a coordinator; None if the sender may not manage it."""
        async with self.store.transaction() as tx:
            member = await tx.staff.by_user(user_id)
            if member is None or member.role not in MANAGERS:
                return None
            verb = args[0].lower() if args else ""
            if verb == "list":
                return await self._list(tx)
            if verb == "add" and len(args) == 5:
                return await self._add(tx, args[1:])
            if verb == "remove" and len(args) == 2 and args[1].isdigit():
                removed = await tx.staff.remove_shift(int(args[1]))
                if removed:
                    await tx.audit.append(f"staff:{member.id}", "roster.remove", at=self.clock())
                return self.tr.alert("roster_removed" if removed else "roster_not_found")
            if verb == "sub" and len(args) == 5:
                return await self._substitute(tx, args[1:])
            return self.tr.alert("roster_usage")

    async def _staff_id(self, tx: SqlTransaction, text: str) -> TelegramIdentity | None:
        if not text.lstrip("-").isdigit():
            return None
        member = await tx.staff.by_user(int(text))
        return member.identity if member is not None and member.role in STAFF else None

    async def _add(self, tx: SqlTransaction, args: list[str]) -> str:
        days, span, position, who = args
        weekdays, minutes = parse_weekdays(days), parse_span(span)
        if weekdays is None or minutes is None or position not in ("primary", "secondary"):
            return self.tr.alert("roster_usage")
        identity = await self._staff_id(tx, who)
        member = await tx.staff.by_user(identity.user_id) if identity else None
        if member is None:
            return self.tr.alert("roster_not_staff")
        for day in weekdays:
            await tx.staff.add_shift(Shift(member.id, Position(position), day, *minutes))
        await tx.audit.append(
            "roster", "roster.add", detail=f"{days} {span} {position}", at=self.clock()
        )
        return self.tr.alert("roster_added")

    async def _substitute(self, tx: SqlTransaction, args: list[str]) -> str:
        start, end, position, who = args
        zone = self.clock().tzinfo
        try:
            starts = datetime.fromisoformat(start).replace(tzinfo=zone)
            ends = datetime.fromisoformat(end).replace(tzinfo=zone)
        except ValueError:
            return self.tr.alert("roster_usage")
        if ends <= starts or position not in ("primary", "secondary"):
            return self.tr.alert("roster_usage")
        identity = await self._staff_id(tx, who)
        member = await tx.staff.by_user(identity.user_id) if identity else None
        if member is None:
            return self.tr.alert("roster_not_staff")
        await tx.staff.add_substitute(Substitute(member.id, Position(position), starts, ends))
        await tx.audit.append("roster", "roster.substitute", detail=position, at=self.clock())
        return self.tr.alert("roster_added")

    async def _list(self, tx: SqlTransaction) -> str:
        rows = await tx.staff.shift_rows()
        if not rows:
            return self.tr.alert("roster_empty") + "\n\n" + await self._on_call_text(tx)
        lines = []
        for shift_id, shift in rows:
            member = await tx.staff.get(shift.staff_id)
            name = member.display_name if member else "?"
            span = f"{_clock_text(shift.start_minute)}-{_clock_text(shift.end_minute, end=True)}"
            lines.append(
                f"{shift_id}. {WEEKDAYS[shift.weekday]} {span} {shift.position.value}: {name}"
            )
        return "\n".join(lines) + "\n\n" + await self._on_call_text(tx)
