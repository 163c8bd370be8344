# Cyrillic and Kazakh letters, zero-width and bidi characters are what these tests are about.
"""Answer parsers: every format and language, every error code, boundaries, and fuzzing."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from bot.domain.questionnaire.parsing import (
    DateAnswer,
    DateTimeAnswer,
    ParseError,
    clean_text,
    parse_date,
    parse_datetime,
    parse_phone,
    person_key,
)

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5 all year
TODAY = dt.date(2026, 1, 12)
NOW = dt.datetime(2026, 1, 12, 15, 0, tzinfo=ALMATY)
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 1, 12, 0, 5, tzinfo=ALMATY)
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ALMATY)


# --- parse_date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.01.1990", dt.date(1990, 1, 12)),
        ("12/01/1990", dt.date(1990, 1, 12)),
        ("12-01-1990", dt.date(1990, 1, 12)),
        ("1990-01-12", dt.date(1990, 1, 12)),
        ("  5.3.1985 ", dt.date(1985, 3, 5)),
        ("12 января 1990", dt.date(1990, 1, 12)),
        ("12 январь 1990", dt.date(1990, 1, 12)),
        ("12 ЯНВАРЯ 1990 ГОДА", dt.date(1990, 1, 12)),
        ("12 янв. 1990 г.", dt.date(1990, 1, 12)),
        ("12-го января 1990г.", dt.date(1990, 1, 12)),
        ("1 сентября 2001", dt.date(2001, 9, 1)),
        ("12 січня 1990 р.", dt.date(1990, 1, 12)),
        ("3 листопада 1978 року", dt.date(1978, 11, 3)),
        ("12 қаңтар 1990 ж.", dt.date(1990, 1, 12)),
        ("12 кантар 1990", dt.date(1990, 1, 12)),  # Kazakh typed on a Russian keyboard
        ("7 қыркүйек 1995", dt.date(1995, 9, 7)),
        ("1990 жылғы 12 қаңтар", dt.date(1990, 1, 12)),
        ("12.01.1990 г.р.", dt.date(1990, 1, 12)),
        ("12.01.1990 р.н.", dt.date(1990, 1, 12)),
        ("12 Jan 1990", dt.date(1990, 1, 12)),
        ("January 12, 1990", dt.date(1990, 1, 12)),
        ("12th of January 1990", dt.date(1990, 1, 12)),
        ("Sept 30 1988 year", dt.date(1988, 9, 30)),
        ("１２.０１.１９９０", dt.date(1990, 1, 12)),  # full-width digits
        ("29.02.2024", dt.date(2024, 2, 29)),
        ("12.01.2026", TODAY),
        ("01.01.1900", EARLIEST_BIRTH),
    ],
)
def test_parse_date_reads_every_format_and_language(text: str, expected: dt.date) -> None:
    assert parse_date(text, today=TODAY, earliest=EARLIEST_BIRTH) == DateAnswer(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.01.90", dt.date(1990, 1, 12)),
        ("12 янв 90", dt.date(1990, 1, 12)),
        ("12.01.05", dt.date(2005, 1, 12)),
        ("12.01.26", dt.date(2026, 1, 12)),  # today: still this century
        ("13.01.26", dt.date(1926, 1, 13)),  # tomorrow in 2026, so 1926
        ("29.02.00", dt.date(2000, 2, 29)),
    ],
)
def test_parse_date_puts_two_digit_years_in_the_latest_century_not_in_the_future(
    text: str, expected: dt.date
) -> None:
    assert parse_date(text, today=TODAY) == DateAnswer(expected)


@pytest.mark.parametrize(
    "text",
    [
        "около 12.01.1990",
        "примерно 12 января 1990",
        "где-то 12.01.1990",
        "приблизно 12 січня 1990",
        "шамамен 12 қаңтар 1990",
        "approx 12 Jan 1990",
        "~1990-01-12",
        "12.01.1990?",
    ],
)
def test_parse_date_marks_approximate_answers(text: str) -> None:
    assert parse_date(text, today=TODAY) == DateAnswer(dt.date(1990, 1, 12), approximate=True)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("31.02.1990", "date.invalid"),
        ("29.02.2023", "date.invalid"),
        ("12.13.1990", "date.invalid"),
        ("", "date.invalid"),
        ("   ", "date.invalid"),
        ("не знаю", "date.invalid"),
        ("1990", "date.invalid"),
        ("12 января", "date.invalid"),  # a birth date needs its year
        ("вчера", "date.invalid"),
        ("12.01.1990 14:30", "date.invalid"),
        ("12.01.19900", "date.invalid"),
        ("1" * 500, "date.invalid"),
        ("13.01.2026", "date.future"),
        ("1 февраля 2026", "date.future"),
        ("31.12.1899", "date.too_old"),
    ],
)
def test_parse_date_refuses_with_a_stable_code(text: str, code: str) -> None:
    assert parse_date(text, today=TODAY, earliest=EARLIEST_BIRTH) == ParseError(code)


def test_parse_date_accepts_the_future_when_allowed() -> None:
    result = parse_date("13.01.2026", today=TODAY, allow_future=True)
    assert result == DateAnswer(dt.date(2026, 1, 13))
    assert parse_date("13.01.26", today=TODAY, allow_future=True) == result


def test_date_answer_round_trips_through_json() -> None:
    answer = DateAnswer(dt.date(1990, 1, 12), approximate=True)
    assert answer.to_json() == {"date": "1990-01-12", "approximate": True}
    assert DateAnswer.from_json(answer.to_json()) == answer
    with pytest.raises(ValueError, match="date answer"):
        DateAnswer.from_json({"date": 19900112})


# --- parse_datetime --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", at(12, 14, 30)),
        ("14.30", at(12, 14, 30)),
        ("14 30", at(12, 14, 30)),
        ("14ч", at(12, 14)),
        ("14ч30", at(12, 14, 30)),
        ("в 14-30", at(12, 14, 30)),
        ("14h30", at(12, 14, 30)),
        ("2:30 pm", at(12, 14, 30)),
        ("2 pm", at(12, 14)),
        ("11 am", at(12, 11)),
        ("в 14:30", at(12, 14, 30)),
        ("о 14:30", at(12, 14, 30)),
        ("в 3 дня", at(12, 15)),
        ("15:05", at(12, 15, 5)),  # 5 minutes ahead: within the grace, still today
        ("15:20", at(11, 15, 20)),  # 20 minutes ahead: must have been yesterday
        ("8 вечера", at(11, 20)),
        ("сегодня 9:00", at(12, 9)),
        ("вчера в 23:59", at(11, 23, 59)),
        ("вчора о 10:15", at(11, 10, 15)),
        ("кеше 10:15", at(11, 10, 15)),
        ("кеше сағат 14:30-да", at(11, 14, 30)),
        ("бүгін 12:00", at(12, 12)),
        ("позавчера 08:00", at(10, 8)),
        ("позавчора 08:00", at(10, 8)),
        ("алдыңғы күні 08:00", at(10, 8)),
        ("day before yesterday at 8 am", at(10, 8)),
        ("yesterday 11 pm", at(11, 23)),
        ("12.01.2026 14:30", at(12, 14, 30)),
        ("11.01.26 в 14:30", at(11, 14, 30)),
        ("2026-01-11T14:30", at(11, 14, 30)),
        ("11 января 14:30", at(11, 14, 30)),
        ("20 декабря в 10:00", dt.datetime(2025, 12, 20, 10, tzinfo=ALMATY)),  # last year's
        ("10 січня о 14 годині", at(10, 14)),
        ("вечером в 8", at(11, 20)),
        ("сейчас", at(12, 15)),
        ("now", at(12, 15)),
        ("только что", at(12, 15)),
        ("зараз", at(12, 15)),
        ("қазір", at(12, 15)),
    ],
)
def test_parse_datetime_reads_exact_moments(text: str, expected: dt.datetime) -> None:
    assert parse_datetime(text, now=NOW) == DateTimeAnswer(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("around 14:00", at(12, 14)),
        ("около 14:00", at(12, 14)),
        ("~14:00", at(12, 14)),
        ("примерно вчера в 10", at(11, 10)),
        ("2 часа назад", at(12, 13)),
        ("час назад", at(12, 14)),
        ("около часа назад", at(12, 14)),
        ("полчаса назад", at(12, 14, 30)),
        ("пол часа назад", at(12, 14, 30)),
        ("полтора часа назад", at(12, 13, 30)),
        ("30 минут назад", at(12, 14, 30)),
        ("годину тому", at(12, 14)),
        ("2 години тому", at(12, 13)),
        ("півгодини тому", at(12, 14, 30)),
        ("2 сағат бұрын", at(12, 13)),
        ("3 hours ago", at(12, 12)),
        ("an hour ago", at(12, 14)),
        ("half an hour ago", at(12, 14, 30)),
        ("вчера вечером", at(11, 19)),
        ("сегодня утром", at(12, 9)),
    ],
)
def test_parse_datetime_marks_relative_and_vague_moments_approximate(
    text: str, expected: dt.datetime
) -> None:
    assert parse_datetime(text, now=NOW) == DateTimeAnswer(expected, approximate=True)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("вчера", 11),
        ("сегодня", 12),
        ("12.01.2026", 12),
        ("10 января", 10),
        ("2 дня назад", 10),
        ("неделю назад", 5),
    ],
)
def test_parse_datetime_puts_a_date_without_time_at_noon(text: str, day: int) -> None:
    expected = DateTimeAnswer(at(day, 12), approximate=True, has_time=False)
    assert parse_datetime(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23:55", dt.datetime(2026, 1, 11, 23, 55, tzinfo=ALMATY)),
        ("00:10", at(12, 0, 10)),
        ("00:00", at(12, 0)),
        ("вчера 00:00", at(11, 0)),
        ("12 ночи", at(12, 0)),
    ],
)
def test_parse_datetime_just_after_midnight_picks_the_right_day(
    text: str, expected: dt.datetime
) -> None:
    assert parse_datetime(text, now=JUST_AFTER_MIDNIGHT) == DateTimeAnswer(expected)


@pytest.mark.parametrize(
    ("text", "allow_future_days", "expected"),
    [
        ("завтра 10:00", 1, DateTimeAnswer(at(13, 10))),
        ("tomorrow", 1, DateTimeAnswer(at(13, 12), approximate=True, has_time=False)),
        ("ертең 9:30", 2, DateTimeAnswer(at(13, 9, 30))),
        ("послезавтра в 9", 2, DateTimeAnswer(at(14, 9))),
        ("16:00", 1, DateTimeAnswer(at(12, 16))),  # future allowed: a time alone stays today
        ("10 февраля 10:00", 60, DateTimeAnswer(at(10, 10, month=2))),
    ],
)
def test_parse_datetime_accepts_scheduled_moments_when_the_future_is_allowed(
    text: str, allow_future_days: int, expected: DateTimeAnswer
) -> None:
    assert parse_datetime(text, now=NOW, allow_future_days=allow_future_days) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "date.invalid"),
        ("помогите", "date.invalid"),
        ("25:00", "date.invalid"),
        ("14:60", "date.invalid"),
        ("31.02.2026 10:00", "date.invalid"),
        ("январь 14:30", "date.invalid"),  # a month without a day
        ("назад", "date.invalid"),
        ("2 часа 30 минут назад", "date.invalid"),
        ("x" * 201, "date.invalid"),
        ("завтра", "date.future"),
        ("завтра 10:00", "date.future"),
        ("16:00 сегодня", "date.future"),  # an explicit day is not moved to yesterday
        ("13.01.2026", "date.future"),
        ("12.01.2024 10:00", "date.too_old"),
        ("11.01.2025 14:59", "date.too_old"),  # 366 days and a minute ago
        ("10.01.2025", "date.too_old"),
        ("10000 дней назад", "date.too_old"),
        ("999999999 hours ago", "date.too_old"),
    ],
)
def test_parse_datetime_refuses_with_a_stable_code(text: str, code: str) -> None:
    assert parse_datetime(text, now=NOW) == ParseError(code)


def test_parse_datetime_accepts_exactly_max_past_days_ago() -> None:
    assert parse_datetime("11.01.2025 15:00", now=NOW) == DateTimeAnswer(
        dt.datetime(2025, 1, 11, 15, tzinfo=ALMATY)
    )
    assert parse_datetime("вчера", now=NOW, max_past_days=0) == ParseError("date.too_old")


def test_parse_datetime_answers_in_the_zone_of_now() -> None:
    result = parse_datetime("вчера в 14:30", now=NOW)
    assert isinstance(result, DateTimeAnswer)
    assert result.moment.tzinfo is ALMATY


def test_parse_datetime_counts_hours_ago_in_real_time_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 02:00 CET became 03:00 CEST on 2026-03-29
    now = dt.datetime(2026, 3, 29, 5, 0, tzinfo=berlin)
    result = parse_datetime("3 hours ago", now=now)
    assert isinstance(result, DateTimeAnswer)
    assert result.moment == dt.datetime(2026, 3, 29, 0, 0, tzinfo=dt.UTC)
    assert result.moment.utcoffset() == dt.timedelta(hours=1)


def test_parse_datetime_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_datetime("14:30", now=dt.datetime(2026, 1, 12, 15, 0))


def test_date_time_answer_round_trips_through_json() -> None:
    answer = DateTimeAnswer(at(11, 14, 30), approximate=True, has_time=True)
    assert answer.to_json() == {
        "at": "2026-01-11T14:30:00+05:00",
        "approximate": True,
        "has_time": True,
    }
    assert DateTimeAnswer.from_json(answer.to_json()) == answer
    with pytest.raises(ValueError, match="offset"):
        DateTimeAnswer.from_json({"at": "2026-01-11T14:30", "approximate": False, "has_time": True})
    with pytest.raises(ValueError, match="date-time answer"):
        DateTimeAnswer.from_json({"at": "2026-01-11T14:30:00+05:00"})


# --- parse_phone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+77011234567", "+77011234567"),
        ("+7 701 123 45 67", "+77011234567"),
        ("8 701 123 45 67", "+77011234567"),
        ("8 (916) 123-45-67", "+79161234567"),
        ("8-800-555-35-35", "+78005553535"),
        ("+7(916)123.45.67", "+79161234567"),
        ("+7\u00a0916\u00a0123\u00a045\u00a067", "+79161234567"),  # no-break spaces
        ("9161234567", "+79161234567"),
        ("7011234567", "+77011234567"),
        ("79161234567", "+79161234567"),
        ("0079161234567", "+79161234567"),
        ("+8 916 123 45 67", "+79161234567"),  # the common "+8" slip
        ("+380 50 123 45 67", "+380501234567"),
        ("00 380 50 123 45 67", "+380501234567"),
        ("050 123 45 67", "+380501234567"),
        ("8 050 123 45 67", "+380501234567"),
        ("+996 555 123 456", "+996555123456"),
        ("+49 30 1234567", "+49301234567"),
        ("+１ ２０２ ５５５ ０１２３", "+12025550123"),  # full-width digits
    ],
)
def test_parse_phone_normalises_to_e164(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "phone.invalid"),
        ("   ", "phone.invalid"),
        ("abc", "phone.invalid"),
        ("+7 701 CALL ME", "phone.invalid"),
        ("++79161234567", "phone.invalid"),
        ("7 916 123+45 67", "phone.invalid"),
        ("8 916 123 45 67, 8 916 765 43 21", "phone.invalid"),
        ("+7 916 123 45 67 8", "phone.invalid"),  # +7 numbers have 11 digits
        ("1234567890123456", "phone.invalid"),
        ("+0 123 456 789", "phone.invalid"),
        ("9" * 300, "phone.invalid"),
        ("12345", "phone.too_short"),
        ("+7", "phone.too_short"),
        ("+7 916 123 45", "phone.too_short"),
        ("+380 50 123 45", "phone.too_short"),
    ],
)
def test_parse_phone_refuses_with_a_stable_code(text: str, code: str) -> None:
    assert parse_phone(text) == ParseError(code)


# --- clean_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  задержали у метро  ", "задержали у метро"),
        ("he\u200bl\u200cl\u200do\u2060\ufeff", "hello"),
        ("\ufeffпривет", "привет"),
        ("abc\u202edcba\u202c", "abcdcba"),  # RTL override would show "abcabcd"
        ("a\u2066b\u2069\u200e\u200f\u061cc", "abc"),
        ("a\x00b\x07c\x1b[31m", "abc[31m"),
        ("a\ud800b\udfffc", "abc"),  # lone surrogates
        ("line1\r\nline2\rline3\u2028line4", "line1\nline2\nline3\nline4"),
        ("a\n\n\n\n\n\nb", "a\n\n\nb"),
        ("a\n \n\t\n   \n \nb", "a\n\n\nb"),
        ("a\n\n\nb", "a\n\n\nb"),
        ("tab\tkept", "tab\tkept"),
        ("trailing  \nspaces\t\n", "trailing\nspaces"),
        ("e\u0301", "\u00e9"),  # NFC
        ("Ё\u0308", "Ё\u0308"),
    ],
)
def test_clean_text_removes_invisible_and_control_characters(text: str, expected: str) -> None:
    assert clean_text(text, max_length=100) == expected


@pytest.mark.parametrize(
    ("text", "min_length", "max_length", "code"),
    [
        ("", 1, 10, "text.empty"),
        ("  \n\t ", 1, 10, "text.empty"),
        ("\u200b\u200b\u202e", 1, 10, "text.empty"),
        ("\ud800", 1, 10, "text.empty"),
        ("ab", 3, 10, "text.too_short"),
        ("abcdef", 1, 5, "text.too_long"),
        ("x" * 100_001, 1, 100_000, "text.too_long"),
    ],
)
def test_clean_text_refuses_with_a_stable_code(
    text: str, min_length: int, max_length: int, code: str
) -> None:
    assert clean_text(text, min_length=min_length, max_length=max_length) == ParseError(code)


def test_clean_text_counts_length_after_cleaning_a_huge_input() -> None:
    text = "\u200b" * 1_000_000 + "ok" + "\x00" * 1_000_000
    assert clean_text(text, min_length=2, max_length=2) == "ok"
    assert clean_text("x" * 100_000, max_length=100_000) == "x" * 100_000


# --- person_key ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Иванов Иван Иванович", "иванов  иван иванович"),
        ("Иванов Иван Иванович", "Иван Иванович ИВАНОВ"),
        ("Ivan Ivanov", "Ivanov Ivan"),
        ("Пётр Семёнов", "Петр Семенов"),
        ("José Müller", "Jose Muller"),
        ("Petrov-Vodkin Kuzma", "Kuzma Petrov Vodkin"),
        ("Петров–Водкин Кузьма", "Кузьма Петров-Водкин"),  # en dash typed for a hyphen
        ("O'Brien Sean", "Sean O’Brien"),
        ("Дем'ян Шевчук", "Демʼян Шевчук"),
        ("Қайрат Әлиев", "Кайрат Алиев"),
        ("Іван Франко", "Иван Франко"),
        ("Иванов,\u200b Иван.", "Иван Иванов"),
        ("ИВАНОВ \u202eИван", "иванов иван"),
    ],
)
def test_person_key_matches_the_same_person_typed_differently(first: str, second: str) -> None:
    assert person_key(first, "1990-01-12") == person_key(second, "1990-01-12")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Иванов Иван Иванович", "1990-01-12"), ("Иванов Иван", "1990-01-12")),
        (("Иванов Иван", "1990-01-12"), ("Иванов Иван", "1990-01-13")),
        (("Иванов Иван", "1990-01-12"), ("Иванов Иван", None)),
        (("Андрей Сергеев", None), ("Андреи Сергеев", None)),  # й is its own letter
        (("Иванов Иван", None), ("Иванова Ивана", None)),
    ],
)
def test_person_key_tells_different_people_apart(
    first: tuple[str, str | None], second: tuple[str, str | None]
) -> None:
    assert person_key(*first) != person_key(*second)


@pytest.mark.parametrize(
    ("name", "birth_date", "expected"),
    [
        ("Ivanov Ivan", "1990-01-12", "ivan ivanov|1990-01-12"),
        ("  Ivan  ", None, "ivan|"),
        ("Ivan", " 1990-01-12 ", "ivan|1990-01-12"),
        ("Ivan", "", "ivan|"),
        ("Ivan", "около 1990", "ivan|около 1990"),
        ("", None, "|"),
        ("Ivan\ud800", None, "ivan|"),
    ],
)
def test_person_key_has_a_stable_format(name: str, birth_date: str | None, expected: str) -> None:
    assert person_key(name, birth_date) == expected


# --- Fuzzing ---------------------------------------------------------------------------------

_VOCABULARY = [
    "12",
    "01",
    "1990",
    "90",
    ".",
    ":",
    "-",
    "/",
    " ",
    "+",
    "~",
    "?",
    "8",
    "7",
    "(",
    ")",
    "00",
    "января",
    "қаңтар",
    "jan",
    "вчера",
    "назад",
    "часа",
    "полчаса",
    "pm",
    "вечера",
    "ago",
    "hours",
    "сейчас",
    "г.",
    "\u200b",
    "\u202e",
    "\ud800",
    "\x00",
    "\n",
    "\r",
    "\u0301",
]


def _random_text(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randrange(0, 12)):
        if rng.random() < 0.5:
            parts.append(rng.choice(_VOCABULARY))
        else:
            parts.append(chr(rng.randrange(0, 0x110000)))  # surrogates and unassigned included
    return "".join(parts)


def test_parsers_never_raise_on_random_unicode() -> None:
    rng = random.Random(20260112)
    for _ in range(2_000):
        text = _random_text(rng)
        assert isinstance(parse_date(text, today=TODAY), DateAnswer | ParseError)
        assert isinstance(parse_date(text, today=TODAY, allow_future=True), DateAnswer | ParseError)
        for now in (NOW, JUST_AFTER_MIDNIGHT):
            for future in (0, 60):
                result = parse_datetime(text, now=now, allow_future_days=future)
                assert isinstance(result, DateTimeAnswer | ParseError)
        assert isinstance(parse_phone(text), str | ParseError)
        cleaned = clean_text(text, max_length=50)
        assert isinstance(cleaned, str | ParseError)
        if isinstance(cleaned, str):
            cleaned.encode("utf-8")  # storable: no lone surrogates survive
        key = person_key(text, text)
        key.encode("utf-8")
