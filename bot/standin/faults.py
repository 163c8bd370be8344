"""Fault injection: 429 storms, 5xx answers, delays and dropped connections.

A fault applies to Bot API method calls, optionally only to one method
(case-insensitive, as Telegram's method names are) and/or one ``chat_id``,
for a window of the stand-in's clock and/or a number of matching calls.
File downloads are matched only by faults whose method is ``"download"``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal["429", "5xx", "delay", "drop"]
DOWNLOAD = "download"


@dataclass
class Fault:
    """One injected fault; see :meth:`Faults.add`."""

    id: int
    kind: FaultKind
    method: str | None
    chat_id: int | None
    until: float | None
    remaining: int | None
    retry_after: int
    delay: float
    status: int
    hits: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Whether a call of ``method`` for ``chat_id`` is hit by this fault."""
        if self.method is None:
            if method == DOWNLOAD:
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def to_json(self) -> dict[str, object]:
        """JSON for the HTTP API."""
        return dict(self.__dict__)


class FaultHandle:
    """What :meth:`Faults.add` returns: inspect or remove the fault."""

    def __init__(self, faults: Faults, fault: Fault) -> None:
        self._faults = faults
        self.fault = fault

    @property
    def id(self) -> int:
        """The fault's id (for the HTTP API)."""
        return self.fault.id

    @property
    def hits(self) -> int:
        """How many calls this fault has hit."""
        return self.fault.hits

    @property
    def active(self) -> bool:
        """Whether the fault still applies."""
        return self.fault in self._faults.active()

    def remove(self) -> None:
        """Stop injecting this fault (no error if already gone)."""
        self._faults.remove(self.fault.id)


class Faults:
    """The set of active faults of one stand-in."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        duration: float | None = None,
        count: int | None = None,
        retry_after: int = 5,
        delay: float = 1.0,
        status: int = 502,
    ) -> FaultHandle:
        """Inject a fault until removed, ``duration`` seconds pass or ``count`` calls hit it.

        Args:
            kind: "429" (answer Too Many Requests with ``retry_after``), "5xx"
                (answer ``status``: 502 Bad Gateway or 500 Internal Server Error),
                "delay" (sleep ``delay`` seconds, then answer normally) or
                "drop" (close the TCP connection without an answer).
            method: Only this Bot API method ("download" for file downloads).
            chat_id: Only calls whose ``chat_id`` parameter is this.
            duration: Seconds of the stand-in's clock the fault lasts.
            count: Number of calls the fault hits before it ends.
            retry_after: For "429".
            delay: For "delay".
            status: For "5xx" (500 or 502; other 5xx codes pass through too).
        """
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}; use one of {get_args(FaultKind)}")
        until = None if duration is None else self._clock() + duration
        fault = Fault(
            next(self._ids), kind, method, chat_id, until, count, retry_after, delay, status
        )
        self._faults.append(fault)
        return FaultHandle(self, fault)

    def remove(self, fault_id: int) -> bool:
        """Remove one fault by id; True if it was there."""
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def active(self) -> list[Fault]:
        """Faults still in force (expired ones are forgotten)."""
        now = self._clock()
        self._faults = [f for f in self._faults if f.until is None or f.until > now]
        return list(self._faults)

    def hit(self, method: str, chat_id: int | None) -> tuple[float, Fault | None]:
        """Apply faults to one call.

        Returns:
            Total seconds of matching "delay" faults, and the first matching
            fault of another kind (which decides the answer), if any.
        """
        delay = 0.0
        decisive: Fault | None = None
        for fault in self.active():
            if not fault.matches(method, chat_id):
                continue
            if fault.kind != "delay" and decisive is not None:
                continue
            fault.hits += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.remove(fault.id)
            if fault.kind == "delay":
                delay += fault.delay
            else:
                decisive = fault
        return delay, decisive
