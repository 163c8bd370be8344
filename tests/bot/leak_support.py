"""Canary scanning in more encodings, and an office whose staff carry canaries in their names.

`tests/leaks.py` looks for a needle as UTF-8 and UTF-16; a seized server may hold text in other
shapes too, so `forms` adds base64 (standard and URL-safe, at each of the three alignments a
substring can take inside a longer encoded string), hex of the UTF-8 bytes (lower and upper
case), JSON and Python escapes of non-ASCII letters, percent-encoding, and each of these for the
lower-case, upper-case and decomposed (NFD) spellings, since the bot folds names (the duplicate
key) and a folded copy is as telling as the original.

`canary_office` starts the production bot exactly as `tests/bot/alert_support.office` does, but
the coordinator and the lawyers have canaries in their first and last names and usernames, and
Telegram ids distinctive enough to search for as text. `LogCapture` keeps every line the bot
logs, formatted as the production log handler writes it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import shutil
import subprocess
import sys
import unicodedata
import urllib.parse
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.logging_setup import JsonFormatter
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser
from storage.db import make_engine
from storage.models import Base
from tests.bot.alert_support import FakeClock, Office, office
from tests.databases import ScratchDatabase
from tests.leaks import encodings

# Latin letters (and digits) spelled in Cyrillic, so each Latin canary has a Cyrillic twin.
_CYRILLIC = {
    "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
    "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "ш", "x": "кс", "y": "ы", "z": "з",
}  # fmt: skip
_CYRILLIC_DIGITS = (
    "ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять",
)  # fmt: skip


def latin(tag: str) -> str:
    """A Latin canary: unique to `tag`, found nowhere else."""
    return f"Qx7{tag}"


def cyrillic(tag: str) -> str:
    """The Cyrillic twin of a tag's canary (its prefix holds й, which decomposes under NFD)."""
    letters = "".join(
        _CYRILLIC_DIGITS[int(ch)].capitalize() if ch.isdigit() else _CYRILLIC.get(ch, ch)
        for ch in tag.lower()
    )
    return f"Щучий{letters[:1].upper()}{letters[1:]}"


def both(tag: str) -> tuple[str, str]:
    """A tag's Latin and Cyrillic canaries."""
    return latin(tag), cyrillic(tag)


# -- encodings ---------------------------------------------------------------------------------


def _base64_forms(raw: bytes) -> list[bytes]:
    """The base64 characters that encode `raw` wherever it sits inside a longer string.

    Inside an encoded string, `raw` starts at one of three offsets within a 3-byte group; for
    each, the characters that depend on `raw`'s bytes alone are the ones to look for.
    """
    found: list[bytes] = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw)
        first = -(-8 * offset // 6)  # the first character holding no padding bits
        last = (8 * (offset + len(raw))) // 6  # characters after this hold filler bits
        piece = encoded[first:last]
        if len(piece) >= 8:
            found.append(piece)
            found.append(piece.translate(bytes.maketrans(b"+/", b"-_")))
    return found


def _spellings(text: str) -> set[str]:
    forms = {text, text.lower(), text.upper(), text.casefold()}
    return forms | {unicodedata.normalize("NFD", form) for form in forms}


def forms(needle: str) -> list[bytes]:
    """Every shape `needle` may take on disk or in a log line."""
    found: set[bytes] = set()
    for text in _spellings(needle):
        raw = text.encode("utf-8")
        found.update(encodings(text))  # UTF-8, UTF-16 LE and BE, as tests/leaks.py looks
        found.update(
            {
                raw.hex().encode(),
                raw.hex().upper().encode(),
                json.dumps(text).strip('"').encode(),  # \u041a... escapes
                text.encode("unicode_escape"),  # \u041a... as Python writes them
                urllib.parse.quote(text).encode(),
                urllib.parse.quote(text).lower().encode(),
            }
        )
        found.update(_base64_forms(raw))
    return sorted(found)


@dataclass(frozen=True)
class Needles:
    """Needles and all their forms, computed once."""

    needles: tuple[str, ...]
    by_needle: dict[str, list[bytes]]

    @classmethod
    def of(cls, needles: Iterable[str]) -> Needles:
        unique = tuple(dict.fromkeys(needles))
        return cls(unique, {needle: forms(needle) for needle in unique})

    def hits(self, blob: bytes) -> list[str]:
        """The needles found in `blob`, in any form."""
        return [n for n, shapes in self.by_needle.items() if any(s in blob for s in shapes)]

    def in_files(self, directory: Path) -> dict[str, list[str]]:
        """Needles found in each file under `directory` (database, -wal, -shm, keys, exports)."""
        found: dict[str, list[str]] = {}
        if not directory.exists():
            return found
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                hits = self.hits(path.read_bytes())
                if hits:
                    found[str(path)] = hits
        return found

    def in_lines(self, lines: Iterable[str]) -> dict[str, list[str]]:
        """Lines holding a needle, with the needles they hold."""
        lines = list(lines)
        blob = "\n".join(lines).encode("utf-8", "backslashreplace")
        if not self.hits(blob):
            return {}
        return {
            line: hits
            for line in lines
            if (hits := self.hits(line.encode("utf-8", "backslashreplace")))
        }

    async def in_tables(self, database: ScratchDatabase) -> dict[str, list[str]]:
        """Needles found in any column of any table, read back through the database."""
        found: dict[str, list[str]] = {}
        engine = make_engine(database.url)
        try:
            async with engine.connect() as connection:
                for table in Base.metadata.sorted_tables:
                    rows = (await connection.execute(select(table))).all()
                    blob = b"\0".join(
                        value if isinstance(value, bytes) else str(value).encode()
                        for row in rows
                        for value in row
                    )
                    hits = self.hits(blob)
                    if hits:
                        found[table.name] = hits
        finally:
            await engine.dispose()
        return found


def pg_dump(database: ScratchDatabase) -> bytes:
    """A plain-text dump of a PostgreSQL test database (schema and data), as a backup holds it."""
    executable = shutil.which("pg_dump")
    assert executable is not None, "pg_dump is needed to scan what a PostgreSQL backup holds"
    url = make_url(database.url).set(drivername="postgresql")
    done = subprocess.run(
        [executable, "--no-owner", "--dbname", url.render_as_string(hide_password=False)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"COPY public.answers" in done.stdout, "the dump holds no answers table"
    return done.stdout


# -- logs --------------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self, formatter: logging.Formatter, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def capture_logs(secrets: tuple[str, ...]) -> Iterator[list[str]]:
    """Every log line (root logger, DEBUG) as the production JSON handler formats it."""
    lines: list[str] = []
    handler = _Capture(JsonFormatter(secrets), lines)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


# -- people ------------------------------------------------------------------------------------

STAFF_ID_BASE = 7390880000
REPORTER_ID_BASE = 7390770000


@dataclass(frozen=True)
class Person:
    """A Telegram user whose every mark is a canary."""

    tag: str
    user_id: int
    language: str = "en"

    @property
    def first_name(self) -> str:
        return f"{latin(self.tag + 'First')} {cyrillic(self.tag + 'First')}"

    @property
    def last_name(self) -> str:
        return latin(self.tag + "Last")

    @property
    def username(self) -> str:
        return f"qx7_{self.tag.lower()}_handle"

    @property
    def label(self) -> str:
        """What identifies them on a button: the start of their first name."""
        return latin(self.tag + "First")

    def needles(self) -> list[str]:
        """Everything of their Telegram identity that a seized server must not show."""
        return [
            str(self.user_id),
            self.username,
            self.first_name,
            *both(self.tag + "First"),
            self.last_name,
        ]

    def play(self, standin: BotApiStandIn) -> PlayUser:
        """The user in the stand-in."""
        return standin.new_user(
            self.first_name,
            language_code=self.language,
            username=self.username,
            last_name=self.last_name,
            id=self.user_id,
        )


COORDINATOR = Person("StaffKira", STAFF_ID_BASE + 1)
LAWYERS = (
    Person("StaffLena", STAFF_ID_BASE + 11),
    Person("StaffMarat", STAFF_ID_BASE + 12),
    Person("StaffDana", STAFF_ID_BASE + 13),
)
STAFF = (COORDINATOR, *LAWYERS)


@asynccontextmanager
async def canary_office(
    standin: BotApiStandIn,
    database: ScratchDatabase,
    keyring_path: Path,
    clock: FakeClock | None = None,
    **overrides: Any,
) -> AsyncIterator[Office]:
    """`alert_support.office`, with canary staff: three lawyers (Dana never wrote to the bot)
    and a coordinator; an outsider (Oleg) in the lawyers' group who is not staff."""
    async with office(
        standin,
        database,
        keyring_path,
        clock,
        lawyers=[person.play(standin) for person in LAWYERS],
        coordinator=COORDINATOR.play(standin),
        **overrides,
    ) as world:
        yield world


async def run_daily_retention(world: Office) -> None:
    """Run the Application's daily retention job now (it reads the time from the fake clock)."""
    job_queue = world.bot.application.job_queue
    assert job_queue is not None
    [job] = job_queue.get_jobs_by_name("retention")
    await job.run(world.bot.application)
    await world.settle()


async def run_ops(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m bot.ops ...` as a real process (as an operator runs it on the server)."""
    cwd.mkdir(parents=True, exist_ok=True)
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.ops", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
