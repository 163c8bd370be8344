"""Bot API error responses, shaped exactly like Telegram's.

Method implementations raise :class:`ApiError`; the server turns it into
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``
with the matching HTTP status, which is what python-telegram-bot maps to its
``BadRequest``, ``Forbidden``, ``RetryAfter``, ``Conflict`` and ``NetworkError``.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer.

    Args:
        code: HTTP status and ``error_code``.
        description: Telegram's description, e.g. ``"Bad Request: chat not found"``.
        retry_after: Seconds for ``parameters.retry_after`` (429 only).
    """

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        """The JSON body Telegram would send."""
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 answer: ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """A 403 answer: ``Forbidden: <detail>``."""
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 answer with ``parameters.retry_after``."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def conflict(detail: str) -> ApiError:
    """A 409 answer: ``Conflict: <detail>``."""
    return ApiError(409, f"Conflict: {detail}")


def unauthorized() -> ApiError:
    """The 401 answer for an unknown token."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """The 404 answer for an unknown method or file."""
    return ApiError(404, "Not Found")


def chat_not_found() -> ApiError:
    """The 400 answer for an unknown chat."""
    return bad_request("chat not found")
