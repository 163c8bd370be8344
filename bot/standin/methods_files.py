"""Bot API methods that send files, and getFile."""

from __future__ import annotations

from typing import Any

from bot.standin.errors import ApiError, bad_request
from bot.standin.files import MAX_DOWNLOAD, MAX_PHOTO, MAX_UPLOAD, looks_like_image, media_field
from bot.standin.markup import parse_reply_markup
from bot.standin.methods_messages import (
    caption_text,
    publish,
    reply_target,
    take_flood_token,
    target_chat,
)
from bot.standin.models import StoredFile
from bot.standin.params import Params, Upload
from bot.standin.registry import Impl, method
from bot.standin.state import State

JsonDict = dict[str, Any]
_KIND_NAMES = {"photo": "Photo", "document": "Document", "voice": "Voice", "audio": "Audio"}


def _resolve_file(st: State, p: Params, kind: str) -> StoredFile:
    """An uploaded part becomes a new file; a string must be a known file_id."""
    given = p.file(kind)
    if given is None or given == "":
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(given, Upload):
        if not given.data:
            raise bad_request("file must be non-empty")
        if len(given.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo":
            if not looks_like_image(given.data):
                raise bad_request("IMAGE_PROCESS_FAILED")
            if len(given.data) > MAX_PHOTO:
                raise bad_request("PHOTO_SAVE_FILE_INVALID")
        return st.add_file(given.data, kind, given.file_name, given.content_type)
    stored = st.files.get(given)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request(
            f"can't use file of type {_KIND_NAMES.get(stored.kind, stored.kind.title())} "
            f"as {_KIND_NAMES.get(kind, kind.title())}"
        )
    return stored


def _sender(kind: str) -> Impl:
    async def send_file(st: State, p: Params) -> JsonDict:
        chat = target_chat(st, p)
        stored = _resolve_file(st, p, kind)
        caption, entities = caption_text(p)
        markup = parse_reply_markup(p.raw("reply_markup"))
        reply_to = reply_target(st, chat, p)
        take_flood_token(st, chat)
        extra: JsonDict = {}
        if kind == "sticker" and p.opt_str("emoji"):
            extra["emoji"] = p.opt_str("emoji")
        msg = st.add_message(
            chat,
            True,
            st.bot.id,
            media=media_field(stored, **extra),
            caption=caption,
            caption_entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return publish(st, msg)

    send_file.__doc__ = f"send{kind.title()}: multipart upload or file_id reuse."
    return send_file


for _kind in ("document", "photo", "voice", "audio", "video", "animation", "sticker"):
    method(f"send{_kind.title()}")(_sender(_kind))


@method("getFile")
async def get_file(st: State, p: Params) -> JsonDict:
    """getFile: ``file_path`` for the download URL; over 20 MB is refused like the cloud API."""
    stored = st.files.get(p.req_str("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }
