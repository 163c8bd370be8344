"""Photos and documents: stored encrypted, read back intact; oversized and other media refused."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bot.domain.intake_model import Action
from bot.standin import TINY_PNG
from bot.standin.files import MAX_DOWNLOAD, media_field
from storage.models import Attachment
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import (
    FULL_REPORT,
    QUESTIONNAIRE,
    Reporter,
    begin,
    case_answers,
    cases,
    tr,
)
from tests.leaks import scan_tables

EN = tr("en")
DOCUMENT = b"root:x:0:0:CanaryDocumentBody-7f3e:/root:/bin/bash\n" * 40
HOSTILE_NAME = "../../etc/passwd"
AFTER_PAPERS = FULL_REPORT[[q for q, _ in FULL_REPORT].index("papers") + 1 :]


async def at_papers(bot: RunningBot) -> Reporter:
    reporter = await begin(bot)
    await reporter.answer_until("papers")
    papers = QUESTIONNAIRE.get("papers")
    assert papers is not None
    assert reporter.last is not None
    assert EN.question(papers) in (reporter.last.text or "")
    return reporter


async def stored_files(bot: RunningBot, case_id: uuid.UUID) -> list[tuple[str, str, bytes]]:
    """(name, mime type, bytes) of every attachment the case's `papers` answer lists."""
    ids = (await case_answers(bot, case_id)).get("papers") or []
    out = []
    async with bot.runtime.store.transaction() as tx:
        for attachment_id in ids:
            meta, data = await tx.attachments.read(uuid.UUID(attachment_id))
            out.append((meta.name, meta.mime_type, data))
    return out


async def test_a_photo_and_a_document_are_stored_encrypted_and_done_moves_on(
    running_bot: RunningBot,
) -> None:
    reporter = await at_papers(running_bot)
    reply = await reporter.send_photo(TINY_PNG)
    assert EN.ui("file_received", n=1) in (reply.text or "")
    assert EN.ui("done") in [b["text"] for b in reply.buttons()]
    reply = await reporter.send_document(DOCUMENT, HOSTILE_NAME, "text/plain")
    assert EN.ui("file_received", n=2) in (reply.text or "")
    (case,) = await cases(running_bot)
    files = await stored_files(running_bot, case.id)
    assert files == [
        ("photo.jpg", "image/jpeg", TINY_PNG),
        ("passwd", "text/plain", DOCUMENT),  # no directories survive in the name
    ]
    leaks = await scan_tables(
        running_bot.runtime.engine, ["CanaryDocumentBody-7f3e", HOSTILE_NAME, "passwd"]
    )
    assert leaks == {}
    reply = await reporter.press(Action.DONE, "papers")
    contact = QUESTIONNAIRE.get("contact_method")
    assert contact is not None
    assert EN.question(contact) in (reply.text or "")
    # The review counts the files.
    review = await reporter.answer_until(None, AFTER_PAPERS)
    assert review is not None
    assert EN.ui("review_files", n=2) in (review.text or "")


async def test_an_oversized_document_is_refused_before_downloading(
    running_bot: RunningBot,
) -> None:
    reporter = await at_papers(running_bot)
    big = b"\0" * (MAX_DOWNLOAD + 1)
    reply = await reporter.send_document(big, "scan.pdf", "application/pdf")
    assert (reply.text or "").startswith(EN.ui("err_file_too_big"))
    (case,) = await cases(running_bot)
    assert "papers" not in await case_answers(running_bot, case.id)
    async with running_bot.runtime.sessions() as session:
        assert list((await session.execute(select(Attachment))).scalars()) == []


async def test_a_document_the_bot_api_will_not_hand_over_is_refused_as_too_big(
    running_bot: RunningBot,
) -> None:
    """No declared size, so the bot asks getFile, which refuses files over 20 MB."""
    reporter = await at_papers(running_bot)
    standin = running_bot.standin
    stored = standin.state.add_file(b"\0" * (MAX_DOWNLOAD + 1), "document", "scan.pdf", None)
    document = media_field(stored)["document"]
    del document["file_size"]
    chat = standin.chat(reporter.user)
    message = standin.state.add_message(chat, False, reporter.user.id, media={"document": document})
    await standin.send_raw_update({"message": standin.state.message_json(message)})
    reply = await reporter.next_message()
    assert (reply.text or "").startswith(EN.ui("err_file_too_big"))
    (case,) = await cases(running_bot)
    assert "papers" not in await case_answers(running_bot, case.id)


@pytest.mark.parametrize("kind", ["sticker", "voice", "location", "contact"])
async def test_other_media_get_the_only_text_photos_and_documents_sentence(
    running_bot: RunningBot, kind: str
) -> None:
    reporter = await at_papers(running_bot)
    standin = running_bot.standin
    user = reporter.user
    if kind == "sticker":
        await standin.send_sticker(user)
    elif kind == "voice":
        await standin.send_voice(user)
    elif kind == "location":
        await standin.send_location(user, 43.238, 76.945)
    else:
        await standin.send_contact(user, "+77011234567")
    reply = await reporter.next_message()
    assert (reply.text or "").startswith(EN.ui("err_unsupported"))
    (case,) = await cases(running_bot)
    assert "papers" not in await case_answers(running_bot, case.id)
