"""Start the stand-in, the real bot and the page; stop all three on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TextIO

from bot.app import serve
from bot.logging_setup import configure_logging
from bot.runtime import StartupError, open_runtime
from bot.sandbox.cast import Cast, seed_staff
from bot.sandbox.web import SandboxWeb
from bot.standin import BotApiStandIn
from storage.keyring import Keyring

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
BOT_USERNAME = "intake_sandbox_bot"
POLLING_TIMEOUT = 30.0
HINT = (
    "Open it in a browser: you are a reporter talking to the real bot, beside a lawyer and a "
    "coordinator; nothing reaches Telegram. Ctrl-C stops it."
)


async def run_sandbox(
    port: int | None = None, data_dir: Path | None = None, out: TextIO | None = None
) -> None:
    """Serve the sandbox until SIGINT or SIGTERM, then stop everything and return.

    Args:
        port: The page's port; None tries 8765 and else any free port, 0 picks any free port.
        data_dir: Keep the database and the key file here (made if missing); None uses a
            temporary directory, deleted on the way out.
        out: Where the address and the hint are printed (standard output by default).

    Raises:
        StartupError: The port is taken, or the bot cannot start (one sentence).
    """
    out = out or sys.stdout
    stop = asyncio.Event()
    with _data_dir(data_dir) as folder:
        async with _signals(stop):
            standin = BotApiStandIn(bot_username=BOT_USERNAME)
            await standin.start(HOST, 0)
            try:
                await _serve(standin, folder, fresh=data_dir is None, port=port, stop=stop, out=out)
            finally:
                await standin.stop()
    out.write("Sandbox stopped." + (" Its temporary data is deleted.\n" if not data_dir else "\n"))
    out.flush()


async def _serve(
    standin: BotApiStandIn, folder: Path, *, fresh: bool, port: int | None, stop: asyncio.Event,
    out: TextIO,
) -> None:  # fmt: skip
    cast = Cast.create(standin)
    settings = cast.settings(folder)
    configure_logging(settings.log_level_number, secrets=(settings.token or "",))
    if fresh:
        # A new key for a new database, made quietly: the runtime would warn about backups,
        # which a throw-away sandbox has no use for.
        Keyring.create(settings.keyring_path)
    runtime = await open_runtime(settings)
    try:
        bot = asyncio.create_task(serve(runtime, stop))
        try:
            if not await _until_polling(standin, bot, stop):
                return  # Ctrl-C while starting
            try:
                await seed_staff(cast, runtime)
            except TimeoutError:
                raise StartupError("the bot did not answer its staff while starting.") from None
            page = SandboxWeb(cast, standin.base_url)
            bound = await _listen(page, port)
            try:
                out.write(f"Sandbox running at http://{HOST}:{bound}/\n{HINT}\n")
                out.flush()
                await _first(stop, bot)
            finally:
                await page.stop()
        finally:
            stop.set()
            await bot
    finally:
        await runtime.close()


async def _listen(page: SandboxWeb, port: int | None) -> int:
    try:
        return await page.start(HOST, DEFAULT_PORT if port is None else port)
    except OSError as exc:
        if port is None and exc.errno == errno.EADDRINUSE:
            return await page.start(HOST, 0)
        raise StartupError(
            f"--port {port}: cannot listen on {HOST}:{port} ({exc.strerror or exc}); "
            "pick another port, or 0 for any free one."
        ) from None


async def _until_polling(
    standin: BotApiStandIn, bot: asyncio.Task[None], stop: asyncio.Event
) -> bool:
    """True once the bot polls the stand-in; False if it stopped because it was asked to."""
    polling = asyncio.create_task(standin.wait_polling(timeout=POLLING_TIMEOUT))
    await asyncio.wait({polling, bot}, return_when=asyncio.FIRST_COMPLETED)
    if not polling.done():
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await bot  # raises what stopped it, if anything did
        if stop.is_set():
            return False
        raise StartupError("the bot stopped while starting.")
    try:
        polling.result()
    except TimeoutError:
        raise StartupError("the bot did not start polling the stand-in.") from None
    return not stop.is_set()


async def _first(stop: asyncio.Event, bot: asyncio.Task[None]) -> None:
    """Wait for a stop request, or for the bot to end on its own."""
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({stopping, bot}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopping


@contextlib.asynccontextmanager
async def _signals(stop: asyncio.Event) -> AsyncIterator[None]:
    """SIGINT and SIGTERM set `stop` from the start (the bot installs the same while serving)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


@contextlib.contextmanager
def _data_dir(data_dir: Path | None) -> Iterator[Path]:
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        yield data_dir
        return
    with tempfile.TemporaryDirectory(prefix="intake-sandbox-") as folder:
        yield Path(folder)
