"""A day and month without a year, then a time: "12.04 14:30", as the hints and errors suggest."""

from __future__ import annotations

import datetime as dt
import tomllib
from zoneinfo import ZoneInfo

import pytest

from bot.domain.questionnaire.parsing import DateTimeAnswer, ParseError, parse_datetime
from bot.domain.questionnaire.schema import DEFAULT_PATH
from bot.texts import UI

ALMATY = ZoneInfo("Asia/Almaty")
NOW = dt.datetime(2026, 1, 12, 15, 0, tzinfo=ALMATY)  # a Monday in January
LATE_IN_THE_YEAR = dt.datetime(2026, 12, 20, 15, 0, tzinfo=ALMATY)


def moment(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.04 14:30", moment(2025, 4, 12, 14, 30)),  # April is still ahead: last year's
        ("14.01 06:40", moment(2025, 1, 14, 6, 40)),  # two days ahead: last year's
        ("11.01 06:40", moment(2026, 1, 11, 6, 40)),
        ("12.01 14:30", moment(2026, 1, 12, 14, 30)),  # today, earlier
        ("12/01 14:30", moment(2026, 1, 12, 14, 30)),
        ("5.1 9:05", moment(2026, 1, 5, 9, 5)),
        ("14:30 11.01", moment(2026, 1, 11, 14, 30)),  # time first
        ("11.01 в 14:30", moment(2026, 1, 11, 14, 30)),
        ("11.01 о 14:30", moment(2026, 1, 11, 14, 30)),
        ("11.01 at 2:30 pm", moment(2026, 1, 11, 14, 30)),
        ("11.01 14ч30", moment(2026, 1, 11, 14, 30)),
        ("31.12 23:59", moment(2025, 12, 31, 23, 59)),
    ],
)
def test_day_month_and_time_is_the_latest_such_moment_in_the_past(
    text: str, expected: dt.datetime
) -> None:
    assert parse_datetime(text, now=NOW) == DateTimeAnswer(expected)


def test_an_about_marker_makes_it_approximate() -> None:
    assert parse_datetime("около 11.01 14:30", now=NOW) == DateTimeAnswer(
        moment(2026, 1, 11, 14, 30), approximate=True
    )


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("14.01 06:40", NOW, moment(2026, 1, 14, 6, 40)),  # the hint of removal_time
        ("10.01 06:40", NOW, moment(2026, 1, 10, 6, 40)),  # already past: still this year
        ("12.02 10:00", NOW, moment(2026, 2, 12, 10)),
        ("14.01 06:40", LATE_IN_THE_YEAR, moment(2027, 1, 14, 6, 40)),  # early next year
        ("18.12 06:40", LATE_IN_THE_YEAR, moment(2026, 12, 18, 6, 40)),
    ],
)
def test_with_future_days_allowed_the_nearest_such_moment_is_meant(
    text: str, now: dt.datetime, expected: dt.datetime
) -> None:
    assert parse_datetime(text, now=now, allow_future_days=60) == DateTimeAnswer(expected)


@pytest.mark.parametrize(
    ("text", "allow_future_days", "code"),
    [
        ("12.01 16:00", 0, "date.future"),  # today, later: not moved to last year
        ("14.01 06:40", 1, "date.future"),  # nearer than last year, but past the limit
        ("31.02 10:00", 0, "date.invalid"),
        ("12.13 10:00", 0, "date.invalid"),
        ("00.01 10:00", 0, "date.invalid"),
        ("12.04 25:00", 0, "date.invalid"),
        ("12.04 14:30 15:00", 0, "date.invalid"),
    ],
)
def test_impossible_or_out_of_range_day_month_moments_are_refused(
    text: str, allow_future_days: int, code: str
) -> None:
    assert parse_datetime(text, now=NOW, allow_future_days=allow_future_days) == ParseError(code)


@pytest.mark.parametrize(("text", "expected"), [("14.30", (14, 30)), ("12.04", (12, 4))])
def test_day_month_alone_is_still_read_as_a_time(text: str, expected: tuple[int, int]) -> None:
    answer = parse_datetime(text, now=NOW)
    assert isinstance(answer, DateTimeAnswer)
    assert (answer.moment.date(), answer.moment.hour, answer.moment.minute) == (
        NOW.date(),
        *expected,
    )


def _examples() -> list[tuple[str, int]]:
    """Date-and-time examples shown to reporters (hints, the error sentence), with the number
    of days ahead the question they appear on accepts."""
    raw = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    shown = [
        (q["hint"], int(q.get("allow_future_days", 0)))
        for q in raw["questions"]
        if q["type"] == "datetime" and "hint" in q
    ]
    shown.append((UI["err_datetime_invalid"], 0))  # the detention time's refusal
    return [
        (text.split(" like ")[-1].split("example ")[-1].rstrip("."), days) for text, days in shown
    ]


def test_every_day_month_example_shown_to_reporters_is_understood() -> None:
    examples = [(e, days) for e, days in _examples() if "." in e and ":" in e]
    assert [e for e, _ in examples] == ["14.01 06:40", "12.04 14:30"]
    for example, days in examples:
        result = parse_datetime(example, now=NOW, allow_future_days=days)
        assert isinstance(result, DateTimeAnswer), (example, days, result)
