"""Full reports through the real bot, with canaries everywhere; then a seized server's view.

Several reporters finish reports with canaries (Latin and Cyrillic) in every free-text answer,
the detained person's name and city, a phone number, the story, photos and documents (content,
file names, captions) and in their own Telegram names; they add follow-ups; one erases their
data. Then every file of the SQLite data directory, every table on either backend, and every
log line the bot wrote is searched for each canary (UTF-8 and UTF-16) and for the reporters'
Telegram ids and usernames: none may be found. The bot token appears in no log line.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from bot.domain.intake_model import Action
from bot.i18n import Catalogs
from bot.standin import TINY_PNG, BotApiStandIn
from bot.standin.models import PlayUser
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import UNKNOWN, Reporter
from tests.databases import ScratchDatabase
from tests.leaks import (
    CANARIES,
    CANARY_CYRILLIC,
    CANARY_LATIN,
    CANARY_USER_ID,
    hits_in_bytes,
    scan_files,
    scan_tables,
)

LAT, CYR = CANARY_LATIN, CANARY_CYRILLIC
REPORTERS = 3
ERASER = 2  # the reporter who erases their data at the end


@dataclass(frozen=True)
class Identity:
    """One reporter's Telegram identity and the canaries that are theirs alone."""

    index: int
    language: str

    @property
    def user_id(self) -> int:
        return CANARY_USER_ID + self.index

    @property
    def username(self) -> str:
        return f"canary_qx7_user{self.index}"

    @property
    def first_name(self) -> str:
        return f"Qx7First{self.index} {CYR}"

    @property
    def last_name(self) -> str:
        return f"Qx7Last{self.index}"

    @property
    def phone_national(self) -> str:
        return f"70173900{12 + self.index}"  # +7 701 739 0012, 0013, ...

    @property
    def phone_e164(self) -> str:
        return "+7" + self.phone_national

    @property
    def phone_typed(self) -> str:
        return f"+7 701 739 00{12 + self.index}"

    @property
    def document_name(self) -> str:
        return f"{LAT}_{CYR}_passport{self.index}.pdf"

    @property
    def document_data(self) -> bytes:
        return f"%PDF-1.4 {LAT} {CYR} {self.index} ".encode() * 40

    @property
    def photo_data(self) -> bytes:
        return TINY_PNG + f"{LAT} {CYR} photo {self.index}".encode()

    def report(self) -> list[tuple[str, Any]]:
        """A full report with a canary in every answer a person types."""
        i = self.index
        return [
            ("reporter_role", "relative"),
            ("detained_name", f"{LAT} Иван{i} {CYR} Петров"),
            ("detained_dob", "12.04.1990"),
            ("detained_at", "5 hours ago"),
            ("detained_city", f"{CYR} {LAT}city{i}"),
            ("detained_place", f"{LAT} bus stop {i}, {CYR}"),
            ("held_at", "police_station"),
            ("held_at_details", f"{LAT} station No. {i} {CYR}"),
            ("agency", "police"),
            ("citizenship", ["ru", "other"]),
            ("citizenship_other", f"{LAT} {CYR} {i}"),
            ("removal_talk", "extradition"),
            ("lawyer_status", "none"),
            ("urgent_flags", ["health"]),
            ("grounds", "criminal"),
            ("article", f"{LAT} article {i} {CYR}"),
            ("documents", ["passport"]),
            ("court_hearing", "yes"),
            ("court_details", f"{LAT} court {i} {CYR}"),
            ("removal_time", UNKNOWN),
            ("removal_details", f"{LAT} airport {i} {CYR}"),
            ("extradition_country", f"{LAT} {CYR} country {i}"),
            ("interpreter", "yes"),
            ("interpreter_language", f"{CYR} {LAT} language {i}"),
            ("story", f"{LAT} {CYR} story {i}. " * 20),
            ("papers", None),  # a photo and a document, see `submit`
            ("contact_method", "phone"),
            ("contact_phone", self.phone_typed),
            ("safe_times", f"{LAT} evenings {i} {CYR}"),
            ("consent_family", "yes"),
            ("consent_public", "no"),
        ]

    def needles(self) -> list[str]:
        """Everything of this reporter's that a seized server must not show."""
        return [
            str(self.user_id),
            self.username,
            self.first_name.split()[0],
            self.last_name,
            self.phone_national,
            self.phone_e164,
            self.phone_e164[1:],
            self.phone_typed,
            self.phone_typed[3:],  # "701 739 0012"
            self.document_name,
        ]


IDENTITIES = [Identity(0, "en"), Identity(1, "ru"), Identity(2, "kk")]


def new_reporter(standin: BotApiStandIn, who: Identity) -> Reporter:
    user: PlayUser = standin.new_user(
        who.first_name,
        language_code=who.language,
        username=who.username,
        last_name=who.last_name,
        id=who.user_id,
    )
    return Reporter(standin, user)


async def submit(reporter: Reporter, who: Identity) -> None:
    """Walk the whole questionnaire with canaries and send the report."""
    await reporter.command("/start")
    await reporter.press(Action.BEGIN)
    for question_id, value in who.report():
        if question_id == "papers":
            await reporter.send_photo(who.photo_data)
            await reporter.standin.send_document(
                reporter.user,
                who.document_data,
                who.document_name,
                "application/pdf",
                caption=f"{LAT} caption {CYR}",
            )
            reporter.last = await reporter.standin.next_bot_message(reporter.user, timeout=10)
            await reporter.press(Action.DONE, "papers")
            continue
        await reporter.answer(question_id, value)
    await reporter.press(Action.SUBMIT)
    await reporter.press(Action.WIPE_YES if who.index == 0 else Action.WIPE_NO)


async def follow_up(reporter: Reporter, who: Identity) -> None:
    """Add a text and a document to the case."""
    await reporter.command("/add")
    await reporter.say(f"{LAT} follow-up {who.index} {CYR}\nНовости: {LAT}")
    await reporter.command("/add")
    await reporter.send_document(
        f"{LAT} {CYR} follow-up document".encode("utf-16"),
        f"{CYR}_{LAT}_followup{who.index}.txt",
        "text/plain",
    )


async def erase(reporter: Reporter) -> None:
    await reporter.command("/erase")
    await reporter.press(Action.ERASE_YES)


async def stored_answers(bot: RunningBot, user_id: int) -> list[dict[str, Any]]:
    """Every case answer of a reporter, decrypted (proves the canaries were stored at all)."""
    async with bot.runtime.store.transaction() as tx:
        reporter_id = await tx.reporters.find(user_id)
        if reporter_id is None:
            return []
        case_ids = await tx.cases.ids_for_reporter(reporter_id)
        return [await tx.cases.answers(uuid.UUID(str(c))) for c in case_ids]


async def test_a_seized_server_reveals_no_answer_name_phone_file_or_identity(
    running_bot: RunningBot, database: ScratchDatabase
) -> None:
    standin = running_bot.standin
    reporters = [new_reporter(standin, who) for who in IDENTITIES]

    await asyncio.gather(*(submit(r, who) for r, who in zip(reporters, IDENTITIES, strict=True)))
    await asyncio.gather(*(follow_up(r, who) for r, who in zip(reporters, IDENTITIES, strict=True)))

    # The canaries really were taken in: the bot decrypts them back (before the erasure).
    for who in IDENTITIES:
        answers = await stored_answers(running_bot, who.user_id)
        assert len(answers) == 1, who
        assert answers[0]["detained_name"].startswith(LAT)
        assert answers[0]["contact_phone"] == who.phone_e164
        assert len(answers[0]["papers"]) == 2
        assert sorted(k for k in answers[0] if k.startswith("followup_")) == [
            "followup_001",
            "followup_002",
        ]

    await erase(reporters[ERASER])
    erased = reporters[ERASER].last
    assert erased is not None
    assert Catalogs().translator(IDENTITIES[ERASER].language).ui("erased") in (erased.text or "")
    assert await stored_answers(running_bot, IDENTITIES[ERASER].user_id) == []
    await standin.wait_idle(timeout=10.0)

    needles = [*CANARIES, *(n for who in IDENTITIES for n in who.needles())]
    if database.backend == "sqlite":
        names = sorted(p.name for p in database.data_dir.iterdir())
        assert "intake.db" in names, names
        assert scan_files(database.data_dir, needles) == {}
    assert await scan_tables(running_bot.runtime.engine, needles) == {}

    lines = running_bot.log_lines
    assert lines, "the bot should have logged something"
    in_logs = {n for line in lines for n in hits_in_bytes(line.encode(), needles)}
    assert in_logs == set(), sorted(in_logs)
    secret = standin.token.split(":", 1)[1]
    assert [line for line in lines if standin.token in line or secret in line] == []
