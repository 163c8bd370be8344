"""Wake-all notifications for waiters (no polling sleeps anywhere)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Signal:
    """Wakes every current waiter on :meth:`notify`; later waiters wait for the next one."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        """Wake all waiters."""
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float | None) -> bool:  # noqa: ASYNC109 - the waiting API takes a timeout by design
        """Wait for the next :meth:`notify`; False on timeout."""
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True


async def wait_until(
    signal: Signal,
    check: Callable[[], T | None],
    timeout: float | None,  # noqa: ASYNC109 - the waiting API takes a timeout by design
) -> T | None:
    """Re-run ``check`` on every notify until it returns non-None or ``timeout`` passes.

    Returns:
        The first non-None result of ``check``, or None on timeout.
    """
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            return None
        await signal.wait(remaining)
