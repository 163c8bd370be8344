"""A day of staff work on canary-filled reports; then a seized server's view finds no canary.

Four reporters, whose Telegram names and usernames are canaries, send full reports with a
canary in every answer a person types (the detained person's name, places, article, story...),
a phone number, a photo and a document (canaries in its name, its content and its caption); two
of them report the same person, so the intake links the reports. The coordinator and lawyers,
whose names are canaries too, then do everything the coordinators' issue asks for:

* triage: the case list and its filters, a case opened from the list and by /case, Details
  pressed on a card by a lawyer;
* a status change (the reporter is told), assignment (the lawyer is paged), three notes,
  the merge of the linked report, statistics (a chart), /expiring;
* two-way contact both ways: the coordinator writes to one reporter, who answers with /add and
  the answer reaches the coordinator; the assigned lawyer writes to another reporter, who
  answers with a text and a document that reach the lawyer;
* an export of the whole period with `python -m bot.ops export` (an HPKE-sealed file; opened
  offline here to prove the canaries are in it, sealed), a coordinator's erasure of a case, and
  the daily retention job shredding the closed, merged case on the fake clock.

Then, with the bot running and again once it has stopped (SQLite checkpoints its journal),
every canary is searched for in every file of the data directory (database, -wal, -shm), the
key directory, the export directory, every table read back through the database, a pg_dump of
the PostgreSQL database, every log line the bot wrote and everything the ops command printed;
in UTF-8, UTF-16, base64, hex, JSON/Python/percent escapes, folded and decomposed
(`tests/bot/leak_support.py`). Nothing may be found.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.domain.intake_model import Action
from bot.standin import TINY_PNG, BotApiStandIn
from bot.standin.models import PlayUser, StoredMessage
from storage.export import attachment_bytes, generate_key_pair, load_private_key, open_export
from tests.bot.alert_support import Office, codes_in
from tests.bot.leak_support import (
    LAWYERS,
    REPORTER_ID_BASE,
    STAFF,
    Needles,
    Person,
    both,
    canary_office,
    capture_logs,
    cyrillic,
    latin,
    pg_dump,
    run_daily_retention,
    run_ops,
)
from tests.bot.reporter_driver import UNKNOWN, Reporter, tr
from tests.bot.staff_support import Desk, audit_of, desk, labels
from tests.databases import ScratchDatabase

EN = tr("en")

# The answers each reporter types, by question; each gets canaries of its own.
TYPED_FIELDS = (
    "City",
    "Place",
    "Station",
    "Citizenship",
    "Article",
    "Court",
    "Airport",
    "Country",
    "Language",
    "Story",
    "Evenings",
    "Caption",
    "Photo",
    "Doc",
    "DocBody",
)


def words(tag: str) -> str:
    """A text holding a tag's Latin and Cyrillic canaries."""
    first, second = both(tag)
    return f"{first} {second}"


@dataclass(frozen=True)
class Witness:
    """A reporter: their Telegram identity, the person they report, and their canaries."""

    person: Person
    index: int
    detained: str  # the tag of the detained person's name

    @property
    def tag(self) -> str:
        return self.person.tag

    def typed(self, field: str) -> str:
        return words(self.tag + field)

    @property
    def phone_typed(self) -> str:
        return f"+7 701 739 77{10 + self.index}"

    @property
    def phone_e164(self) -> str:
        return f"+770173977{10 + self.index}"

    @property
    def document_name(self) -> str:
        return f"{latin(self.tag + 'Doc')}_{cyrillic(self.tag + 'Doc')}.pdf"

    @property
    def document_data(self) -> bytes:
        return f"%PDF-1.4 {self.typed('DocBody')} ".encode() * 40

    @property
    def photo_data(self) -> bytes:
        return TINY_PNG + self.typed("Photo").encode()

    def report(self) -> list[tuple[str, Any]]:
        """A full report (an URGENT case) with a canary in every answer a person types."""
        return [
            ("reporter_role", "relative"),
            ("detained_name", words(self.detained)),
            ("detained_dob", "12.04.1990"),
            ("detained_at", "5 hours ago"),
            ("detained_city", self.typed("City")),
            ("detained_place", self.typed("Place")),
            ("held_at", "police_station"),
            ("held_at_details", self.typed("Station")),
            ("agency", "police"),
            ("citizenship", ["ru", "other"]),
            ("citizenship_other", self.typed("Citizenship")),
            ("removal_talk", "extradition"),
            ("lawyer_status", "none"),
            ("urgent_flags", ["health"]),
            ("grounds", "criminal"),
            ("article", self.typed("Article")),
            ("documents", ["passport"]),
            ("court_hearing", "yes"),
            ("court_details", self.typed("Court")),
            ("removal_time", UNKNOWN),
            ("removal_details", self.typed("Airport")),
            ("extradition_country", self.typed("Country")),
            ("interpreter", "yes"),
            ("interpreter_language", self.typed("Language")),
            ("story", f"{self.typed('Story')}. " * 20),
            ("papers", None),  # a photo and a document, see `submit`
            ("contact_method", "phone"),
            ("contact_phone", self.phone_typed),
            ("safe_times", self.typed("Evenings")),
            ("consent_family", "yes"),
            ("consent_public", "no"),
        ]

    def identity_needles(self) -> list[str]:
        """The reporter's Telegram identity and phone number."""
        return [
            *self.person.needles(),
            self.phone_e164,
            self.phone_e164[1:],
            self.phone_e164[2:],  # the national number
            self.phone_typed,
            self.phone_typed[3:],  # "701 739 7710"
        ]

    def needles(self) -> list[str]:
        """Everything of this reporter's that a seized server must not show."""
        typed = [c for field in TYPED_FIELDS for c in both(self.tag + field)]
        return [
            *self.identity_needles(),
            *typed,
            *both(self.detained),
            words(self.detained),
            self.document_name,
        ]


# Olga and Pavel report the same person (the intake links Pavel's report to Olga's case);
# Ruslan's case is erased by the coordinator; Dina's case is assigned, worked and kept.
OLGA = Witness(Person("RepOlga", REPORTER_ID_BASE + 1, "en"), 1, "PersonIvan")
PAVEL = Witness(Person("RepPavel", REPORTER_ID_BASE + 2, "ru"), 2, "PersonIvan")
RUSLAN = Witness(Person("RepRuslan", REPORTER_ID_BASE + 3, "kk"), 3, "PersonTimur")
DINA = Witness(Person("RepDina", REPORTER_ID_BASE + 4, "en"), 4, "PersonAsel")
WITNESSES = (OLGA, PAVEL, RUSLAN, DINA)

# What staff and reporters type after the reports.
NOTE_OLGA = words("NoteOnOlgasCase")
NOTE_RUSLAN = words("NoteOnRuslansCase")
NOTE_DINA = words("NoteOnDinasCase")
KIRA_WRITES = words("KiraAsksOlga")
OLGA_ANSWERS = words("OlgaAnswersKira")
LENA_WRITES = words("LenaAsksDina")
DINA_ANSWERS = words("DinaAnswersLena")
DINA_ADDS = words("DinaAddsNews")
DINA_FILE_NAME = f"{latin('DinaReplyFile')}_{cyrillic('DinaReplyFile')}.txt"
DINA_FILE_DATA = f"{words('DinaReplyFileBody')}\n".encode("utf-16") * 8
STAFF_TYPED = (
    "NoteOnOlgasCase",
    "NoteOnRuslansCase",
    "NoteOnDinasCase",
    "KiraAsksOlga",
    "OlgaAnswersKira",
    "LenaAsksDina",
    "DinaAnswersLena",
    "DinaAddsNews",
    "DinaReplyFile",
    "DinaReplyFileBody",
)


def all_needles() -> Needles:
    return Needles.of(
        [
            *(n for who in WITNESSES for n in who.needles()),
            *(n for member in STAFF for n in member.needles()),
            *(c for tag in STAFF_TYPED for c in both(tag)),
            *(words(tag) for tag in STAFF_TYPED),
            DINA_FILE_NAME,
        ]
    )


# -- the reporters' side -------------------------------------------------------------------------


async def submit(world: Office, who: Witness) -> tuple[PlayUser, str]:
    """Walk the whole questionnaire with canaries and send the report; the user and case code."""
    user = who.person.play(world.standin)
    reporter = Reporter(world.standin, user)
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    for question_id, value in who.report():
        if question_id == "papers":
            await reporter.send_photo(who.photo_data)
            await world.standin.send_document(
                user,
                who.document_data,
                who.document_name,
                "application/pdf",
                caption=who.typed("Caption"),
            )
            reporter.last = await world.standin.next_bot_message(user, timeout=10)
            await reporter.press(Action.DONE, "papers")
            continue
        await reporter.answer(question_id, value)
    await reporter.press(Action.SUBMIT)
    code = await world.reporter_case_code(reporter)
    await reporter.press(Action.WIPE_YES if who is OLGA else Action.WIPE_NO)
    await world.settle()
    return user, code


async def reply_to(world: Office, user: PlayUser, act: Callable[[], Awaitable[Any]]) -> str:
    """Do something as a user and return the text of the bot's next message to them."""
    await world.settle()
    since = world.cursor()
    await act()
    event = await world.standin.wait_for(
        lambda e: e.kind == "sent" and e.chat_id == user.id, since=since
    )
    [message] = [m for m in world.bot_messages(user) if m.message_id == event.message_id]
    return message.content


async def add_text(world: Office, user: PlayUser, code: str, text: str) -> None:
    """The reporter adds information with /add, as the bot tells them to answer staff."""
    prompt = await reply_to(world, user, lambda: world.standin.send_command(user, "/add"))
    assert prompt == EN.ui("add_prompt", code=code)
    saved = await reply_to(world, user, lambda: world.standin.send_text(user, text))
    assert saved == EN.ui("add_saved", code=code)
    await world.settle()


async def add_file(world: Office, user: PlayUser, code: str, data: bytes, name: str) -> None:
    """The reporter adds a document with /add."""
    prompt = await reply_to(world, user, lambda: world.standin.send_command(user, "/add"))
    assert prompt == EN.ui("add_prompt", code=code)
    saved = await reply_to(
        world, user, lambda: world.standin.send_document(user, data, name, "text/plain")
    )
    assert saved == EN.ui("add_saved", code=code)
    await world.settle()


def told(world: Office, user: PlayUser, since: int) -> list[str]:
    """What the bot sent a chat after event `since`."""
    return [m.content for m in world.sent_since(user, since)]


# -- the staff's side ----------------------------------------------------------------------------


def button_starting(message: StoredMessage, prefix: str) -> str:
    """The label of the one button that starts with `prefix` (names are clipped on buttons)."""
    [label] = [label for label in labels(message) if label.startswith(prefix)]
    return label


async def open_from_list(kira: Desk, code: str) -> StoredMessage:
    """/cases, every filter in turn, then the case opened from the "all" list."""
    screen = await kira.command("/cases")
    for name in ("not taken", "urgent", "stale", "all"):
        pressed = (await kira.press(screen, name)).screen
        assert pressed is not None
        screen = pressed
    assert screen.text == "Cases: all (4)"
    line = next(label for label in labels(screen) if code in codes_in(label))
    view = (await kira.press(screen, line)).screen
    assert view is not None
    assert (view.text or "").startswith(f"Case {code}")
    return view


async def note(kira: Desk, code: str, text: str) -> None:
    prompt = (await kira.press(await kira.open_case(code), "Note")).screen
    assert prompt is not None
    assert (await kira.say(text)).text == "Note saved."


async def set_status(kira: Desk, code: str, status: str) -> None:
    menu = (await kira.press(await kira.open_case(code), "Status")).screen
    assert menu is not None
    assert (await kira.press(menu, status)).toast == f"Status of {code}: {status}."


async def export_period(world: Office, database: ScratchDatabase, tmp_path: Path) -> list[str]:
    """`python -m bot.ops export` of the whole period into the server's export directory, opened
    offline with the private key; returns everything the command printed."""
    legal, server = tmp_path / "legal", tmp_path / "server"
    legal.mkdir()
    generate_key_pair(legal / "key.pem", legal / "key.pub")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": database.url,
        "KEYRING_PATH": str(world.settings.keyring_path),
        "TIMEZONE": "Asia/Almaty",
        "LOG_LEVEL": "DEBUG",
    }
    args = ("--since", "2026-01-01", "--until", "2026-01-31")
    done = await run_ops(
        "export", *args, "--public-key", str(legal / "key.pub"), "--out", "period.export",
        cwd=server, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sealed 4 case(s)" in done.stdout

    # Offline, the legal team finds every canary in it: they are in the sealed file, encrypted.
    document = open_export(
        (server / "period.export").read_bytes(), load_private_key(legal / "key.pem")
    )
    plain = json.dumps(document, ensure_ascii=False)
    files = b"".join(
        attachment_bytes(item) for case in document["cases"] for item in case["attachments"]
    )
    for who in WITNESSES:
        for field in ("City", "Story", "Article", "Evenings", "Doc"):
            assert latin(who.tag + field) in plain, (who.tag, field)
        assert who.typed("DocBody").encode() in files, who.tag
        # The reporter's Telegram identity is revealed to nobody, not even the legal team.
        assert Needles.of(who.person.needles()).hits(plain.encode()) == [], who.tag
    for text in (NOTE_OLGA, NOTE_RUSLAN, NOTE_DINA, OLGA_ANSWERS, DINA_ANSWERS, DINA_ADDS):
        assert text in plain, text
    assert DINA_FILE_NAME in plain
    return [*done.stdout.splitlines(), *done.stderr.splitlines()]


# -- the tests -----------------------------------------------------------------------------------


def test_the_scanner_finds_a_canary_in_each_form_it_may_take_on_disk() -> None:
    needle = words("ScannerSelfTest")
    found = Needles.of([needle, "7390889999"])
    raw = needle.encode()
    shapes = [
        raw,
        needle.encode("utf-16-le"),
        needle.encode("utf-16-be"),
        needle.lower().encode(),
        needle.upper().encode("utf-16-le"),
        raw.hex().encode(),
        raw.hex().upper().encode(),
        json.dumps(needle).encode(),  # ensure_ascii: \u0429...
        needle.encode("unicode_escape"),
        quote(needle).encode(),
        unicodedata.normalize("NFD", needle).encode(),
        *(base64.b64encode(bytes(pad) + raw + bytes(3)) for pad in range(3)),
        *(base64.urlsafe_b64encode(bytes(pad) + raw) for pad in range(3)),
    ]
    for shape in shapes:
        noise = b"\x00\x9f random bytes \xff" + shape + b" more \x01"
        assert found.hits(noise) == [needle], shape
    assert found.hits(b"x 7390889999 y") == ["7390889999"]
    assert found.hits(b"7390889999".hex().encode()) == ["7390889999"]
    assert found.hits(b"Qx7ScannerSelfTes only part of it, and 739088999") == []
    assert found.in_lines(["clean", f"dirty {needle}"]) == {f"dirty {needle}": [needle]}


async def test_after_a_day_of_staff_work_a_seized_server_reveals_no_canary(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path, tmp_path: Path
) -> None:
    needles = all_needles()
    data_dir, key_dir, export_dir = database.data_dir, keyring_path.parent, tmp_path / "server"
    with capture_logs((standin.token,)) as lines:
        async with canary_office(standin, database, keyring_path) as world:
            ops_output = await a_day_of_work(world, database, tmp_path)
            # While the bot still runs: the SQLite journal holds every recent page as written.
            if database.backend == "sqlite":
                assert {"intake.db", "intake.db-wal"} <= {p.name for p in data_dir.iterdir()}
            assert needles.in_files(data_dir) == {}
            await world.stop()
        # Stopped: SQLite has checkpointed its journal into the database file.
        if database.backend == "sqlite":
            assert (data_dir / "intake.db").exists()
            wal = data_dir / "intake.db-wal"
            assert not wal.exists() or wal.stat().st_size == 0
        assert needles.in_files(data_dir) == {}
        assert {"audit-anchor.json", "keyring.json"} <= {p.name for p in key_dir.iterdir()}
        assert needles.in_files(key_dir) == {}
        assert sorted(p.name for p in export_dir.iterdir()) == ["period.export"]
        assert needles.in_files(export_dir) == {}
        assert await needles.in_tables(database) == {}
        if database.backend == "postgres":
            assert needles.hits(pg_dump(database)) == []

    # The capture saw the bot's own lines (it logs events and counts, never content).
    events = [json.loads(line)["event"] for line in lines]
    assert {"bot running", "retention", "stopping"} <= set(events), events[-20:]
    assert needles.in_lines(lines) == {}
    assert needles.in_lines(ops_output) == {}
    secret = standin.token.split(":", 1)[1]
    assert [line for line in [*lines, *ops_output] if secret in line] == []


async def a_day_of_work(world: Office, database: ScratchDatabase, tmp_path: Path) -> list[str]:
    """Reports, triage, workflow, contact, export, erasure and retention; what ops printed."""
    lena, marat, _dana = world.lawyers
    kira = desk(world)
    users: dict[str, PlayUser] = {}
    codes: dict[str, str] = {}
    for who in WITNESSES:
        users[who.tag], codes[who.tag] = await submit(world, who)
    olga, pavel, ruslan, dina = (codes[who.tag] for who in WITNESSES)
    assert (await world.case_row(pavel)).duplicate_of == (await world.case_row(olga)).id

    # The canaries were taken in: the bot decrypts them back.
    async with world.runtime.store.transaction() as tx:
        answers = await tx.cases.answers((await world.case_row(dina)).id)
    assert answers["detained_name"] == words(DINA.detained)
    assert answers["contact_phone"] == DINA.phone_e164
    assert len(answers["papers"]) == 2

    # Triage: the list and its filters, a case from the list, /case, Details on a card.
    view = await open_from_list(kira, olga)
    assert "Reports: 2." in (view.text or "")
    assert OLGA.typed("City") in (view.text or "")
    since = world.cursor()
    assert (await world.press(marat, world.card(olga), "Details"))["text"] == (
        EN.alert("details_sent")
    )
    await world.standin.wait_idle()
    [details] = world.sent_since(marat, since)
    assert OLGA.typed("Station") in (details.text or "")

    # A status change, told to the reporter in neutral words.
    since = world.cursor()
    await set_status(kira, olga, "being reviewed")
    await world.settle()
    assert told(world, users[OLGA.tag], since) == [EN.alert("reporter_status_changed", code=olga)]

    # Assignment: Lena is paged.
    menu = (await kira.press(await kira.open_case(dina), "Assign")).screen
    assert menu is not None
    since = world.cursor()
    pressed = await kira.press(menu, button_starting(menu, LAWYERS[0].label))
    assert pressed.toast == f"{dina} assigned to {LAWYERS[0].first_name} {LAWYERS[0].last_name}."
    await world.settle()
    [page] = world.pages(lena, since)
    assert (page.text or "").startswith(EN.alert("page_assigned"))

    # Notes.
    for code, text in ((olga, NOTE_OLGA), (ruslan, NOTE_RUSLAN), (dina, NOTE_DINA)):
        await note(kira, code, text)
    assert NOTE_DINA in ((await kira.open_case(dina)).text or "")

    # The linked report is merged into the first case.
    ask = (await kira.press(await kira.open_case(olga), f"Merge with {pavel}")).screen
    assert ask is not None
    assert (await kira.press(ask, "Yes, merge")).toast == f"{pavel} merged into {olga}."

    # Statistics, as a chart.
    chart = await kira.command("/stats", "7")
    assert chart.kind == "photo"
    assert "Not taken now: 2" in (chart.caption or "")

    # Two-way contact, the coordinator and the reporter of the first case.
    await kira.press(await kira.open_case(olga), "Write to reporter")
    since = world.cursor()
    assert (await kira.say(KIRA_WRITES)).text == EN.staff("contact_sent")
    await world.settle()
    assert told(world, users[OLGA.tag], since) == [
        EN.staff("contact_to_reporter", code=olga, text=KIRA_WRITES)
    ]
    since = world.cursor()
    await add_text(world, users[OLGA.tag], olga, OLGA_ANSWERS)
    assert told(world, world.coordinator, since) == [
        EN.alert("contact_reply", code=olga, text=OLGA_ANSWERS)
    ]

    # Two-way contact, the assigned lawyer and the reporter of her case: words and a file.
    await desk(world, lena).press(page, "Write to reporter")
    since = world.cursor()
    assert (await desk(world, lena).say(LENA_WRITES)).text == EN.staff("contact_sent")
    await world.settle()
    assert EN.staff("contact_to_reporter", code=dina, text=LENA_WRITES) in told(
        world, users[DINA.tag], since
    )
    since = world.cursor()
    await add_text(world, users[DINA.tag], dina, DINA_ANSWERS)
    await add_file(world, users[DINA.tag], dina, DINA_FILE_DATA, DINA_FILE_NAME)
    await add_text(world, users[DINA.tag], dina, DINA_ADDS)
    assert told(world, lena, since) == [
        EN.alert("contact_reply", code=dina, text=DINA_ANSWERS),
        EN.alert("contact_reply_file", code=dina),
        EN.alert("contact_reply", code=dina, text=DINA_ADDS),
    ]
    assert (await world.press(lena, world.card(dina), "In contact"))["text"] == "Noted."
    await world.settle()

    # The export of the period, sealed to the legal team's key.
    ops_output = await export_period(world, database, tmp_path)
    assert len(await audit_of(world, "case.export")) == 4

    # The coordinator erases a case.
    ask = (await kira.press(await kira.open_case(ruslan), "Erase case")).screen
    assert ask is not None
    assert (await kira.press(ask, "Yes, erase for good")).toast == f"Case {ruslan} was erased."

    # Retention: the first case is closed, listed ahead, and shredded with its merged report.
    await set_status(kira, olga, "closed")
    await world.settle()
    await world.advance(days=85)
    assert olga in ((await kira.command("/expiring")).text or "")
    await world.advance(days=6)
    await run_daily_retention(world)
    assert await audit_of(world, "case.shredded") == [
        ("system", pavel, f"with {olga}"),
        ("system", olga, "retention: closed +90d"),
    ]
    for code in (olga, pavel, ruslan):
        assert (await kira.open_case(code)).text == "No such case."

    # What is left is there and readable to the bot, and nowhere else.
    kept = (await kira.open_case(dina)).text or ""
    assert NOTE_DINA in kept
    assert DINA.typed("City") in kept
    async with world.runtime.store.transaction() as tx:
        answers = await tx.cases.answers((await world.case_row(dina)).id)
    follow_ups = [answers[key] for key in sorted(answers) if key.startswith("followup_")]
    assert [item["kind"] for item in follow_ups] == ["text", "file", "text"], follow_ups
    assert [item["value"] for item in follow_ups if item["kind"] == "text"] == [
        DINA_ANSWERS,
        DINA_ADDS,
    ]
    await world.settle()
    return ops_output
