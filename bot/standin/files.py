"""File ids, paths and the Bot API objects describing files."""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import struct
from typing import Any

from bot.standin.models import StoredFile

JsonDict = dict[str, Any]

MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024
# Telegram's file ids start with a type-dependent prefix; mimicking that keeps
# ids looking real in logs without meaning anything.
_PREFIX = {"photo": "AgACAgIAAxk", "document": "BQACAgIAAxk", "voice": "AwACAgIAAxk"}
_FOLDER = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "sticker": "stickers",
    "audio": "music",
    "video": "videos",
    "animation": "animations",
}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"RIFF")
# A valid 1x1 PNG, handy for tests that need an image Telegram would accept.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)
_counter = itertools.count(1)


def new_file(
    data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
) -> StoredFile:
    """A stored file with fresh ids and a Telegram-like ``file_path``."""
    n = next(_counter)
    if mime_type is None and file_name:
        mime_type = mimetypes.guess_type(file_name)[0]
    ext = _extension(kind, file_name, mime_type)
    return StoredFile(
        file_id=f"{_PREFIX.get(kind, 'CAACAgIAAxk')}{n}{secrets.token_urlsafe(18)}",
        file_unique_id=f"AgAD{n}{secrets.token_hex(4)}",
        data=data,
        kind=kind,
        file_path=f"{_FOLDER.get(kind, 'documents')}/file_{n}{ext}",
        file_name=file_name,
        mime_type=mime_type,
    )


def _extension(kind: str, file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1]
    if kind == "photo":
        return ".jpg"
    if kind == "voice":
        return ".oga"
    return (mimetypes.guess_extension(mime_type) if mime_type else None) or ""


def looks_like_image(data: bytes) -> bool:
    """Whether Telegram could process the bytes as a photo (by magic number)."""
    return data.startswith(_IMAGE_MAGIC)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (other formats get a plausible default)."""
    if data.startswith(_IMAGE_MAGIC[0]) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 320, 240


def file_json(stored: StoredFile, **extra: Any) -> JsonDict:
    """The Bot API object for the file: PhotoSize, Document, Voice, Sticker..."""
    out: JsonDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.kind in ("photo", "sticker", "video", "animation"):
        width, height = image_size(stored.data)
        out.update(width=width, height=height)
    if stored.kind in ("voice", "audio", "video", "animation"):
        out["duration"] = 1
    if stored.kind == "sticker":
        out.update(type="regular", is_animated=False, is_video=False)
    if stored.kind != "photo" and stored.mime_type and stored.kind != "sticker":
        out["mime_type"] = stored.mime_type
    if stored.file_name and stored.kind in ("document", "audio", "video", "animation"):
        out["file_name"] = stored.file_name
    out.update(extra)
    return out


def media_field(stored: StoredFile, **extra: Any) -> JsonDict:
    """The Message field for the file: ``{"photo": [...]}``, ``{"document": {...}}``..."""
    obj = file_json(stored, **extra)
    return {"photo": [obj]} if stored.kind == "photo" else {stored.kind: obj}
