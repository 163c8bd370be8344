"""Telegram transport for reporters: updates to domain events, screens back to messages.

Order of work for every update: (1) rate limit, in memory; (2) one database transaction that
claims the update id, applies the event and stores answers, conversation state, case changes
and outbox alerts together; (3) only then the reply. A redelivered update (same id) changes
nothing and re-shows the current screen; a crash between (2) and (3) loses no answer.
"""

from __future__ import annotations

import contextlib
import logging
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.domain.intake import IntakeService
from bot.domain.intake_model import (
    Action,
    Command,
    CommandEvent,
    Event,
    FileEvent,
    PressEvent,
    Screen,
    ScreenKind,
    TextEvent,
    UnsupportedEvent,
)
from bot.domain.people import TelegramIdentity
from bot.domain.questionnaire.flow import Questionnaire
from bot.i18n import Catalogs, pick_language
from bot.logging_setup import describe_exception
from bot.telegram.downloads import MAX_DOWNLOAD, FileFetcher, FileTooBig
from bot.telegram.render import Renderer
from bot.telegram.throttle import RateLimiter
from storage.models import ProcessedUpdate
from storage.repositories.attachments import AttachmentMeta, AttachmentWriter
from storage.store import SqlStore

log = logging.getLogger(__name__)
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids
MAX_FILE_NAME = 120


def identity_of(update: Update) -> TelegramIdentity | None:
    """The sender's identity, for a private chat only (reporters talk to the bot privately).

    A private chat's id is its user's id; an update claiming someone else's private chat (a
    forged message, a press on another person's message) is nobody's.
    """
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return None
    if chat.id != user.id:
        return None
    return TelegramIdentity(
        user_id=user.id,
        chat_id=chat.id,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        language_code=user.language_code,
    )


@dataclass(frozen=True, slots=True)
class _FileOffer:
    file_id: str
    meta: AttachmentMeta
    size: int | None


def safe_file_name(name: str | None) -> str:
    """A document's name as a plain file name: no directories, controls or bidi tricks.

    The name is only shown to lawyers, but whoever saves the file later must not be led out of
    their folder by "../../etc/passwd" or fooled by a right-to-left override.
    """
    if not name:
        return "document"
    visible = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    base = visible.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".").strip()
    return base[:MAX_FILE_NAME] or "document"


def _file_offer(message: Message) -> _FileOffer | None:
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return _FileOffer(photo.file_id, AttachmentMeta("photo.jpg", "image/jpeg", "photo"),
                          photo.file_size)  # fmt: skip
    if message.document is not None:
        doc = message.document
        meta = AttachmentMeta(
            safe_file_name(doc.file_name), doc.mime_type or "application/octet-stream", "document"
        )
        return _FileOffer(doc.file_id, meta, doc.file_size)
    return None


class ReporterBot:
    """The reporter's side of the bot."""

    def __init__(
        self,
        *,
        store: SqlStore,
        service: IntakeService,
        catalogs: Catalogs,
        writer: AttachmentWriter,
        fetcher: FileFetcher,
        clock: Callable[[], datetime],
        limiter: RateLimiter | None = None,
    ) -> None:
        self.store = store
        self.service = service
        self.catalogs = catalogs
        self.writer = writer
        self.fetcher = fetcher
        self.clock = clock
        self.limiter = limiter or RateLimiter()

    @property
    def questionnaire(self) -> Questionnaire:
        """The questionnaire being asked."""
        return self.service.questionnaire

    # -- handlers ------------------------------------------------------------------------

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A slash command in a private chat."""
        message = update.effective_message
        if message is None or not message.text:
            return
        name = message.text.split()[0].lstrip("/").split("@")[0].lower()
        try:
            command = Command(name)
        except ValueError:
            if await self._admit(update):
                await self._say(update, "err_unknown_command")
            return
        await self._process(update, CommandEvent(command))

    async def on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed answer."""
        message = update.effective_message
        if message is not None and message.text is not None:
            await self._process(update, TextEvent(message.text))

    async def on_file(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo or document: downloaded into encrypted storage if a step expects one."""
        message = update.effective_message
        offer = _file_offer(message) if message is not None else None
        if offer is None:
            await self._process(update, UnsupportedEvent())
            return
        if not await self._admit(update):  # a flood of files is refused before downloading
            return
        if offer.size is not None and offer.size > MAX_DOWNLOAD:
            await self._process(update, UnsupportedEvent("err_file_too_big"), admitted=True)
            return
        event = await self._download(update, offer)
        await self._process(update, event, admitted=True)

    async def on_unsupported(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, voice, locations, contacts and other media we do not take."""
        await self._process(update, UnsupportedEvent())

    async def on_edited(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: say edits are not read (answers were stored as first sent)."""
        if identity_of(update) is not None and await self._admit(update):
            await self._say(update, "err_edit_ignored")

    async def on_press(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button press; forged or malformed data changes nothing."""
        query = update.callback_query
        if query is None:
            return
        user, chat = update.effective_user, update.effective_chat
        if (
            identity_of(update) is None
            and user is not None
            and chat is not None
            and chat.type == ChatType.PRIVATE
        ):
            # A press on a message of someone else's private chat (a forged query): refused,
            # and that chat is left untouched.
            if self.limiter.check(user.id)[0]:
                language = pick_language(user.language_code)
                text = self.catalogs.translator(language).ui("err_stale_button")
                await _quietly(query.answer(text))
            return
        press = PressEvent.decode(query.data or "")
        if press is None:
            if await self._admit(update):
                await _quietly(query.answer(self._text(update, "err_stale_button")))
            return
        await self._process(update, press)

    # -- the unit of work ----------------------------------------------------------------

    async def _admit(self, update: Update) -> bool:
        """Whether the sender is under the message rate limit; warns once when they are not."""
        identity = identity_of(update)
        if identity is None:
            return False
        allowed, warn = self.limiter.check(identity.user_id)
        if not allowed:
            if warn:
                await self._say(update, "err_rate_limited")
            elif update.callback_query is not None:
                await _quietly(update.callback_query.answer())
        return allowed

    async def _process(self, update: Update, event: Event, *, admitted: bool = False) -> None:
        identity = identity_of(update)
        if identity is None or not (admitted or await self._admit(update)):
            return
        message = update.effective_message
        message_id = (
            message.message_id if message is not None and update.callback_query is None else None
        )
        now = self.clock()
        language = pick_language(identity.language_code)
        async with self.store.transaction() as tx:
            fresh = await tx.claim_update(update.update_id)
            known = await tx.reporters.find(identity.user_id)
            # Someone we hold nothing about who only asks (/status...) is answered, not recorded.
            screen = self.service.without_reporter(event, language) if known is None else None
            if screen is None:
                reporter_id = known or await tx.reporter_id(identity)
                if fresh:
                    screen, state = await self.service.handle(
                        tx, reporter_id, event, now, message_id=message_id, language=language
                    )
                    if state is not None:
                        await tx.save_conversation(reporter_id, state)
                else:
                    screen = await self.service.current_screen(tx, reporter_id, now)
        await self._show(update, event, screen, identity)

    async def _download(self, update: Update, offer: _FileOffer) -> Event:
        identity = identity_of(update)
        if identity is None:
            return UnsupportedEvent()
        async with self.store.transaction() as tx:
            if await tx.session.get(ProcessedUpdate, update.update_id) is not None:
                return UnsupportedEvent()  # a redelivery: nothing is downloaded a second time
            reporter_id = await tx.reporters.find(identity.user_id)
            state = await tx.load_conversation(reporter_id) if reporter_id else None
        if state is None or not self.service.expects_file(state):
            return UnsupportedEvent("err_text_expected")
        case_ref = state.data.get("add_case") if state.step == "adding" else state.case_id
        if not case_ref:
            return UnsupportedEvent("err_text_expected")
        try:
            file = await update.get_bot().get_file(offer.file_id)
            if not file.file_path:
                return UnsupportedEvent("err_file_expected")
            attachment_id = await self.writer.store(
                uuid.UUID(str(case_ref)), offer.meta, self.fetcher.stream(file.file_path)
            )
        except FileTooBig:
            return UnsupportedEvent("err_file_too_big")
        except BadRequest as exc:
            if "too big" in exc.message.lower():  # getFile refuses files over 20 MB
                return UnsupportedEvent("err_file_too_big")
            log.warning("file download refused", extra=describe_exception(exc))
            return UnsupportedEvent("err_try_again")
        except (TelegramError, httpx.HTTPError) as exc:
            log.warning("file download failed", extra=describe_exception(exc))
            return UnsupportedEvent("err_try_again")
        return FileEvent(str(attachment_id))

    # -- replies -------------------------------------------------------------------------

    def _text(self, update: Update, key: str) -> str:
        identity = identity_of(update)
        language = pick_language(identity.language_code if identity else None)
        return self.catalogs.translator(language).ui(key)

    async def _say(self, update: Update, key: str) -> None:
        identity = identity_of(update)
        chat = update.effective_chat
        if identity is None or chat is None:
            return
        text = self._text(update, key)
        if update.callback_query is not None:
            await _quietly(update.callback_query.answer(text[:200]))
            return
        await update.get_bot().send_message(chat.id, text)

    async def _show(
        self, update: Update, event: Event, screen: Screen, identity: TelegramIdentity
    ) -> None:
        bot = update.get_bot()
        language = screen.language or pick_language(identity.language_code)
        renderer = Renderer(self.questionnaire, self.catalogs.translator(language))
        query = update.callback_query
        if query is not None:
            toast = renderer.tr.ui(screen.toast) if screen.toast else None
            await _quietly(query.answer(toast))
            if screen.toast and isinstance(event, PressEvent):
                return  # a stale or refused press: the screen has not changed
        if screen.kind is ScreenKind.WIPED and screen.wipe_from is not None:
            upto = screen.wipe_to or (query.message.message_id if query and query.message else None)
            if upto is not None:
                await self._wipe(identity.chat_id, screen.wipe_from, upto, update)
        reply = renderer.render(screen)
        pressed = query.message if query is not None else None
        if isinstance(event, PressEvent) and isinstance(pressed, Message):
            if event.action is Action.TOGGLE and screen.kind is ScreenKind.QUESTION:
                await _quietly(
                    pressed.edit_text(reply.text, parse_mode="HTML", reply_markup=reply.markup)
                )
                return
            if screen.kind is not ScreenKind.WIPED:
                await _quietly(pressed.edit_reply_markup(None))
        await bot.send_message(
            identity.chat_id, reply.text, parse_mode="HTML", reply_markup=reply.markup
        )

    async def _wipe(self, chat_id: int, first: int, last: int, update: Update) -> None:
        bot = update.get_bot()
        ids = list(range(first, last + 1))
        for start in range(0, len(ids), DELETE_BATCH):
            await _quietly(bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH]))


async def _quietly(awaitable: Awaitable[object]) -> None:
    """Await a cosmetic call (edit, toast, delete) whose failure must not fail the update."""
    with contextlib.suppress(BadRequest):
        await awaitable
