"""MarkdownV2 (and legacy Markdown) parse_mode, parsed into text and entities.

MarkdownV2 requires every reserved character outside entities to be escaped
with a backslash; a bot that forgets gets ``Character '.' is reserved...``
from Telegram, and from the stand-in.
"""

from __future__ import annotations

import re
from typing import Any

from bot.standin.entities import parse_error, u16len

JsonDict = dict[str, Any]

_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_TOGGLES = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough"}
_MD2_TOGGLES["||"] = "spoiler"
_MD1_TOGGLES = {"*": "bold", "_": "italic"}


def _unescaped(text: str, char: str, start: int) -> int:
    """Index of the first ``char`` at or after ``start`` not escaped by a backslash."""
    pos = start
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
        elif text[pos] == char:
            return pos
        else:
            pos += 1
    return -1


class _Markdown:
    """A small MarkdownV2 / legacy Markdown parser producing entities."""

    def __init__(self, source: str, v2: bool) -> None:
        self.src = source
        self.v2 = v2
        self.out: list[str] = []
        self.length = 0
        self.open: list[JsonDict] = []
        self.entities: list[JsonDict] = []
        self.pos = 0
        self.quote_start: int | None = None

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += u16len(text)

    def byte_at(self, pos: int) -> int:
        return len(self.src[:pos].encode())

    def toggle(self, kind: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i]["type"] == kind:
                entity = self.open.pop(i)
                del entity["byte"]
                entity["length"] = self.length - entity["offset"]
                if entity["length"] > 0:
                    self.entities.append(entity)
                return
        self.open.append({"type": kind, "offset": self.length, "byte": self.byte_at(self.pos)})

    def close_quote(self) -> None:
        if self.quote_start is not None and self.length > self.quote_start:
            length = self.length - self.quote_start
            self.entities.append(
                {"type": "blockquote", "offset": self.quote_start, "length": length}
            )
        self.quote_start = None

    def code(self) -> None:
        fence = "```" if self.src.startswith("```", self.pos) else "`"
        end = self.src.find(fence, self.pos + len(fence))
        while end != -1 and self.v2 and self.src[end - 1] == "\\":
            end = self.src.find(fence, end + 1)
        if end == -1:
            kind = "Pre" if fence == "```" else "Code"
            raise parse_error(
                f"Can't find end of {kind} entity at byte offset {self.byte_at(self.pos)}"
            )
        body = self.src[self.pos + len(fence) : end]
        entity: JsonDict = {"type": "pre" if fence == "```" else "code", "offset": self.length}
        if fence == "```" and "\n" in body:
            language, rest = body.split("\n", 1)
            if language.strip():
                entity["language"] = language.strip()
            body = rest
        if self.v2:
            body = re.sub(r"\\([`\\])", r"\1", body)
        self.emit(body)
        entity["length"] = self.length - entity["offset"]
        if entity["length"]:
            self.entities.append(entity)
        self.pos = end + len(fence)

    def link(self) -> None:
        close = self.src.find("](", self.pos)
        end = _unescaped(self.src, ")", close + 2) if close != -1 else -1
        if close == -1 or end == -1:
            raise parse_error(
                f"Can't find end of TextUrl entity at byte offset {self.byte_at(self.pos)}"
            )
        inner = _Markdown(self.src[self.pos + 1 : close], self.v2)
        text, nested = inner.run()
        url = self.src[close + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
        for entity in nested:
            entity["offset"] += self.length
            self.entities.append(entity)
        self.entities.append({"type": "text_link", "offset": self.length, "url": url})
        self.emit(text)
        self.entities[-1]["length"] = u16len(text)
        self.pos = end + 1

    def run(self) -> tuple[str, list[JsonDict]]:
        toggles = _MD2_TOGGLES if self.v2 else _MD1_TOGGLES
        while self.pos < len(self.src):
            ch = self.src[self.pos]
            two = self.src[self.pos : self.pos + 2]
            if (
                ch == "\\"
                and self.pos + 1 < len(self.src)
                and (self.v2 or self.src[self.pos + 1] in "_*`[")
            ):
                self.emit(self.src[self.pos + 1])
                self.pos += 2
            elif ch == "`":
                self.code()
            elif ch == "[":
                self.link()
            elif self.v2 and ch == ">" and (self.pos == 0 or self.src[self.pos - 1] == "\n"):
                if self.quote_start is None:
                    self.quote_start = self.length
                self.pos += 1
            elif ch == "\n" and self.quote_start is not None:
                if not self.src.startswith(">", self.pos + 1):
                    self.close_quote()
                self.emit(ch)
                self.pos += 1
            elif self.v2 and two in ("__", "||"):
                self.toggle(toggles[two])
                self.pos += 2
            elif ch in toggles:
                self.toggle(toggles[ch])
                self.pos += 1
            elif self.v2 and ch in _MD2_RESERVED:
                raise parse_error(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                self.emit(ch)
                self.pos += 1
        self.close_quote()
        if self.open:
            entity = self.open[-1]
            name = str(entity["type"]).capitalize()
            raise parse_error(f"Can't find end of {name} entity at byte offset {entity['byte']}")
        return "".join(self.out), sorted(self.entities, key=lambda e: e["offset"])


def parse_markdown(source: str, v2: bool = True) -> tuple[str, list[JsonDict]]:
    """Plain text and entities of a MarkdownV2 (or legacy Markdown) message."""
    return _Markdown(source, v2).run()
