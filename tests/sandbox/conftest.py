"""The sandbox as a person starts it (a process printing its address) and a real browser.

The browser is Debian's Chromium at /usr/bin/chromium, driven by Playwright (which never downloads
a browser of its own here). Where Chromium is missing the browser tests skip, saying so, unless
INTAKE_REQUIRE_BROWSER=1 (set by .ci/run), which makes them fail instead.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("INTAKE_REQUIRE_BROWSER") == "1"
ADDRESS = re.compile(r"(http://127\.0\.0\.1:\d+/)")
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


@dataclass
class Sandbox:
    """A running `python -m bot sandbox` and what it printed."""

    process: subprocess.Popen[str]
    url: str = ""
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    _lines: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def stop(self) -> int:
        """Ctrl-C, as a person would press it; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"the sandbox did not stop within {STOP_TIMEOUT} s of SIGINT"
            ) from None

    def printed(self) -> str:
        """Everything it wrote to standard output so far."""
        return "".join(self.out)


def _drain(stream: Any, into: list[str], lines: queue.Queue[str | None] | None) -> None:
    for line in iter(stream.readline, ""):
        into.append(line)
        if lines is not None:
            lines.put(line)
    if lines is not None:
        lines.put(None)


@contextmanager
def start_sandbox(*args: str, env: dict[str, str] | None = None) -> Iterator[Sandbox]:
    """Start the sandbox on a free port and wait for the address it prints; stop it after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sandbox = Sandbox(process)
    readers = [
        threading.Thread(target=_drain, args=(process.stdout, sandbox.out, sandbox._lines)),
        threading.Thread(target=_drain, args=(process.stderr, sandbox.err, None)),
    ]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not sandbox.url:
            try:
                line = sandbox._lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no address within {START_TIMEOUT} s; stderr: {''.join(sandbox.err)[-2000:]}"
                ) from None
            if line is None:
                raise AssertionError(f"the sandbox exited: {''.join(sandbox.err)[-2000:]}")
            found = ADDRESS.search(line)
            if found:
                sandbox.url = found[1]
        yield sandbox
    finally:
        if process.poll() is None:
            sandbox.stop()
        for reader in readers:
            reader.join(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), or a skip saying how to get it.

    Module-scoped: Playwright's synchronous API keeps an event loop running in this thread while
    it is open, so it must be closed before any asyncio test of another module runs.
    """
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium): the browser tests need it"
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}; INTAKE_REQUIRE_BROWSER=1 makes them mandatory")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only with a browser

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Any, url: str, width: int = 1440, height: int = 900) -> Any:
    """A page of a new browser context (a browser session of its own) showing the sandbox."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="en-US",
        timezone_id="Asia/Almaty",
        base_url=url,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("body[data-ready]")
    page.errors = errors  # type: ignore[attr-defined]
    return page
