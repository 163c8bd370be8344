"""Hostile and odd input against the real bot: it stays up, answers clearly, and leaks nothing.

Every case of the battery runs beside a second reporter (the bystander) whose answers carry
canaries. After each case: a normal /start is still answered; no log line holds a traceback, an
error or anything typed; the hostile side never sees the bystander's canaries; and nothing the
bot sends, edits or deletes lands in the bystander's chat unless the bystander caused it.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import serve
from bot.domain.conversation import ConversationState
from bot.domain.intake_model import Action
from bot.i18n import Catalogs, Translator, pick_language
from bot.runtime import open_runtime
from bot.standin import BotApiStandIn, PlayChat, PlayUser, StoredMessage
from bot.standin.files import TINY_PNG, media_field
from bot.telegram import throttle
from storage.models import Attachment
from tests.bot.conftest import RunningBot, bot_settings, stop_bot
from tests.bot.hostile_updates import (
    QUESTIONNAIRE,
    assert_bot_sentence,
    callback_json,
    join_request_json,
    message_json,
    poll_answer_json,
    poll_json,
    reaction_json,
)
from tests.bot.reporter_driver import FULL_REPORT, Reporter
from tests.databases import ScratchDatabase
from tests.leaks import CANARIES, CANARY_CYRILLIC, CANARY_LATIN

CATALOGS = Catalogs()
HOSTILE_ID = 6_660_013_371
BYSTANDER_ID = 5_550_024_682
HOSTILE_USERNAME = "mallory_qx7"
BYSTANDER_USERNAME = "vera_qx7_bystander"
BYSTANDER_NAME = f"{CANARY_LATIN} Вера {CANARY_CYRILLIC}"
BYSTANDER_CITY = f"{CANARY_CYRILLIC} {CANARY_LATIN}grad"
# What the bystander types while the hostile case runs.
BYSTANDER_STEPS = [BYSTANDER_NAME, "12.04.1990", "2 hours ago", BYSTANDER_CITY]
MARKUP = '<b>Ivan</b> </i> <a href="javascript:alert(1)">x</a> &amp; <script>'
MARKDOWN = "*Ivan* _Petrov_ [x](javascript:alert(1)) ~s~ `code` \\ ||spoiler|| __u__"
SQL = "Robert'); DROP TABLE cases; --"
FORMAT = "{0} %s {code} %(answer)s {answer!r} {{}} { %n"
ODD_PAYLOAD = ("\u202e<b>'%s{0}\u200b\U0001f469\u200d\U0001f467&amp;;--" * 8)[:64]


# -- the hostile side ---------------------------------------------------------------------------


@dataclass
class Hostile:
    """The hostile reporter, the bystander, and what a case needs to act and to check."""

    bot: RunningBot
    user: PlayUser
    me: Reporter
    other: Reporter
    tr: Translator
    tmp_path: Path
    groups: list[PlayChat] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    other_screen: StoredMessage | None = None  # the bystander's last message before the case

    @property
    def standin(self) -> BotApiStandIn:
        return self.bot.standin

    def mark(self, text: str) -> None:
        """Remember typed text that must never reach a log line."""
        core = text.strip()[:40]
        if len(core) >= 6 and core.isprintable():
            self.markers.append(core)

    async def text(self, text: str, *, chat_id: int | None = None) -> dict[str, Any]:
        self.mark(text)
        return await self.standin.send_text(self.user, text, chat_id=chat_id)

    async def command(self, text: str) -> None:
        await self.standin.send_text(self.user, text)

    async def raw(self, update: dict[str, Any]) -> int:
        return await self.standin.send_raw_update(update)

    async def press(self, data: str, message: StoredMessage | None = None) -> str:
        target = message or self.me.last
        assert target is not None
        return await self.standin.press_button(self.user, target, data=data)

    async def expect(
        self,
        *notices: str | tuple[str, dict[str, Any]],
        question: str | None = None,
        screen: str | None = None,
        timeout: float = 10.0,
    ) -> StoredMessage:
        """The next bot message to the hostile reporter: the bot's own sentences, as expected."""
        reply = await self.standin.next_bot_message(self.user, timeout=timeout)
        self.me.last = reply
        assert_bot_sentence(reply.text, self.tr)
        for notice in notices:
            key, values = (notice, {}) if isinstance(notice, str) else notice
            assert self.tr.ui(key, **values) in (reply.text or ""), (key, reply.text)
        if question is not None:
            q = QUESTIONNAIRE.get(question)
            assert q is not None
            assert self.tr.question(q) in (reply.text or ""), (question, reply.text)
        if screen is not None:
            assert self.tr.ui(screen) in (reply.text or ""), (screen, reply.text)
        return reply

    async def expect_toast(self, query_id: str, key: str | None) -> None:
        """The button press was answered with this short text (None: answered silently)."""
        answer = await self.standin.wait_callback_answer(query_id, timeout=10.0)
        expected = self.tr.ui(key)[:200] if key else None
        assert answer.get("text") == expected, answer

    async def expect_silence(self, *chats: PlayChat | PlayUser) -> None:
        """The bot writes nothing to the hostile reporter, its groups, or the given chats."""
        for chat in (self.user, *self.groups, *chats):
            try:
                found = await self.standin.next_bot_message(chat, timeout=0.5)
            except TimeoutError:
                continue
            pytest.fail(f"the bot wrote to chat {found.chat_id}: {found.text!r}")

    def nonce_data(self, nonce: int, action: Action, question: int = -1, option: int = -1) -> str:
        return f"{nonce}:{action.value}:{question}:{option}"

    # -- what the bot stored ----------------------------------------------------------------

    async def state(self) -> tuple[uuid.UUID | None, ConversationState | None]:
        async with self.bot.runtime.store.transaction() as tx:
            reporter_id = await tx.reporters.find(self.user.id)
            state = await tx.load_conversation(reporter_id) if reporter_id else None
        return reporter_id, state

    async def nonce(self) -> int:
        _, state = await self.state()
        assert state is not None
        return int(state.data.get("nonce", 0))

    async def answers(self) -> dict[str, Any]:
        _, state = await self.state()
        assert state is not None
        assert state.case_id is not None
        async with self.bot.runtime.store.transaction() as tx:
            return await tx.case_answers(uuid.UUID(state.case_id))

    async def case_count(self) -> int:
        reporter_id, _ = await self.state()
        if reporter_id is None:
            return 0
        async with self.bot.runtime.store.transaction() as tx:
            return await tx.count_cases(reporter_id)

    async def attachment_count(self) -> int:
        async with self.bot.runtime.sessions() as session:
            return int((await session.execute(select(func.count(Attachment.id)))).scalar_one())


# -- stages and cases ---------------------------------------------------------------------------

STAGES = ("new", "welcome", "role", "name", "dob", "when", "papers", "adding")


async def reach(h: Hostile, stage: str) -> None:
    """Walk the hostile reporter, normally, to the point where the case acts."""
    me = h.me
    if stage == "new":
        return
    await me.command("/start")
    if stage == "welcome":
        return
    await me.press(Action.BEGIN)
    if stage == "role":
        return
    await me.answer("reporter_role", "relative")
    if stage == "name":
        return
    await me.answer("detained_name", "Ivan Petrov")
    if stage == "dob":
        return
    await me.answer("detained_dob", "12.04.1990")
    if stage == "when":
        return
    remaining = FULL_REPORT[3:]
    papers = [qid for qid, _ in remaining].index("papers")
    for question_id, value in remaining[:papers]:
        await me.answer(question_id, value)
    if stage == "papers":
        return
    for question_id, value in remaining[papers:]:
        await me.answer(question_id, value)
    await me.press(Action.SUBMIT)
    await me.command("/add")


Act = Callable[[Hostile], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    stage: str
    act: Act
    language_code: str | None = "en"


CASES: dict[str, Case] = {}


def case(stage: str, language_code: str | None = "en") -> Callable[[Act], Act]:
    assert stage in STAGES

    def register(act: Act) -> Act:
        CASES[act.__name__.removeprefix("case_")] = Case(stage, act, language_code)
        return act

    return register


# Text -------------------------------------------------------------------------------------------


@case("name")
async def case_text_of_100k_chars(h: Hostile) -> None:
    await h.text("ж" * 100_000)
    await h.expect(("err_text_too_long", {"max": 200}), question="detained_name")


@case("new")
async def case_text_of_100k_chars_as_first_message(h: Hostile) -> None:
    await h.text("Ж" * 100_000)
    await h.expect(screen="welcome")


@case("name")
async def case_text_of_one_space(h: Hostile) -> None:
    await h.text(" ")
    await h.expect("err_text_empty", question="detained_name")


@case("name")
async def case_text_of_zero_width_chars_only(h: Hostile) -> None:
    await h.text("\u200b\u200c\u200d\u2060\ufeff")
    await h.expect("err_text_empty", question="detained_name")


@case("name")
async def case_text_of_line_and_paragraph_separators_only(h: Hostile) -> None:
    await h.text("\n\u2028\u2029\t\r\n\u0085")
    await h.expect("err_text_empty", question="detained_name")


@case("name")
async def case_zero_width_chars_inside_an_answer(h: Hostile) -> None:
    await h.text("Iv\u200ban\u200c Pe\u200dtr\ufeffov\u2060")
    await h.expect(question="detained_dob")
    assert (await h.answers())["detained_name"] == "Ivan Petrov"


@case("name")
async def case_right_to_left_override_inside_an_answer(h: Hostile) -> None:
    await h.text("\u202eIvan\u202c \u2067Petrov\u2069\u200f")
    await h.expect(question="detained_dob")
    assert (await h.answers())["detained_name"] == "Ivan Petrov"


@case("name")
async def case_html_markup_in_an_answer(h: Hostile) -> None:
    await _shown_back(h, MARKUP)


@case("name")
async def case_markdown_markup_in_an_answer(h: Hostile) -> None:
    await _shown_back(h, MARKDOWN)


@case("name")
async def case_sql_in_an_answer(h: Hostile) -> None:
    await _shown_back(h, SQL)
    assert await h.case_count() == 1  # the cases table is still there


@case("name")
async def case_format_string_in_an_answer(h: Hostile) -> None:
    await _shown_back(h, FORMAT)


async def _shown_back(h: Hostile, typed: str) -> None:
    """Answer with `typed`, go back: the current answer is shown exactly as typed."""
    await h.text(typed)
    await h.expect(question="detained_dob")
    assert (await h.answers())["detained_name"] == typed
    await h.press(h.me.button_data(Action.BACK))
    reply = await h.expect(question="detained_name")
    assert h.tr.ui("current_answer", answer=typed) in (reply.text or "")


@case("name")
async def case_lone_surrogates_inside_an_answer(h: Hostile) -> None:
    await h.text("Iv\ud800an Pe\udfff" + "trov")
    await h.expect(question="detained_dob")
    assert (await h.answers())["detained_name"] == "Ivan Petrov"


@case("name")
async def case_lone_surrogate_only(h: Hostile) -> None:
    await h.text("\udc00")
    await h.expect("err_text_empty", question="detained_name")


@case("name")
async def case_emoji_zwj_sequences_in_an_answer(h: Hostile) -> None:
    await h.text("\U0001f469\u200d\U0001f469\u200d\U0001f467 Ivan \U0001f3f3\ufe0f\u200d\U0001f308")
    await h.expect(question="detained_dob")
    stored = (await h.answers())["detained_name"]
    assert "Ivan" in stored
    assert "\u200d" not in stored


@case("name")
async def case_combining_marks_in_an_answer(h: Hostile) -> None:
    typed = "Iva\u0336\u0337\u0338n" + "\u0301\u0302\u0303" * 30 + " Petrov"
    await h.text(typed)
    await h.expect(question="detained_dob")
    assert "Petrov" in (await h.answers())["detained_name"]


@case("name")
async def case_zalgo_text_over_the_limit(h: Hostile) -> None:
    await h.text("Z" + "\u0336\u0301\u0352" * 400)
    await h.expect(("err_text_too_long", {"max": 200}), question="detained_name")


@case("name")
async def case_nul_and_control_chars_inside_an_answer(h: Hostile) -> None:
    await h.text("Ivan\x00 Petrov\x00\x07\x1b[31m")
    await h.expect(question="detained_dob")
    assert (await h.answers())["detained_name"] == "Ivan Petrov[31m"


@case("name")
async def case_nul_chars_only(h: Hostile) -> None:
    await h.text("\x00\x00\x00")
    await h.expect("err_text_empty", question="detained_name")


@case("dob")
async def case_sql_as_a_date(h: Hostile) -> None:
    await h.text("'; DROP TABLE cases; --")
    await h.expect("err_date_invalid", question="detained_dob")


@case("dob")
async def case_absurd_year_as_a_date(h: Hostile) -> None:
    await h.text("1.1.99999999999999999999")
    await h.expect("err_date_invalid", question="detained_dob")


@case("when")
async def case_format_string_as_a_moment(h: Hostile) -> None:
    await h.text("{0} %s 1e308 hours ago")
    await h.expect("err_datetime_invalid", question="detained_at")


@case("role")
async def case_text_where_buttons_are_expected(h: Hostile) -> None:
    await h.text("relative'); DROP TABLE cases; --")
    await h.expect("err_use_buttons", question="reporter_role")


@case("new", language_code="../../<b>x\u202e")
async def case_odd_language_code(h: Hostile) -> None:
    await h.command("/start")
    await h.expect(screen="welcome")


# Files and media ----------------------------------------------------------------------------


@case("name")
async def case_photo_with_markup_caption_where_text_is_expected(h: Hostile) -> None:
    h.mark(MARKUP)
    await h.standin.send_photo(h.user, TINY_PNG, caption=MARKUP)
    await h.expect("err_text_expected", question="detained_name")


@case("name")
async def case_document_named_dot_dot_etc_passwd_where_text_is_expected(h: Hostile) -> None:
    await h.standin.send_document(h.user, b"root:x:0:0", "../../etc/passwd", "text/plain")
    await h.expect("err_text_expected", question="detained_name")
    assert await h.attachment_count() == 0


@case("papers")
async def case_document_named_dot_dot_etc_passwd(h: Hostile) -> None:
    await h.standin.send_document(h.user, b"root:x:0:0:root", "../../etc/passwd", "text/plain")
    await h.expect(("file_received", {"n": 1}), question="papers")
    files = (await h.answers())["papers"]
    async with h.bot.runtime.store.transaction() as tx:
        meta, data = await tx.attachments.read(uuid.UUID(files[0]))
    assert data == b"root:x:0:0:root"
    # Stored as data, and as a plain name: whoever saves it later is not led out of a folder.
    assert "/" not in meta.name
    assert "\\" not in meta.name
    assert not meta.name.startswith(".")
    assert not [p for p in h.tmp_path.rglob("*") if p.name == "passwd"]


@case("papers")
async def case_document_with_an_absurd_name(h: Hostile) -> None:
    name = "\x00\u202egpj.exe" + "<b>" * 2000 + "{0}%s/../\\..\\CON"
    await h.standin.send_document(h.user, b"%PDF-1.4", name, "application/x-evil; <b>")
    await h.expect(("file_received", {"n": 1}), question="papers")


def _document(h: Hostile, file_id: str, size: int, name: str = "big.pdf") -> dict[str, Any]:
    document = {
        "file_id": file_id,
        "file_unique_id": "AgAD" + file_id[-8:],
        "file_size": size,
        "file_name": name,
        "mime_type": "application/pdf",
    }
    return {"message": message_json(h.standin, h.user, h.user, document=document)}


@case("papers")
async def case_document_declared_over_20_mb(h: Hostile) -> None:
    stored = h.standin.state.add_file(b"%PDF-1.4 small", "document", "big.pdf", "application/pdf")
    await h.raw(_document(h, stored.file_id, 25 * 1024 * 1024))
    await h.expect("err_file_too_big", question="papers")
    assert await h.attachment_count() == 0


@case("papers")
async def case_document_over_20_mb_that_declares_a_small_size(h: Hostile) -> None:
    data = b"\0" * (21 * 1024 * 1024)
    stored = h.standin.state.add_file(data, "document", "small.pdf", "application/pdf")
    await h.raw(_document(h, stored.file_id, 1000, "small.pdf"))
    await h.expect("err_file_too_big", question="papers")
    assert await h.attachment_count() == 0


@case("papers")
async def case_document_with_an_unknown_file_id(h: Hostile) -> None:
    await h.raw(_document(h, "BQACAgIAAxk" + "A" * 40, 1000, "tiny.pdf"))
    reply = await h.expect(question="papers")
    # A 1 KB file that Telegram cannot hand over is not "too big": the reporter would give up.
    assert h.tr.ui("err_file_too_big") not in (reply.text or ""), reply.text
    assert await h.attachment_count() == 0


@case("name")
async def case_sticker(h: Hostile) -> None:
    await h.standin.send_sticker(h.user, "\U0001f480")
    await h.expect("err_unsupported", question="detained_name")


@case("welcome")
async def case_sticker_on_the_welcome_screen(h: Hostile) -> None:
    await h.standin.send_sticker(h.user)
    await h.expect(screen="welcome")


@case("name")
async def case_voice_message(h: Hostile) -> None:
    await h.standin.send_voice(h.user, b"OggS\0\0\0evil", duration=3600)
    await h.expect("err_unsupported", question="detained_name")


@case("adding")
async def case_location_while_adding_to_a_case(h: Hostile) -> None:
    await h.standin.send_location(h.user, 43.238949, 76.889709)
    await h.expect("err_unsupported")


@case("name")
async def case_contact_with_a_phone_number(h: Hostile) -> None:
    h.markers += ["7017390099", "701 739 0099"]
    await h.standin.send_contact(h.user, "+7 701 739 0099", first_name=f"{MARKUP}")
    await h.expect("err_unsupported", question="detained_name")


@case("name")
async def case_message_with_no_text_and_no_media(h: Hostile) -> None:
    await h.raw({"message": message_json(h.standin, h.user, h.user)})
    await h.expect("err_unsupported", question="detained_name")


@case("name")
async def case_message_with_only_an_unknown_content_field(h: Hostile) -> None:
    message = message_json(h.standin, h.user, h.user)
    message["future_media"] = {"file_id": "x", "text": "<b>"}
    await h.raw({"message": message})
    await h.expect("err_unsupported", question="detained_name")


# Edits ----------------------------------------------------------------------------------------


@case("dob")
async def case_edited_answer(h: Hostile) -> None:
    mine = [m for m in h.standin.transcript(h.user) if not m.from_bot]
    typed = next(m for m in reversed(mine) if m.text == "Ivan Petrov")
    h.mark("Evil Edit <b>")
    await h.standin.edit_text(h.user, typed, "Evil Edit <b>'; DROP TABLE cases; --")
    await h.expect("err_edit_ignored")
    assert (await h.answers())["detained_name"] == "Ivan Petrov"


@case("welcome")
async def case_edited_message_in_a_group(h: Hostile) -> None:
    group = h.standin.new_group("Group <b>", [h.user])
    h.groups.append(group)
    sent = await h.text(f"/start@{h.standin.bot.username} first", chat_id=group.id)
    await h.standin.edit_text(h.user, (group.id, sent["message_id"]), "/start edited")
    await h.expect_silence()


# Groups and channels --------------------------------------------------------------------------


@case("new")
async def case_start_with_botname_and_payload_in_a_group(h: Hostile) -> None:
    group = h.standin.new_group("Family chat", [h.user])
    h.groups.append(group)
    await h.text(f"/start@{h.standin.bot.username} {ODD_PAYLOAD}", chat_id=group.id)
    await h.expect_silence()


@case("welcome")
async def case_sql_mentioning_the_bot_in_a_group(h: Hostile) -> None:
    group = h.standin.new_group("Group", [h.user])
    h.groups.append(group)
    await h.text(f"@{h.standin.bot.username} {SQL}", chat_id=group.id)
    await h.expect_silence()


@case("welcome")
async def case_staff_command_in_a_supergroup(h: Hostile) -> None:
    group = h.standin.new_group("Lawyers", [h.user], kind="supergroup", bot_status="administrator")
    h.groups.append(group)
    await h.text(f"/cases@{h.standin.bot.username} all", chat_id=group.id)
    await h.text("/grant 1 admin", chat_id=group.id)
    await h.expect_silence()


@case("welcome")
async def case_channel_post(h: Hostile) -> None:
    channel = h.standin.new_group("News", [h.user], kind="channel", bot_status="administrator")
    h.groups.append(channel)
    await h.text("/start " + ODD_PAYLOAD, chat_id=channel.id)
    await h.text(MARKUP, chat_id=channel.id)
    await h.expect_silence()


# Updates of other kinds ---------------------------------------------------------------------


@case("welcome")
async def case_poll(h: Hostile) -> None:
    await h.raw({"poll": poll_json()})
    await h.expect_silence()


@case("name")
async def case_poll_sent_in_the_private_chat(h: Hostile) -> None:
    await h.raw({"message": message_json(h.standin, h.user, h.user, poll=poll_json())})
    await h.expect("err_unsupported", question="detained_name")


@case("welcome")
async def case_poll_answer(h: Hostile) -> None:
    await h.raw({"poll_answer": poll_answer_json(h.user)})
    await h.expect_silence()


@case("welcome")
async def case_message_reaction(h: Hostile) -> None:
    assert h.me.last is not None
    await h.raw({"message_reaction": reaction_json(h.standin, h.user, h.me.last.message_id)})
    await h.expect_silence()


@case("welcome")
async def case_chat_join_request(h: Hostile) -> None:
    group = h.standin.new_group("Lawyers", [], kind="supergroup", bot_status="administrator")
    h.groups.append(group)
    await h.raw({"chat_join_request": join_request_json(h.standin, h.user, group)})
    await h.expect_silence()


@case("welcome")
async def case_update_of_an_unknown_kind(h: Hostile) -> None:
    await h.raw({"future_update_kind": {"from": h.user.to_api(), "text": MARKUP}})
    await h.expect_silence()


@case("welcome")
async def case_update_with_no_field_at_all(h: Hostile) -> None:
    await h.raw({})
    await h.expect_silence()


@case("welcome")
async def case_blocked_then_unblocked(h: Hostile) -> None:
    h.standin.block_bot(h.user)
    await h.expect_silence()
    h.standin.unblock_bot(h.user)


@case("welcome")
async def case_message_from_a_bot_account(h: Hostile) -> None:
    robot = h.standin.new_user("Robot", id=HOSTILE_ID + 1)
    h.standin.chat(robot).started = True
    sender = {**robot.to_api(), "is_bot": True}
    message = message_json(h.standin, None, robot, text="/start")
    message["from"] = sender
    await h.raw({"message": message})
    await h.expect_silence(robot)


@case("welcome")
async def case_message_without_a_sender(h: Hostile) -> None:
    await h.raw({"message": message_json(h.standin, None, h.user, text="/start")})
    await h.expect_silence()


# Button presses -------------------------------------------------------------------------------


@case("welcome")
async def case_callback_query_with_no_data(h: Hostile) -> None:
    query = callback_json(h.standin, h.user, h.me.last, None)
    await h.raw({"callback_query": query})
    await h.expect_toast(query["id"], "err_stale_button")
    await h.expect_silence()


@case("welcome")
async def case_callback_query_with_64_bytes_of_garbage(h: Hostile) -> None:
    rng = random.Random(64)
    garbage = "".join(chr(rng.randrange(33, 127)) for _ in range(64))
    await h.expect_toast(await h.press(garbage), "err_stale_button")
    await h.expect_silence()


@case("welcome")
async def case_callback_query_with_huge_numbers(h: Hostile) -> None:
    data = "99999999999999999999:g:99999999999999999999:-9999999999999999"
    await h.expect_toast(await h.press(data), "err_stale_button")
    await h.expect_silence()
    assert await h.case_count() == 0


@case("welcome")
async def case_erase_yes_pressed_on_the_welcome_screen(h: Hostile) -> None:
    query = await h.press(h.nonce_data(await h.nonce(), Action.ERASE_YES))
    await h.expect_toast(query, "err_stale_button")
    await h.expect_silence()
    reporter_id, _ = await h.state()
    assert reporter_id is not None


@case("name")
async def case_submit_pressed_in_the_middle_of_a_question(h: Hostile) -> None:
    await h.expect_toast(
        await h.press(h.nonce_data(await h.nonce(), Action.SUBMIT)), "err_stale_button"
    )
    await h.expect_silence()
    _, state = await h.state()
    assert state is not None
    assert state.step == "question"


@case("role")
async def case_choice_out_of_range(h: Hostile) -> None:
    data = h.nonce_data(await h.nonce(), Action.CHOOSE, QUESTIONNAIRE.index("reporter_role"), 99)
    await h.expect_toast(await h.press(data), "err_stale_button")
    await h.expect_silence()
    assert "reporter_role" not in await h.answers()


@case("welcome")
async def case_language_out_of_range(h: Hostile) -> None:
    await h.command("/language")
    await h.expect(screen="choose_language")
    query = await h.press(h.nonce_data(await h.nonce(), Action.LANGUAGE, -1, 99))
    await h.expect_toast(query, "err_stale_button")
    await h.expect_silence()


@case("welcome")
async def case_inline_callback_without_a_message(h: Hostile) -> None:
    query = callback_json(h.standin, h.user, None, h.nonce_data(await h.nonce(), Action.BEGIN))
    await h.raw({"callback_query": query})
    await h.expect_silence()
    assert await h.case_count() == 0


@case("welcome")
async def case_callback_on_another_reporters_message_with_their_data(h: Hostile) -> None:
    target = h.other_screen
    assert target is not None
    data = target.buttons()[0]["callback_data"]
    await h.expect_toast(await h.press(data, target), "err_stale_button")
    await h.expect_silence()


@case("welcome")
async def case_callback_on_another_reporters_message_with_own_nonce(h: Hostile) -> None:
    # A forged query: the message is the bystander's, the data fits the presser's conversation.
    target = h.other_screen
    assert target is not None
    await h.press(h.nonce_data(await h.nonce(), Action.BEGIN), target)
    await h.expect_silence()


@case("welcome")
async def case_message_forged_into_another_reporters_chat(h: Hostile) -> None:
    # A forged message: from the hostile user, in the bystander's private chat.
    other = h.other.user
    await h.raw({"message": message_json(h.standin, h.user, other, text="/wipe")})
    await h.expect_silence()


# Commands -------------------------------------------------------------------------------------


async def _refused_command(h: Hostile, text: str) -> None:
    await h.command(text)
    reply = await h.expect()
    refusals = [h.tr.ui(k) for k in ("err_unknown_command",)]
    assert any(r in (reply.text or "") for r in refusals), reply.text


@case("welcome")
async def case_staff_command_cases(h: Hostile) -> None:
    await _refused_command(h, "/cases")


@case("welcome")
async def case_staff_command_grant_admin(h: Hostile) -> None:
    await _refused_command(h, "/grant 1 admin")


@case("welcome")
async def case_staff_command_oncall(h: Hostile) -> None:
    await _refused_command(h, "/oncall")


@case("welcome")
async def case_staff_command_export(h: Hostile) -> None:
    await _refused_command(h, "/export all")


@case("welcome")
async def case_staff_command_audit(h: Hostile) -> None:
    await _refused_command(h, f"/audit@{h.standin.bot.username} {SQL}")


@case("welcome")
async def case_staff_command_case_with_another_reporters_code(h: Hostile) -> None:
    async with h.bot.runtime.store.transaction() as tx:
        reporter_id = await tx.reporters.find(h.other.user.id)
        assert reporter_id is not None
        state = await tx.load_conversation(reporter_id)
        assert state is not None
        assert state.case_id is not None
        info = await tx.case_info(uuid.UUID(state.case_id))
    assert info is not None
    await _refused_command(h, f"/case {info.code}")


@case("welcome")
async def case_staff_command_grant_to_oneself(h: Hostile) -> None:
    await _refused_command(h, f"/grant {h.user.id} admin")


@case("new")
async def case_start_with_botname_and_trailing_arguments(h: Hostile) -> None:
    await h.command(f"/start@{h.standin.bot.username} one two {MARKUP}")
    await h.expect(screen="welcome")


@case("name")
async def case_help_with_botname_and_trailing_arguments(h: Hostile) -> None:
    await h.command(f"/help@{h.standin.bot.username} {FORMAT}")
    await h.expect("help", question="detained_name")


@case("welcome")
async def case_status_with_4000_characters_of_arguments(h: Hostile) -> None:
    await h.command("/status " + "Щ" * 4000)
    await h.expect(screen="no_case")


@case("welcome")
async def case_start_in_capitals(h: Hostile) -> None:
    await h.command("/START")
    await h.expect(screen="welcome")


@case("new")
async def case_start_with_a_64_char_odd_deep_link_payload(h: Hostile) -> None:
    await h.command("/start " + ODD_PAYLOAD)
    await h.expect(screen="welcome")


# Speed and repetition -------------------------------------------------------------------------


@case("welcome")
async def case_begin_pressed_ten_times_at_once(h: Hostile) -> None:
    welcome = h.me.last
    assert welcome is not None
    data = h.me.button_data(Action.BEGIN)
    queries = [await h.press(data, welcome) for _ in range(10)]
    await h.expect(question="reporter_role")
    answers = [await h.standin.wait_callback_answer(q) for q in queries]
    stale = h.tr.ui("err_stale_button")
    assert sorted(a.get("text") or "" for a in answers) == ["", *[stale] * 9]
    await h.expect_silence()
    assert await h.case_count() == 1


@case("role")
async def case_choice_pressed_ten_times_at_once(h: Hostile) -> None:
    question = h.me.last
    assert question is not None
    data = h.me.button_data(Action.CHOOSE, "reporter_role", "witness")
    queries = [await h.press(data, question) for _ in range(10)]
    await h.expect(question="detained_name")
    for q in queries:
        await h.standin.wait_callback_answer(q)
    await h.expect_silence()
    assert (await h.answers())["reporter_role"] == "witness"


@case("name")
async def case_twenty_answers_at_once(h: Hostile) -> None:
    for _ in range(20):
        await h.text("Ivan Petrov")
    await h.expect(question="detained_dob")
    for _ in range(19):
        await h.expect("err_date_invalid", question="detained_dob")
    await h.expect_silence()


@case("name")
async def case_redelivered_answer(h: Hostile) -> None:
    h.mark("Ivan Redelivered")
    message = message_json(h.standin, h.user, h.user, text="Ivan Redelivered")
    update_id = await h.raw({"message": message})
    await h.expect(question="detained_dob")
    await h.standin.redeliver(update_id)
    reply = await h.expect(question="detained_dob")
    assert h.tr.ui("err_date_invalid") not in (reply.text or "")
    assert (await h.answers())["detained_name"] == "Ivan Redelivered"


@case("welcome")
async def case_redelivered_begin_press(h: Hostile) -> None:
    data = h.me.button_data(Action.BEGIN)
    update_id = await h.raw({"callback_query": callback_json(h.standin, h.user, h.me.last, data)})
    await h.expect(question="reporter_role")
    await h.standin.redeliver(update_id)
    await h.expect(question="reporter_role")
    assert await h.case_count() == 1


@case("welcome")
async def case_redelivered_garbage_press(h: Hostile) -> None:
    query = callback_json(h.standin, h.user, h.me.last, "\x00garbage:::\u202e")
    update_id = await h.raw({"callback_query": query})
    await h.expect_toast(query["id"], "err_stale_button")
    await h.standin.redeliver(update_id)
    await h.standin.wait_idle(timeout=10.0, quiet=0.3)
    await h.expect_silence()


@case("papers")
async def case_redelivered_document(h: Hostile) -> None:
    stored = h.standin.state.add_file(b"%PDF-1.4 once", "document", "once.pdf", "application/pdf")
    message = message_json(h.standin, h.user, h.user, **media_field(stored))
    update_id = await h.raw({"message": message})
    await h.expect(("file_received", {"n": 1}), question="papers")
    await h.standin.redeliver(update_id)
    await h.expect(question="papers")
    assert len((await h.answers())["papers"]) == 1
    # "A redelivered update changes nothing" (bot/telegram/reporter.py): not even a second copy.
    assert await h.attachment_count() == 1


# -- the battery --------------------------------------------------------------------------------


async def bystander_first(other: Reporter) -> None:
    """The bystander answers with a canary and has it shown back in their own chat."""
    await other.command("/start")
    await other.press(Action.BEGIN)
    await other.answer("reporter_role", "relative")
    await other.say(BYSTANDER_NAME)
    shown = await other.press(Action.BACK)
    assert BYSTANDER_NAME in (shown.text or "")


async def bystander_then(other: Reporter) -> list[int]:
    """The bystander goes on answering while the hostile case runs; the replies they got."""
    received = []
    for typed in BYSTANDER_STEPS:
        received.append((await other.say(typed)).message_id)
    return received


def check_bystander_chat(
    standin: BotApiStandIn, other: PlayUser, since: int, received: list[int]
) -> None:
    """Since `since`, the bot only sent the bystander the replies to their own answers."""
    events = [e for e in standin.events(other) if e.seq > since]
    touched = [(e.kind, e.message_id) for e in events if e.kind in ("edited", "deleted")]
    assert touched == [], f"the bot changed the bystander's messages: {touched}"
    sent = [e for e in events if e.kind == "sent"]
    assert [e.message_id for e in sent] == received, (
        f"the bystander's chat received {[e.data['message'].get('text') for e in sent]}"
    )


def leaked_canaries(standin: BotApiStandIn, other: PlayUser) -> list[str]:
    """Canaries in any chat but the bystander's, or in any toast to someone else."""
    texts: list[str] = []
    for chat_id, messages in standin.state.messages.items():
        if chat_id == other.id:
            continue
        for message in messages.values():  # deleted ones too
            texts.append(message.content)
            texts.extend(str(b.get("text", "")) for b in message.buttons())
    for event in standin.events(kind="callback_answered"):
        if event.data.get("user_id") != other.id:
            texts.append(str(event.data.get("text") or ""))
    blob = "\n".join(texts)
    return [c for c in (*CANARIES, BYSTANDER_NAME, BYSTANDER_CITY) if c in blob]


def check_log(lines: list[str], forbidden: list[str]) -> None:
    """No traceback, error or exception; nothing typed, no identity."""
    for line in lines:
        assert "Traceback" not in line, line[:500]
        entry = json.loads(line)
        assert entry["level"] not in ("ERROR", "CRITICAL"), line[:500]
        assert not {"exc_info", "exception", "stack", "stack_info"} & set(entry), line[:500]
        for needle in forbidden:
            assert needle not in line, f"{needle[:40]!r} in log line {line[:300]!r}"


@pytest.mark.parametrize("name", list(CASES))
async def test_hostile_update(running_bot: RunningBot, tmp_path: Path, name: str) -> None:
    spec = CASES[name]
    standin = running_bot.standin
    user = standin.new_user(
        "Mallory <b>\u202e",
        language_code=spec.language_code,
        username=HOSTILE_USERNAME,
        id=HOSTILE_ID,
    )
    other_user = standin.new_user(
        "Vera", language_code="en", username=BYSTANDER_USERNAME, id=BYSTANDER_ID
    )
    tr = CATALOGS.translator(pick_language(spec.language_code))
    me, other = Reporter(standin, user), Reporter(standin, other_user)
    h = Hostile(running_bot, user, me, other, tr, tmp_path)

    await reach(h, spec.stage)
    await bystander_first(h.other)
    h.other_screen = h.other.last
    since = len(standin.state.events)
    _, received = await asyncio.gather(spec.act(h), bystander_then(h.other))

    # The bot is still up, and answers the hostile reporter with its own words.
    probe = await h.me.command("/start")
    assert_bot_sentence(probe.text, tr)
    assert tr.ui("welcome") in (probe.text or "") or tr.ui("resume") in (probe.text or "")
    await standin.wait_idle(timeout=10.0)

    check_bystander_chat(standin, other_user, since, received)
    assert leaked_canaries(standin, other_user) == []
    for group in h.groups:
        assert not [m for m in standin.state.messages.get(group.id, {}).values() if m.from_bot]
    identities = [str(HOSTILE_ID), str(BYSTANDER_ID), HOSTILE_USERNAME, BYSTANDER_USERNAME]
    check_log(running_bot.log_lines, [*CANARIES, *h.markers, *identities])


def test_the_battery_is_large_enough() -> None:
    assert len(CASES) >= 40


# -- beyond the battery ---------------------------------------------------------------------------


async def test_an_update_the_library_cannot_parse_neither_stalls_the_bot_nor_reaches_the_log(
    running_bot: RunningBot,
) -> None:
    """An update python-telegram-bot cannot parse, in one batch with a bystander's answer.

    The poll lacks fields this library version requires: what a self-hosted Bot API server of
    another version (TELEGRAM_API_URL), or Telegram after an API change, may well send.
    """
    standin = running_bot.standin
    other_user = standin.new_user("Vera", language_code="en", id=BYSTANDER_ID)
    other = Reporter(standin, other_user)
    await other.command("/start")
    await other.press(Action.BEGIN)
    await other.answer("reporter_role", "relative")
    try:
        # Both land in one getUpdates batch: nothing in between yields to the bot.
        await standin.send_raw_update({"poll": {"id": "1"}})
        await standin.send_text(other_user, BYSTANDER_NAME)
        try:
            reply: StoredMessage | None = await standin.next_bot_message(other_user, timeout=5.0)
        except TimeoutError:
            reply = None
        lines = list(running_bot.log_lines)
    finally:
        standin.state.updates.drop_pending()  # let the bot shut down whatever happened
    leaking = [line for line in lines if CANARY_LATIN in line or str(BYSTANDER_ID) in line]
    critical = [line for line in lines if json.loads(line)["level"] == "CRITICAL"]
    if leaking:
        at = max(leaking[0].find(CANARY_LATIN), 0)
        excerpt = leaking[0][:120] + " ... " + leaking[0][max(at - 150, 120) : at + 60]
        pytest.fail(f"{len(leaking)} log lines quote the batch, e.g. {excerpt}")
    assert reply is not None, f"the bot stopped serving; {len(critical)} CRITICAL log lines"
    assert critical == []


async def test_file_downloads_are_throttled_with_everything_else(
    standin: BotApiStandIn,
    database: ScratchDatabase,
    keyring_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flood of documents past the rate limit downloads and stores nothing."""

    class Switchable(throttle.RateLimiter):
        strict = False

        def check(self, user_id: int) -> tuple[bool, bool]:
            return super().check(user_id) if Switchable.strict else (True, False)

    monkeypatch.setattr("bot.app.RateLimiter", lambda limit: Switchable(3))
    settings = bot_settings(standin, database, keyring_path)
    runtime = await open_runtime(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(runtime, stop))
    try:
        await standin.wait_polling()
        user = standin.new_user("Flood", language_code="en", id=HOSTILE_ID)
        me = Reporter(standin, user)
        await me.command("/start")
        await me.press(Action.BEGIN)
        for question_id, value in FULL_REPORT:
            if question_id == "papers":
                break
            await me.answer(question_id, value)
        Switchable.strict = True
        for i in range(12):
            await standin.send_document(user, b"%PDF-1.4 " + bytes([i]) * 2048, f"f{i}.pdf")
        await standin.wait_idle(timeout=20.0, quiet=0.5)
        said = [m.text for m in standin.transcript(user) if m.from_bot]
        warning = CATALOGS.translator("en").ui("err_rate_limited")
        assert said.count(warning) == 1, "the rate limit should have refused the flood"
        async with runtime.sessions() as session:
            stored = int((await session.execute(select(func.count(Attachment.id)))).scalar_one())
        assert stored <= 3, f"{stored} of 12 documents were downloaded and stored past the limit"
    finally:
        await stop_bot(runtime, stop, task)


def _markup_heavy(length: int) -> str:
    return ("<&>\"'" * length)[:length]


async def test_the_review_of_markup_heavy_answers_is_always_shown(running_bot: RunningBot) -> None:
    """Text answers full of characters HTML must escape, then the name edited to every length.

    The review escapes each answer, and the whole message is then clipped to 4000 characters:
    whatever the lengths, the reporter must get a readable review, not a refused message.
    """
    standin = running_bot.standin
    user = standin.new_user("Mallory", language_code="en", id=HOSTILE_ID)
    me = Reporter(standin, user)
    tr = CATALOGS.translator("en")
    await me.command("/start")
    await me.press(Action.BEGIN)
    for question_id, value in FULL_REPORT:
        question = QUESTIONNAIRE.get(question_id)
        assert question is not None
        heavy = question.type.value == "text"
        await me.answer(question_id, _markup_heavy(question.max_length or 200) if heavy else value)
    for length in range(2, 61):
        await me.press(Action.EDIT, "detained_name")
        await standin.send_text(user, _markup_heavy(length))
        try:
            review: StoredMessage | None = await standin.next_bot_message(user, timeout=3.0)
        except TimeoutError:
            review = None
        if review is None:
            failed = [json.loads(line) for line in running_bot.log_lines if '"ERROR"' in line]
            await standin.send_command(user, "/start")  # the reporter tries again
            try:
                answered = bool(await standin.next_bot_message(user, timeout=3.0))
            except TimeoutError:
                answered = False
            pytest.fail(
                f"no review for a name of {length} characters; logged: {failed[-1:]}; "
                f"a /start afterwards is answered: {answered}"
            )
        me.last = review
        text = review.text or ""
        assert tr.ui("review_title") in text, text[:200]
        garbage = re.findall(r"&#?\w+;", text)
        assert garbage == [], f"a clipped HTML entity is shown to the reporter: {garbage}"
    check_log(running_bot.log_lines, [])
