"""Uploads, file_id reuse, getFile and downloads."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.standin import TINY_PNG, BotApiStandIn


async def test_send_document_then_get_file_and_download(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    content = b"%PDF-1.4 case file\n" * 10_000
    sent = await bot.send_document(ann.id, content, filename="case.pdf", caption="Your file")
    assert sent.document is not None
    assert sent.document.file_name == "case.pdf"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Your file"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    assert file.file_path.startswith(standin.file_base_url)
    assert bytes(await file.download_as_bytearray()) == content
    assert standin.file_bytes(sent.document.file_id) == content
    again = await bot.send_document(ann.id, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id


async def test_photo_upload_and_reuse_checks(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_text(ann, "hi")
    photo = await bot.send_photo(ann.id, TINY_PNG, caption="map")
    assert photo.photo
    assert photo.photo[-1].width == 1
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(ann.id, b"not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(ann.id, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type photo as document"):
        await bot.send_document(ann.id, photo.photo[-1].file_id)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ann.id, TINY_PNG, caption="x" * 1025)


async def test_user_uploads_reach_the_bot(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    await standin.send_document(ann, b"evidence", "evidence.txt", "text/plain", caption="proof")
    await standin.send_photo(ann, TINY_PNG)
    await standin.send_voice(ann)
    await standin.send_location(ann, 55.75, 37.62)
    await standin.send_contact(ann, "+79000000000")
    await standin.send_sticker(ann)
    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message]
    document = messages[0].document
    assert document is not None
    assert document.file_name == "evidence.txt"
    assert messages[0].caption == "proof"
    downloaded = await (await bot.get_file(document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"evidence"
    assert messages[1].photo
    assert messages[2].voice is not None
    assert messages[3].location is not None
    assert messages[3].location.latitude == 55.75
    assert messages[4].contact is not None
    assert messages[4].contact.user_id == ann.id
    assert messages[5].sticker is not None
    assert messages[5].sticker.emoji == "👍"


async def test_files_over_20_mb_cannot_be_fetched(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.new_user()
    big = await standin.send_document(ann, b"\0" * (20 * 1024 * 1024 + 1), "video.bin")
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big["document"]["file_id"])
