"""Bot API parameters from any encoding Telegram accepts.

Telegram takes parameters from the query string, ``application/json``,
``application/x-www-form-urlencoded`` and ``multipart/form-data``.
python-telegram-bot sends form data in which every value is a string: numbers
and booleans JSON-dumped, nested objects (``reply_markup``, ``entities``)
JSON-encoded, and files as multipart parts named after the parameter or
referenced as ``attach://<name>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.standin.errors import ApiError, bad_request

JsonDict = dict[str, Any]
_TRUE = ("true", "1", "yes", "on")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    data: bytes
    file_name: str | None
    content_type: str | None


class Params:
    """Typed access to one request's parameters."""

    def __init__(self, values: JsonDict, uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def raw(self, name: str) -> Any:
        """The value as received, or None."""
        return self.values.get(name)

    def opt_str(self, name: str) -> str | None:
        """A string parameter (numbers are stringified)."""
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise bad_request(f"{name} must be a string")

    def req_str(self, name: str, empty: str | None = None) -> str:
        """A required string; missing -> 400 ``<empty>`` or ``<name> is empty``."""
        value = self.opt_str(name)
        if value is None:
            raise bad_request(empty or f"{name} is empty")
        return value

    def opt_int(self, name: str) -> int | None:
        """An integer parameter ("123" and 123 both work)."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"{name} must be an integer")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def req_int(self, name: str) -> int:
        """A required integer."""
        value = self.opt_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def opt_float(self, name: str) -> float | None:
        """A number parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """A boolean parameter (absent is False)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in _TRUE
        return bool(value)

    def opt_json(self, name: str) -> Any:
        """A nested object or array, JSON-encoded or not."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer or "@username"."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        chat = self.opt_int(name)
        assert chat is not None
        return chat

    def chat_hint(self) -> int | None:
        """The integer chat_id if there is one (for faults and stats), never raising."""
        try:
            value = self.values.get("chat_id")
            return None if value is None else int(value)
        except (TypeError, ValueError):
            return None

    def file(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part, or a file_id / URL string."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = self.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file {value} not found in the request")
            return upload
        return self.opt_str(name)


async def parse_request(request: web.Request) -> Params:
    """Collect the parameters of a Bot API request.

    Raises:
        ApiError: 400 for a body that is not what its content type says.
    """
    values: JsonDict = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values)
    ctype = request.content_type
    try:
        if ctype == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            values.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
                elif isinstance(value, bytes | bytearray):
                    values[key] = bytes(value).decode()
                else:
                    values[key] = value
    except ApiError:
        raise
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    except ValueError:
        raise bad_request("can't parse request body") from None
    return Params(values, uploads)
