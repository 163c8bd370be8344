"""Message text formatting: parse_mode HTML / MarkdownV2 / Markdown, entities.

Telegram parses formatted text into plain text plus ``MessageEntity`` objects
whose offsets count UTF-16 code units; it rejects malformed markup with
``Bad Request: can't parse entities: ...``. Bots hit that error in production
mostly through unescaped MarkdownV2 characters and stray ``<`` in HTML, so the
stand-in is as strict as Telegram there (``html_parse.py``, ``markdown.py``).
"""

from __future__ import annotations

from typing import Any

from bot.standin.entities import incoming_entities, u16len
from bot.standin.errors import bad_request
from bot.standin.html_parse import parse_html
from bot.standin.markdown import parse_markdown

__all__ = ["incoming_entities", "parse_html", "parse_markdown", "render", "u16len"]

JsonDict = dict[str, Any]


def _strip(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Trim surrounding whitespace as Telegram does, keeping entities aligned."""
    lead = u16len(text[: len(text) - len(text.lstrip())])
    stripped = text.strip()
    end = u16len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        stop = min(entity["offset"] + entity["length"] - lead, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def render(
    text: str, parse_mode: str | None, entities: list[JsonDict] | None = None
) -> tuple[str, list[JsonDict]]:
    """Turn a bot's text + parse_mode (or explicit entities) into text and entities.

    Raises:
        ApiError: 400 for malformed markup or an unknown parse mode.
    """
    if entities is not None:
        plain, found = text, [dict(e) for e in entities]
        for entity in found:
            if not isinstance(entity.get("offset"), int) or not isinstance(
                entity.get("length"), int
            ):
                raise bad_request("can't parse entities: entity offset and length must be integers")
    elif not parse_mode:
        plain, found = text, []
    elif parse_mode.lower() == "html":
        plain, found = parse_html(text)
    elif parse_mode.lower() == "markdownv2":
        plain, found = parse_markdown(text, v2=True)
    elif parse_mode.lower() == "markdown":
        plain, found = parse_markdown(text, v2=False)
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    return _strip(plain, found)
