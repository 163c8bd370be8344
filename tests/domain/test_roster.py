"""The on-call roster: shifts by weekday and time (over midnight too), substitutes, parsing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.roster import Position, Shift, Substitute, on_call, parse_span, parse_weekdays

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY = datetime(2026, 1, 12, tzinfo=ALMATY)  # 12 January 2026 is a Monday
LENA, MARAT, DANA = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local moment `day` days after Monday 12 January 2026."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def night(weekday: int = 0) -> Shift:
    """22:00-06:00 starting on a weekday."""
    start, end = parse_span("22:00-06:00") or (0, 0)
    return Shift(LENA, Position.PRIMARY, weekday, start, end)


@pytest.mark.parametrize(
    ("moment", "covered"),
    [
        (at(0, 21, 59), False),
        (at(0, 22, 0), True),
        (at(0, 23, 59), True),
        (at(1, 0, 0), True),  # Tuesday, past midnight
        (at(1, 5, 59), True),
        (at(1, 6, 0), False),  # the end is exclusive
        (at(1, 22, 0), False),  # Tuesday night is not Monday's shift
        (at(-1, 23, 0), False),  # Sunday night neither
        (at(7, 23, 0), True),  # next Monday: shifts repeat weekly
    ],
)
def test_a_night_shift_runs_past_midnight_into_the_next_day(
    moment: datetime, covered: bool
) -> None:
    assert night(0).covers(moment) is covered


def test_a_sunday_night_shift_runs_into_monday_morning() -> None:
    sunday = night(6)
    assert sunday.covers(at(6, 23, 0))
    assert sunday.covers(at(7, 3, 0))  # Monday
    assert not sunday.covers(at(0, 23, 0))  # Monday night


def test_a_whole_day_shift_covers_its_day_and_not_the_next_midnight() -> None:
    start, end = parse_span("00:00-24:00") or (0, 0)
    day = Shift(LENA, Position.PRIMARY, 2, start, end)  # Wednesday
    assert day.covers(at(2, 0, 0))
    assert day.covers(at(2, 23, 59))
    assert not day.covers(at(3, 0, 0))
    assert not day.covers(at(1, 23, 59))


def test_a_shift_reads_local_time_whatever_the_zone_of_the_moment() -> None:
    day = Shift(LENA, Position.PRIMARY, 0, 9 * 60, 18 * 60)
    utc_moment = at(0, 9, 30).astimezone(ZoneInfo("UTC"))  # 04:30 UTC
    assert not day.covers(utc_moment)  # callers convert to the deployment's zone first
    assert day.covers(utc_moment.astimezone(ALMATY))


def test_on_call_lists_the_holders_of_each_position() -> None:
    shifts = [
        Shift(LENA, Position.PRIMARY, 0, 9 * 60, 18 * 60),
        Shift(MARAT, Position.SECONDARY, 0, 9 * 60, 18 * 60),
        Shift(DANA, Position.PRIMARY, 0, 18 * 60, 30 * 60),
    ]
    assert on_call(shifts, [], at(0, 10)) == {
        Position.PRIMARY: [LENA],
        Position.SECONDARY: [MARAT],
    }
    assert on_call(shifts, [], at(1, 2)) == {Position.PRIMARY: [DANA], Position.SECONDARY: []}
    assert on_call([], [], at(0, 10)) == {Position.PRIMARY: [], Position.SECONDARY: []}


def test_a_substitute_replaces_the_holders_of_their_position_while_in_force() -> None:
    shifts = [
        Shift(LENA, Position.PRIMARY, 0, 0, 24 * 60),
        Shift(MARAT, Position.SECONDARY, 0, 0, 24 * 60),
    ]
    swap = Substitute(DANA, Position.PRIMARY, at(0, 12), at(0, 15))
    assert on_call(shifts, [swap], at(0, 11, 59))[Position.PRIMARY] == [LENA]
    during = on_call(shifts, [swap], at(0, 12))
    assert during == {Position.PRIMARY: [DANA], Position.SECONDARY: [MARAT]}
    assert on_call(shifts, [swap], at(0, 14, 59))[Position.PRIMARY] == [DANA]
    assert on_call(shifts, [swap], at(0, 15))[Position.PRIMARY] == [LENA]


def test_a_substitute_can_stand_in_where_nobody_was_on_call() -> None:
    cover = Substitute(MARAT, Position.SECONDARY, at(5, 0), at(7, 0))  # the weekend
    assert on_call([], [cover], at(6, 3)) == {Position.PRIMARY: [], Position.SECONDARY: [MARAT]}


def test_substitutes_compare_moments_across_time_zones() -> None:
    swap = Substitute(DANA, Position.PRIMARY, at(0, 12), at(0, 15))
    assert swap.covers(at(0, 13).astimezone(ZoneInfo("UTC")))
    assert not swap.covers(at(0, 16).astimezone(ZoneInfo("UTC")))


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("09:00-18:00", (540, 1080)),
        ("9:00-18:00", (540, 1080)),
        (" 09:00-18:00 ", (540, 1080)),
        ("22:00-06:00", (1320, 1800)),
        ("00:00-24:00", (0, 1440)),
        ("23:30-00:15", (1410, 1455)),
        ("12:00-12:00", (720, 2160)),  # the same time: a whole day from then
    ],
)
def test_parse_span_reads_times_of_day_and_spans_over_midnight(
    text: str, span: tuple[int, int]
) -> None:
    assert parse_span(text) == span


@pytest.mark.parametrize(
    "text",
    ["", "9-18", "09:00", "09:00-", "25:00-26:00", "12:60-13:00", "24:00-01:00", "9:00 - 18:00",
     "ab:cd-ef:gh", "-01:00-02:00"],
)  # fmt: skip
def test_parse_span_refuses_what_is_not_a_span(text: str) -> None:
    assert parse_span(text) is None


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon", [0]),
        ("Sun", [6]),
        ("mon-fri", [0, 1, 2, 3, 4]),
        ("fri-mon", [0, 4, 5, 6]),  # over the week's end
        ("sat,sun", [5, 6]),
        ("mon,mon-tue", [0, 1]),
        ("daily", list(range(7))),
        ("mon, wed", [0, 2]),
    ],
)
def test_parse_weekdays_reads_days_ranges_and_lists(text: str, days: list[int]) -> None:
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["", "funday", "mon,", "mon-", "monday", "1-5", "mon-xyz"])
def test_parse_weekdays_refuses_what_is_not_a_weekday(text: str) -> None:
    assert parse_weekdays(text) is None
