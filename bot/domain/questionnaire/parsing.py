# Cyrillic, Kazakh and typographic characters are this module's subject, not look-alike typos.
# ruff: noqa: RUF001, RUF002, RUF003
"""Parsers for typed questionnaire answers: dates, moments, phone numbers, free text, names.

Relatives type these on a phone, frightened, often in a second language, so the parsers accept
Russian, Ukrainian, Kazakh and English words and the usual local formats. Each returns a value
or a `ParseError` whose `code` the UI translates; none raises on any ``str`` input (the only
exception is a naive ``now``, which is a programming error). Standard library only.

Answers are first *folded*: invisible characters dropped, NFKC (full-width digits become
ASCII), case-folded, ё→е, and the Kazakh and Ukrainian letters missing from a Russian keyboard
mapped to the letters typed instead (қ→к, ү→у, і→и, ґ→г...). Every word table below goes
through the same fold, so "қаңтар" and "кантар" are the same month.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why an answer was refused; `code` is a stable key the UI translates, e.g. "date.future"."""

    code: str


@dataclass(frozen=True, slots=True)
class DateAnswer:
    """A calendar date, e.g. a date of birth, possibly marked as approximate."""

    date: dt.date
    approximate: bool = False

    def to_json(self) -> dict[str, object]:
        """The stored form: ``{"date": "2026-01-12", "approximate": false}``."""
        return {"date": self.date.isoformat(), "approximate": self.approximate}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DateAnswer:
        """The inverse of `to_json`.

        Raises:
            ValueError: If ``data`` is not a stored date answer.
        """
        value, approximate = data.get("date"), data.get("approximate", False)
        if not isinstance(value, str) or not isinstance(approximate, bool):
            raise ValueError("not a stored date answer")
        return cls(dt.date.fromisoformat(value), approximate)


@dataclass(frozen=True, slots=True)
class DateTimeAnswer:
    """A moment, e.g. of a detention; timezone-aware, in the zone of the ``now`` it was read at.

    When only a date was given, `has_time` is False, `moment` is 12:00 local that day and
    `approximate` is True.
    """

    moment: dt.datetime
    approximate: bool = False
    has_time: bool = True

    def to_json(self) -> dict[str, object]:
        """The stored form: ``{"at": "2026-01-12T14:30:00+05:00", "approximate": ..., ...}``."""
        return {
            "at": self.moment.isoformat(),
            "approximate": self.approximate,
            "has_time": self.has_time,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DateTimeAnswer:
        """The inverse of `to_json`; the zone comes back as a fixed UTC offset.

        Raises:
            ValueError: If ``data`` is not a stored date-time answer.
        """
        at, approximate, has_time = data.get("at"), data.get("approximate"), data.get("has_time")
        if not (
            isinstance(at, str) and isinstance(approximate, bool) and isinstance(has_time, bool)
        ):
            raise ValueError("not a stored date-time answer")
        moment = dt.datetime.fromisoformat(at)
        if moment.utcoffset() is None:
            raise ValueError("stored date-time answer has no UTC offset")
        return cls(moment, approximate, has_time)


# --- Folding ---------------------------------------------------------------------------------

_INVISIBLE = frozenset({"Cc", "Cf", "Cs"})  # controls, format (zero-width, bidi), surrogates
_NEWLINES = str.maketrans(dict.fromkeys("\r\x0b\x0c\x85\u2028\u2029", "\n"))
_FOLD = str.maketrans(
    {"ё": "е", "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х"}
    | {"і": "и", "ґ": "г", "ў": "у"}
    | dict.fromkeys("‘’ʼ`´", "'")
    | dict.fromkeys("‐‑‒–—―−", "-")
)


def _visible(text: str) -> str:
    """``text`` with newlines unified and every Cc/Cf/Cs character but newline and tab dropped.

    Lone surrogates (Cs) would make UTF-8 encoding, and so storage, fail later.
    """
    text = text.replace("\r\n", "\n").translate(_NEWLINES)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _INVISIBLE)


def _fold(text: str) -> str:
    """Lower-case, keyboard-neutral form of an answer or of a table word (see module doc)."""
    text = unicodedata.normalize("NFKC", _visible(text)).casefold().translate(_FOLD)
    if text.isascii():
        return text
    # Persian and Arabic keyboards type their own digits; NFKC leaves them alone.
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _words(spec: Mapping[_V, str]) -> dict[str, _V]:
    """A word table from ``{value: "word word ..."}``, words folded like answers."""
    return {_fold(word): value for value, words in spec.items() for word in words.split()}


def _wordset(words: str) -> frozenset[str]:
    """A set of words, folded like answers."""
    return frozenset(_fold(word) for word in words.split())


def _phrases(spec: Mapping[_V, str]) -> dict[tuple[str, ...], _V]:
    """A phrase table from ``{value: "phrase|phrase ..."}``, longest phrases first."""
    table = {tuple(_fold(p).split()): v for v, ps in spec.items() for p in ps.split("|")}
    return dict(sorted(table.items(), key=lambda item: -len(item[0])))


# --- Word tables -----------------------------------------------------------------------------

_MONTHS = _words(
    {
        1: "январь января янв січень січня січ қаңтар january jan",
        2: "февраль февраля фев февр лютий лютого лют ақпан february feb",
        3: "март марта мар березень березня бер наурыз march mar",
        4: "апрель апреля апр квітень квітня квіт сәуір april apr",
        5: "май мая травень травня трав мамыр may",
        6: "июнь июня июн червень червня черв маусым june jun",
        7: "июль июля июл липень липня лип шілде july jul",
        8: "август августа авг серпень серпня серп тамыз august aug",
        9: "сентябрь сентября сен сент вересень вересня вер қыркүйек september sep sept",
        10: "октябрь октября окт жовтень жовтня жовт қазан october oct",
        11: "ноябрь ноября ноя нояб листопад листопада лист қараша november nov",
        12: "декабрь декабря дек грудень грудня груд желтоқсан december dec",
    }
)
_APPROXIMATE = _phrases(
    {
        True: "about|around|approx|approximately|circa|roughly|~|≈|?|около|примерно|"
        "приблизительно|где-то|где то|порядка|ориентировочно|приблизно|близько|десь|"
        "орієнтовно|шамамен|шамасы|шамалы|жуық"
    }
)
# Words that carry no meaning once the date and time are found: prepositions, "year" after a
# year, "year of birth" ("г.р."), ordinal endings ("12-го", "12th") and Kazakh locative
# endings ("14:30-да").
_FILLERS = _wordset(
    "в во о об у at on the of in and и та г год года р рік року ж жыл жылы жылғы year yr "
    "г.р гр р.н ж.т рождения народження туған th st nd rd го е числа t да де те"
)
_RELATIVE_DAYS = _phrases(
    {
        -2: "day before yesterday|позавчера|позавчора|алдыңғы күні",
        -1: "yesterday|вчера|вчора|кеше",
        0: "today|сегодня|сьогодні|бүгін",
        1: "tomorrow|завтра|ертең",
        2: "day after tomorrow|послезавтра|післязавтра|бүрсігүні",
    }
)
_NOW = _phrases(
    {
        None: "now|right now|just now|сейчас|прямо сейчас|только что|зараз|прямо зараз|щойно|"
        "қазір|жаңа ғана|қазір ғана"
    }
)
_AGO = _wordset("ago назад тому бұрын")
_MINUTES_PER_DAY = 1440
_UNIT_MINUTES = _words(
    {
        1: "минута минуту минуты минут мин хвилина хвилину хвилини хвилин хв minute minutes "
        "min mins",
        30: "полчаса півгодини",
        60: "час часа часов ч година годину години годин hour hours hr hrs h сағат",
        _MINUTES_PER_DAY: "день дня дней дни сутки суток дні днів добу доби day days күн",
        7 * _MINUTES_PER_DAY: "неделя неделю недели недель тиждень тижні тижнів week weeks апта",
    }
)
_AMOUNTS = _words(
    {
        0.5: "пол половину half пів жарты",
        1.0: "a an one один одна одну бір",
        1.5: "полтора полторы півтори",
        2.0: "два две дві two екі",
        3.0: "три three үш",
        4.0: "четыре чотири four төрт",
        5.0: "пять п'ять five бес",
    }
)
# After a number: "8 вечера" is 20:00, "2 ночи" 02:00; Kazakh puts the word first ("кешкі 8").
_PM = _words(
    {False: "am a.m утра ночи ранку ночі таңғы түнгі", True: "pm p.m дня вечера вечора кешкі түскі"}
)
_CLOCK_WORDS = _wordset(
    "ч час часа часов h hrs o'clock сағат година годин години годині мин минут хв min"
)
# Without a clock time, a part of the day stands for a typical hour (and marks it approximate).
_DAY_PARTS = _words(
    {
        9: "утром morning вранці зранку уранці таңертең",
        14: "днём afternoon вдень удень күндіз",
        19: "вечером evening ввечері увечері кешке",
    }
)
# With a clock time the part of the day works like am/pm: "вечером в 8" is 20:00.
_MERIDIEM = _PM | {word: hour >= 12 for word, hour in _DAY_PARTS.items()}
_NOT_CLOCK_DIGITS = _CLOCK_WORDS | frozenset(_MERIDIEM)

_MAX_ANSWER_CHARS = 200  # dates and phones are short; this bounds the work on pasted junk
_GRACE = dt.timedelta(minutes=10)  # clocks and "about now" answers run a little ahead
_NOON = dt.time(12)
_LONGEST_AGO_MINUTES = 1000 * 366 * 1440  # "999999999 hours ago" must not overflow a datetime
_PHONE_SEPARATORS = frozenset(" \t-.()")
# Numbers where both the country code and the full length are known: +7 is Russia and
# Kazakhstan, the rest the post-Soviet countries most reporters come from.
_PHONE_LENGTHS = (
    {"7": 11}
    | dict.fromkeys(("380", "375", "992", "994", "995", "996", "998"), 12)
    | dict.fromkeys(("373", "374"), 11)
)
_LATIN_FOLD = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ə": "a", "æ": "ae", "œ": "oe"}
)

_DECIMAL_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9])")
_DIGIT_LETTER = re.compile(r"(?<=[0-9])-?(?=[^\W\d_])|(?<=[^\W\d_])-?(?=[0-9])")
_SEPARATORS = str.maketrans(dict.fromkeys(',;!()[]{}"«»„“”', " ") | {c: f" {c} " for c in "~≈?"})
_EDGE_PUNCTUATION = ".:-/'"
_NUMERIC_DATE = re.compile(r"([0-9]{1,4})[./-]([0-9]{1,2})[./-]([0-9]{1,4})")
# "14:30", "14.30", "14-30", "14 30"; so without a year "12.01" is a time, not a date...
_CLOCK = re.compile(r"(?P<h>[0-9]{1,2})(?:[-:. ](?P<m>[0-9]{2})(?:[:.][0-9]{2})?)?")
# ...unless a time follows or precedes it: "12.04 14:30" is the 12th of April at 14:30.
_DAY_MONTH = re.compile(r"([0-9]{1,2})[./]([0-9]{1,2})")
_AMOUNT = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")


# --- Tokens ----------------------------------------------------------------------------------


def _tokens(text: str) -> tuple[list[str], bool]:
    """Folded words of an answer with approximation markers removed, and whether any was found.

    Digits and letters are split apart ("1990г", "14ч30", "2pm") so unit words become tokens.
    """
    text = _DECIMAL_COMMA.sub(".", _fold(text))
    text = _DIGIT_LETTER.sub(" ", text).translate(_SEPARATORS)
    tokens = [token for raw in text.split() if (token := raw.strip(_EDGE_PUNCTUATION))]
    approximate = False
    while (hit := _take(tokens, _APPROXIMATE)) is not None:
        tokens, approximate = hit[1], True
    return tokens, approximate


def _take(tokens: list[str], table: Mapping[tuple[str, ...], _V]) -> tuple[_V, list[str]] | None:
    """The value of the first (longest) phrase of ``table`` in ``tokens``, and the rest."""
    for phrase, value in table.items():
        for i in range(len(tokens) - len(phrase) + 1):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                return value, tokens[:i] + tokens[i + len(phrase) :]
    return None


def _without(tokens: Iterable[str], words: frozenset[str]) -> list[str]:
    return [token for token in tokens if token not in words]


# --- Dates -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RawDate:
    day: int
    month: int
    year: int | None  # None: not typed (a recent date is meant)
    short_year: bool = False  # two digits typed: the century is to be chosen


def _find_date(
    tokens: list[str], *, short_named_year: bool
) -> tuple[_RawDate | int | None, list[str]]:
    """The date in ``tokens`` (a day offset for "yesterday"...) and the tokens left over.

    Args:
        tokens: Folded tokens without fillers.
        short_named_year: Whether "12 янв 90" has a year; in answers with a time the "90"
            could be an hour, so only birth dates allow it.
    """
    if (relative := _take(tokens, _RELATIVE_DAYS)) is not None:
        return relative
    for i, token in enumerate(tokens):
        rest = tokens[:i] + tokens[i + 1 :]
        if match := _NUMERIC_DATE.fullmatch(token):
            first, month, last = match.groups()
            if len(first) == 4:  # ISO, the only year-first numeric form
                return _RawDate(int(last), int(month), int(first)), rest
            if len(first) <= 2 and len(last) in (2, 4):  # day first everywhere else
                return _RawDate(int(first), int(month), int(last), len(last) == 2), rest
            return None, tokens
        if token in _MONTHS:
            named = _named_date(tokens[:i], _MONTHS[token], tokens[i + 1 :], short_named_year)
            return named if named[0] is not None else (None, tokens)  # a month without a day
    return None, tokens


def _day_month(tokens: list[str]) -> tuple[_RawDate | None, list[str]]:
    """A yearless numeric date beside a clock time: "12.04 14:30", "14:30 12.04".

    Only when the other tokens are a time of day, so "14.30" alone stays a time.
    """
    for i, token in enumerate(tokens):
        rest = tokens[:i] + tokens[i + 1 :]
        match = _DAY_MONTH.fullmatch(token)
        if match is None or not rest or _clock(rest) is None:
            continue
        day, month = int(match[1]), int(match[2])
        if 1 <= day <= 31 and 1 <= month <= 12:
            return _RawDate(day, month, None), rest
    return None, tokens


def _named_date(
    before: list[str], month: int, after: list[str], short_year: bool
) -> tuple[_RawDate | None, list[str]]:
    """A date around a month word: "12 января 1990", "January 12 1990", "1990 жылғы 12 қаңтар"."""
    if before and len(before[-1]) <= 2 and before[-1].isdigit():
        day = int(before.pop())
    elif after and len(after[0]) <= 2 and after[0].isdigit():
        day = int(after.pop(0))
    else:
        return None, [*before, *after]
    if (
        after
        and after[0].isdigit()
        and (len(after[0]) == 4 or (short_year and after == [after[0]] and len(after[0]) == 2))
    ):
        year = after.pop(0)
    elif before and before[-1].isdigit() and len(before[-1]) == 4:
        year = before.pop()
    else:
        return _RawDate(day, month, None), [*before, *after]
    return _RawDate(day, month, int(year), len(year) == 2), [*before, *after]


def _resolve(raw: _RawDate, *, ref: dt.date, limit: dt.date | None) -> dt.date | None:
    """The calendar date meant, or None if impossible (31.02).

    A missing year is this year or last (or next, unless ``limit`` is this year), a two-digit
    year this century or last: the latest that is not after ``limit``; with no limit, the one
    nearest ``ref``.
    """
    if raw.year is None:
        years = [ref.year, ref.year - 1]
        if limit is None or limit.year > ref.year:  # a scheduled date early next year
            years.insert(0, ref.year + 1)
    elif raw.short_year:
        century = ref.year // 100 * 100
        years = [century + raw.year, century - 100 + raw.year]
    else:
        years = [raw.year]
    candidates = []
    for year in years:
        try:
            candidates.append(dt.date(year, raw.month, raw.day))
        except ValueError:
            continue
    if not candidates:
        return None
    if limit is None:
        return min(candidates, key=lambda day: abs(day - ref))
    past = [day for day in candidates if day <= limit]
    return max(past) if past else candidates[0]


def parse_date(
    text: str, *, today: dt.date, earliest: dt.date | None = None, allow_future: bool = False
) -> DateAnswer | ParseError:
    """A calendar date such as a date of birth: "12.01.1990", "12 января 1990", "1990-01-12".

    Day first everywhere except ISO; month names in Russian, Ukrainian, Kazakh and English;
    markers such as "около", "~" or a trailing "?" make it approximate.

    Args:
        text: What the reporter typed.
        today: The reporter's today.
        earliest: Dates before this are refused with "date.too_old".
        allow_future: Whether dates after ``today`` are accepted.

    Returns:
        The date, or a ParseError "date.invalid", "date.future" or "date.too_old".
    """
    if len(text) > _MAX_ANSWER_CHARS:
        return ParseError("date.invalid")
    tokens, approximate = _tokens(text)
    found, rest = _find_date(_without(tokens, _FILLERS), short_named_year=True)
    if not isinstance(found, _RawDate) or found.year is None or rest:
        return ParseError("date.invalid")
    value = _resolve(found, ref=today, limit=None if allow_future else today)
    if value is None:
        return ParseError("date.invalid")
    if value > today and not allow_future:
        return ParseError("date.future")
    if earliest is not None and value < earliest:
        return ParseError("date.too_old")
    return DateAnswer(value, approximate)


# --- Moments ---------------------------------------------------------------------------------


def _ago(tokens: list[str]) -> tuple[float, int] | None:
    """``(amount, minutes per unit)`` of "2 часа", "полчаса", "half an hour", or None."""
    if not tokens or tokens[-1] not in _UNIT_MINUTES or len(tokens) > 3:
        return None
    amount = 1.0
    for token in tokens[:-1]:
        if _AMOUNT.fullmatch(token):
            amount *= float(token)
        elif token in _AMOUNTS:
            amount *= _AMOUNTS[token]
        else:
            return None
    return amount, _UNIT_MINUTES[tokens[-1]]


def _clock(tokens: list[str]) -> tuple[dt.time, bool] | None:
    """The time of day in "14:30", "14 ч 30", "2 pm", "8 вечера", "вечером"; and if it is vague."""
    if len(tokens) == 1 and tokens[0] in _DAY_PARTS:
        return dt.time(_DAY_PARTS[tokens[0]]), True
    meridiem = [_MERIDIEM[token] for token in tokens if token in _MERIDIEM]
    match = _CLOCK.fullmatch(" ".join(_without(tokens, _NOT_CLOCK_DIGITS)))
    if match is None or len(meridiem) > 1:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if meridiem and hour <= 12:  # "14 pm" is read as 14:00 rather than refused
        hour = hour % 12 + (12 if meridiem[0] else 0)
    try:
        return dt.time(hour, minute), False
    except ValueError:
        return None


def parse_datetime(
    text: str, *, now: dt.datetime, allow_future_days: int = 0, max_past_days: int = 366
) -> DateTimeAnswer | ParseError:
    """A moment such as a detention: "вчера в 14:30", "2 часа назад", "12.01.2026 14.30".

    A date alone gives 12:00 that day (approximate, without time). A time alone means today, or
    yesterday if today it would be more than 10 minutes ahead and the future is not allowed.

    Args:
        text: What the reporter typed.
        now: The current moment, timezone-aware; results are in its zone.
        allow_future_days: How many days ahead are accepted (for scheduled events).
        max_past_days: How many days back are accepted.

    Returns:
        The moment, or a ParseError "date.invalid", "date.future" or "date.too_old".

    Raises:
        ValueError: If ``now`` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if len(text) > _MAX_ANSWER_CHARS:
        return ParseError("date.invalid")
    answer = _interpret(text, now, allow_future_days)
    if isinstance(answer, ParseError):
        return answer
    if answer.has_time:
        # In UTC: Python compares datetimes of one zone by wall clock, which is wrong across DST.
        ahead = _utc(answer.moment) - _utc(now)
        if ahead > dt.timedelta(days=allow_future_days) + _GRACE:
            return ParseError("date.future")
        if -ahead > dt.timedelta(days=max_past_days):
            return ParseError("date.too_old")
    else:
        days_ahead = (answer.moment.date() - now.date()).days
        if days_ahead > allow_future_days:
            return ParseError("date.future")
        if -days_ahead > max_past_days:
            return ParseError("date.too_old")
    return answer


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _interpret(text: str, now: dt.datetime, allow_future_days: int) -> DateTimeAnswer | ParseError:
    """The moment ``text`` names, before its bounds are checked."""
    zone, today = now.tzinfo, now.date()
    tokens, approximate = _tokens(text)
    hit = _take(tokens, _NOW)
    if hit is not None and not _without(hit[1], _FILLERS):
        return DateTimeAnswer(now.replace(second=0, microsecond=0), approximate)
    if tokens and tokens[-1] in _AGO:
        ago = _ago(tokens[:-1])
        if ago is None:
            return ParseError("date.invalid")
        minutes = min(ago[0] * ago[1], _LONGEST_AGO_MINUTES)
        if ago[1] >= _MINUTES_PER_DAY:  # "2 дня назад" names a day, not a time
            day = today - dt.timedelta(days=round(minutes / _MINUTES_PER_DAY))
            return DateTimeAnswer(
                dt.datetime.combine(day, _NOON, zone), approximate=True, has_time=False
            )
        moment = (_utc(now) - dt.timedelta(minutes=minutes)).astimezone(zone)
        return DateTimeAnswer(moment.replace(second=0, microsecond=0), approximate=True)

    found, rest = _find_date(_without(tokens, _FILLERS), short_named_year=False)
    if found is None and len(rest) > 1 and _clock(rest) is None:
        found, rest = _day_month(rest)
    if isinstance(found, _RawDate):
        # The past only: the latest such date up to today. A scheduled event: the nearest one
        # (refused later if it lies further ahead than allowed).
        limit = today if allow_future_days <= 0 else None
        resolved = _resolve(found, ref=today, limit=limit)
        if resolved is None:
            return ParseError("date.invalid")
        day = resolved
    else:
        day = today + dt.timedelta(days=found or 0)
    if not rest:
        if found is None:
            return ParseError("date.invalid")
        return DateTimeAnswer(
            dt.datetime.combine(day, _NOON, zone), approximate=True, has_time=False
        )
    clock = _clock(rest)
    if clock is None:
        return ParseError("date.invalid")
    moment = dt.datetime.combine(day, clock[0], zone)
    if found is None and allow_future_days <= 0 and _utc(moment) - _utc(now) > _GRACE:
        moment = dt.datetime.combine(day - dt.timedelta(days=1), clock[0], zone)
    return DateTimeAnswer(moment, approximate or clock[1])


# --- Phones ----------------------------------------------------------------------------------


def parse_phone(text: str) -> str | ParseError:
    """A phone number in E.164 form, e.g. "+77011234567".

    Accepts spaces, dashes, dots, parentheses, a leading "+" or "00", and the national forms of
    the countries most reporters come from: "8 701 123 45 67" and bare "9161234567" /
    "7011234567" (Russia, Kazakhstan: +7), "050 123 45 67" (Ukraine: +380).

    Returns:
        The number, or a ParseError "phone.invalid" or "phone.too_short".
    """
    if len(text) > _MAX_ANSWER_CHARS:
        return ParseError("phone.invalid")
    folded = _fold(text).strip()
    plus = folded.startswith("+")
    body = folded[1:] if plus else folded
    if any(ch not in _PHONE_SEPARATORS and not ("0" <= ch <= "9") for ch in body):
        return ParseError("phone.invalid")
    digits = "".join(ch for ch in body if ch not in _PHONE_SEPARATORS)
    if not digits:
        return ParseError("phone.invalid")
    if not plus and digits.startswith("00"):
        digits, plus = digits[2:], True
    if plus:
        # "+8 916 ..." is a common slip for +7: +89 is unassigned and +87x numbers are longer.
        if len(digits) == 11 and digits[:2] in ("89", "87"):
            digits = "7" + digits[1:]
    elif len(digits) == 11 and digits.startswith("80"):
        digits = "3" + digits  # Ukraine's old long-distance form "8 050 ..."; +7 0 does not exist
    elif len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]  # the Russian and Kazakh trunk prefix
    elif len(digits) == 10 and digits[0] in "97":
        digits = "7" + digits
    elif len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits  # Ukrainian national form
    expected = next((n for code, n in _PHONE_LENGTHS.items() if digits.startswith(code)), None)
    if len(digits) < (expected or 8):
        return ParseError("phone.too_short")
    if len(digits) > (expected or 15) or digits.startswith("0"):
        return ParseError("phone.invalid")
    return "+" + digits


# --- Text ------------------------------------------------------------------------------------

_MAX_BLANK_LINES = 2


def clean_text(text: str, *, min_length: int = 1, max_length: int) -> str | ParseError:
    """Free text made safe to store and show to lawyers.

    Drops zero-width and bidirectional controls (an RTL override can make a message read
    differently to a lawyer than it was written), other controls but newline and tab, and lone
    surrogates; applies NFC, unifies newlines, strips trailing spaces of lines and the text, and
    keeps at most two blank lines in a row. Lengths are counted in code points after cleaning.

    Returns:
        The text, or a ParseError "text.empty", "text.too_short" or "text.too_long".
    """
    text = unicodedata.normalize("NFC", _visible(text))
    lines: list[str] = []
    blank_run = 0
    for raw in text.split("\n"):
        line = raw.rstrip()
        blank_run = 0 if line else blank_run + 1
        if blank_run <= _MAX_BLANK_LINES:
            lines.append(line)
    cleaned = "\n".join(lines).strip()
    if not cleaned:
        return ParseError("text.empty")
    if len(cleaned) < min_length:
        return ParseError("text.too_short")
    if len(cleaned) > max_length:
        return ParseError("text.too_long")
    return cleaned


# --- People ----------------------------------------------------------------------------------


def person_key(full_name: str, birth_date: str | None) -> str:
    """A normalised "name|birth date" key, so two relatives typing one person give one key.

    The name is folded like answers (case, ё→е, Kazakh letters as on a Russian keyboard,
    Ukrainian і→и), accents are stripped from Latin letters only (so й stays й: it is a
    different letter, never typed as и), apostrophes are dropped ("O'Brien" = "OBrien"),
    hyphens and other punctuation separate words ("Петров-Водкин" = "Петров Водкин"), and the
    words are sorted, so word order does not matter but a missing patronymic does.

    Args:
        full_name: The name as typed.
        birth_date: An ISO date ("1990-01-12"), or None when unknown.

    Returns:
        E.g. "ivan ivanov|1990-01-12", or "ivan ivanov|" without a birth date.
    """
    kept: list[str] = []
    latin_base = False
    for ch in unicodedata.normalize("NFD", _fold(full_name).translate(_LATIN_FOLD)):
        kind = unicodedata.category(ch)[0]
        if kind == "M":  # a mark belongs to its letter (Arabic, Devanagari...) unless Latin
            if not latin_base:
                kept.append(ch)
            continue
        latin_base = ch.isascii()
        kept.append(ch if kind in "LN" else "" if ch == "'" else " ")
    words = sorted(unicodedata.normalize("NFC", "".join(kept)).split())
    born = (birth_date or "").strip()
    try:
        born = dt.date.fromisoformat(born).isoformat() if born else ""
    except ValueError:
        born = " ".join(_fold(born).split())  # kept as typed rather than silently dropped
    return " ".join(words) + "|" + born
