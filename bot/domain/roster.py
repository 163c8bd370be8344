"""The on-call roster: weekly shifts for primary and secondary, with one-off substitutes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class Position(StrEnum):
    """On-call positions."""

    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class Shift:
    """A weekly shift; `end_minute` may pass midnight (up to 48 hours after the day's start)."""

    staff_id: uuid.UUID
    position: Position
    weekday: int
    start_minute: int
    end_minute: int

    def covers(self, moment: datetime) -> bool:
        """Whether the shift covers a local moment (its own day, or past midnight from it)."""
        minute = moment.hour * 60 + moment.minute
        today = moment.weekday()
        if today == self.weekday and self.start_minute <= minute < self.end_minute:
            return True
        yesterday = (today - 1) % 7
        return yesterday == self.weekday and minute + MINUTES_PER_DAY < self.end_minute


@dataclass(frozen=True, slots=True)
class Substitute:
    """Someone standing in for a position over a span of time."""

    staff_id: uuid.UUID
    position: Position
    starts_at: datetime
    ends_at: datetime

    def covers(self, moment: datetime) -> bool:
        """Whether the substitution is in force at a moment."""
        return self.starts_at <= moment < self.ends_at


def on_call(
    shifts: Iterable[Shift], substitutes: Iterable[Substitute], moment: datetime
) -> dict[Position, list[uuid.UUID]]:
    """Who holds each position at a local moment; a substitute replaces the shift holders."""
    result: dict[Position, list[uuid.UUID]] = {Position.PRIMARY: [], Position.SECONDARY: []}
    subs = [s for s in substitutes if s.covers(moment)]
    for position in Position:
        standing_in = [s.staff_id for s in subs if s.position is position]
        if standing_in:
            result[position] = standing_in
        else:
            result[position] = [
                s.staff_id for s in shifts if s.position is position and s.covers(moment)
            ]
    return result


def parse_span(text: str) -> tuple[int, int] | None:
    """ "09:00-18:00" -> (540, 1080); "22:00-06:00" runs past midnight -> (1320, 1800)."""
    match = _SPAN.match(text.strip())
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        return None
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        end += MINUTES_PER_DAY
    if start >= MINUTES_PER_DAY or end - start > MINUTES_PER_DAY:
        return None
    return start, end


def parse_weekdays(text: str) -> list[int] | None:
    """ "mon", "mon-fri", "sat,sun", "daily" -> weekday numbers (Monday = 0)."""
    text = text.strip().lower()
    if text in ("daily", "all", "*"):
        return list(range(7))
    days: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if "-" in part:
            first, _, last = (p.strip() for p in part.partition("-"))
            if first not in WEEKDAYS or last not in WEEKDAYS:
                return None
            a, b = WEEKDAYS.index(first), WEEKDAYS.index(last)
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
        elif part in WEEKDAYS:
            days.append(WEEKDAYS.index(part))
        else:
            return None
    return sorted(set(days))
