"""HTML parse_mode: Telegram's small tag set, parsed into text and entities.

Telegram rejects unknown tags, unbalanced tags and a literal ``<`` with
``Bad Request: can't parse entities: ...``; so does the stand-in.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from bot.standin.entities import parse_error, u16len

JsonDict = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}
# The only named entities the Bot API supports.
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _HtmlToEntities(HTMLParser):
    def __init__(self, source: str) -> None:
        # Character references are handled by hand so that a literal "<" in
        # the data can be told apart from "&lt;" (Telegram rejects the former).
        super().__init__(convert_charrefs=False)
        self.source = source
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, JsonDict]] = []
        self.entities: list[JsonDict] = []
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def byte_offset(self) -> int:
        line, col = self.getpos()
        return len(self.source[: self._line_starts[line - 1] + col].encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _HTML_TAGS.get(tag)
        values = dict(attrs)
        if kind is None or (tag == "span" and values.get("class") != "tg-spoiler"):
            raise parse_error(f'Unsupported start tag "{tag}" at byte offset {self.byte_offset()}')
        entity: JsonDict = {"type": kind, "offset": self.length}
        if tag == "a":
            entity["url"] = values.get("href") or ""
        if tag == "tg-emoji":
            entity["custom_emoji_id"] = values.get("emoji-id") or ""
        if tag == "blockquote" and "expandable" in values:
            entity["type"] = "expandable_blockquote"
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (values.get("class") or "").removeprefix("language-")
            if language:
                self.stack[-1][1]["language"] = language
            entity["type"] = "nested_code"
        self.stack.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            expected = f'"</{self.stack[-1][0]}>"' if self.stack else "no end tag"
            raise parse_error(
                f"Unmatched end tag at byte offset {self.byte_offset()}, "
                f'expected {expected}, found "</{tag}>"'
            )
        _, entity = self.stack.pop()
        entity["length"] = self.length - entity["offset"]
        if entity["length"] > 0 and entity["type"] != "nested_code":
            if entity["type"] == "text_link" and not entity["url"]:
                return
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise parse_error(f"Unexpected end of name token at byte offset {self.byte_offset()}")
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self._emit(_NAMED.get(name, f"&{name};"))

    def handle_charref(self, name: str) -> None:
        try:
            self._emit(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))
        except (ValueError, OverflowError):
            self._emit(f"&#{name};")

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += u16len(text)


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Plain text and entities of an HTML-formatted message."""
    parser = _HtmlToEntities(source)
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise parse_error(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"')
    return "".join(parser.parts), sorted(parser.entities, key=lambda e: e["offset"])
