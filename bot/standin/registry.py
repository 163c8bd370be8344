"""The table of Bot API methods the stand-in implements.

Method modules register implementations with :func:`method`; names are
matched case-insensitively, as Telegram does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.standin.params import Params
from bot.standin.state import State

Impl = Callable[[State, Params], Awaitable[Any]]


@dataclass(frozen=True)
class MethodSpec:
    """A registered method: its canonical name and implementation."""

    name: str
    impl: Impl


METHODS: dict[str, MethodSpec] = {}


def method(name: str) -> Callable[[Impl], Impl]:
    """Register a Bot API method implementation under ``name``."""

    def register(impl: Impl) -> Impl:
        METHODS[name.lower()] = MethodSpec(name, impl)
        return impl

    return register


def find_method(name: str) -> MethodSpec | None:
    """The implementation of ``name`` (any letter case), if there is one."""
    return METHODS.get(name.lower())
