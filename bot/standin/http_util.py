"""Helpers shared by the test-facing HTTP API handlers."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.standin.errors import ApiError
from bot.standin.models import StoredMessage
from bot.standin.state import State

JsonDict = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Last-Event-ID",
}


def message_view(st: State, msg: StoredMessage) -> JsonDict:
    """A transcript entry: the Bot API Message plus the stand-in's bookkeeping.

    ``reply_markup`` here is what the bot sent, reply keyboards included.
    """
    return {
        **st.message_json(msg),
        "reply_markup": msg.reply_markup,
        "from_bot": msg.from_bot,
        "edit_count": msg.edit_count,
        "deleted": msg.deleted,
        "content": msg.content,
    }


def ok(result: Any) -> web.Response:
    """A success answer."""
    return web.json_response({"ok": True, "result": result}, headers=CORS)


def fail(status: int, error: str) -> web.Response:
    """A failure answer."""
    return web.json_response({"ok": False, "error": error}, status=status, headers=CORS)


async def body(request: web.Request) -> JsonDict:
    """The JSON or form body; an uploaded ``file`` part comes back as bytes."""
    if request.content_type == "application/json":
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("a JSON object is expected")
    else:
        form = await request.post()
        data = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                data[key] = value.file.read()
                data.setdefault("file_name", value.filename)
                data.setdefault("mime_type", value.content_type)
            else:
                data[key] = value
    if "data_base64" in data:
        try:
            data["file"] = base64.b64decode(data.pop("data_base64"), validate=True)
        except binascii.Error:
            raise ValueError("data_base64 is not base64") from None
    return data


def guard(handler: Handler) -> Handler:
    """Turn the test API's exceptions into JSON answers with fitting statuses."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as err:
            return web.json_response(
                {**err.payload(), "error": err.description}, status=err.code, headers=CORS
            )
        except KeyError as exc:  # a field missing from the request body
            return fail(400, f"missing field {exc}")
        except LookupError as exc:
            return fail(404, str(exc))
        except (ValueError, TypeError, RuntimeError) as exc:
            return fail(400, str(exc))
        except TimeoutError as exc:
            return fail(408, str(exc))

    return guarded
