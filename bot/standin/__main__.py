"""Run the stand-in alone: ``python -m bot.standin --port 8081``.

Prints the base URL (and the token) on the first lines of stdout, then serves
until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bot.standin.server import DEFAULT_TOKEN, BotApiStandIn


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="intake_test_bot")
    parser.add_argument("--no-flood-limits", action="store_true")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    standin = BotApiStandIn(
        token=args.token, bot_username=args.bot_username, flood_limits=not args.no_flood_limits
    )
    await standin.start(args.host, args.port)
    sys.stdout.write(f"{standin.base_url}\ntoken {standin.token}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await standin.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(_serve(_parse(argv)))


if __name__ == "__main__":
    main()
