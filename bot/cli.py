"""`intake-bot`: run the bot, migrate the database, manage keys, try it in a sandbox."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.app import serve
from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_logging
from bot.ops import cli as ops_cli
from bot.runtime import StartupError, check_database, open_runtime
from storage import migrate, rotation
from storage.db import make_engine, make_sessionmaker
from storage.keyring import Keyring, KeyringError

log = logging.getLogger("intake-bot")

MISSING_SETTING_HINT = (
    "BOT_TOKEN is not set: put BOT_TOKEN=<the token from @BotFather> in the file .env "
    "(copy .env.example) or in the environment, then run again."
)


async def _run(settings: Settings) -> None:
    if settings.token is None:
        raise StartupError(MISSING_SETTING_HINT)
    runtime = await open_runtime(settings)
    try:
        await serve(runtime)
    finally:
        await runtime.close()


async def _migrate(settings: Settings) -> None:
    engine = make_engine(settings.database_dsn)
    try:
        await check_database(engine)
        await migrate.upgrade(engine)
        print(f"database at revision {await migrate.current_revision(engine)}")  # noqa: T201
    finally:
        await engine.dispose()


def _keys_init(settings: Settings) -> None:
    Keyring.create(settings.keyring_path)
    print(  # noqa: T201
        f"created {settings.keyring_path} (mode 600). Back it up somewhere other than this "
        "server's data disk: without it no case can be read."
    )


async def _keys_rotate(settings: Settings, batch_size: int, grace: float) -> None:
    engine = make_engine(settings.database_dsn)
    try:
        await check_database(engine)
        await migrate.upgrade(engine)

        def progress(done: int, total: int) -> None:
            print(f"re-wrapped {done}/{total}", flush=True)  # noqa: T201

        report = await rotation.rotate(
            make_sessionmaker(engine),
            settings.keyring_path,
            batch_size=batch_size,
            grace_seconds=grace,
            progress=progress,
        )
    finally:
        await engine.dispose()
    print(  # noqa: T201
        f"rotation complete: active key {report.active_kek_id}, {report.rewrapped} data keys "
        f"re-wrapped, {len(report.retired)} old key(s) retired"
        + (" (resumed an interrupted rotation)" if report.resumed else "")
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="migrate the database and run the bot")
    commands.add_parser("migrate", help="upgrade the database schema to the newest revision")
    keys = commands.add_parser("keys", help="manage the keyring").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("init", help="create a new keyring at KEYRING_PATH")
    rotate = keys.add_parser("rotate", help="re-wrap every data key under a new key")
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.add_argument("--grace", type=float, default=5.0, help="seconds for live bots to notice")
    sandbox = commands.add_parser(
        "sandbox",
        help="try the bot without Telegram: a web chat with a reporter, a lawyer, a coordinator",
        description="Run the real bot against a local stand-in for Telegram and serve a page on "
        "127.0.0.1 where you play a reporter, a lawyer and a coordinator. Ctrl-C stops it.",
    )
    sandbox.add_argument(
        "--port",
        type=int,
        default=None,
        help="the page's port (default 8765, else any free; 0: any)",
    )
    sandbox.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the database and key file here (default: a temporary directory, deleted after)",
    )
    ops_cli.add_commands(commands)
    return parser


def _sandbox(port: int | None, data_dir: Path | None) -> int:
    """The sandbox reads no `.env` (it may hold a real token) and owns its own settings."""
    from bot.sandbox import run_sandbox  # noqa: PLC0415 - only this command needs the page

    try:
        asyncio.run(run_sandbox(port=port, data_dir=data_dir))
    except (ConfigError, StartupError, KeyringError) as exc:
        print(f"intake-bot: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status. Errors are one line, never a traceback."""
    # python-telegram-bot 22 reports durations (retry_after) as timedelta when asked to.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = _parser().parse_args(argv)
    # Export, audit and retention commands; decrypt-export runs before any setting is read,
    # so it works offline on a machine that has only the private key.
    if (status := ops_cli.run(args)) is not None:
        return status
    if args.command == "sandbox":
        return _sandbox(args.port, args.data_dir)
    try:
        settings = load_settings()
        configure_logging(settings.log_level_number, secrets=(settings.token or "",))
        if args.command == "run":
            asyncio.run(_run(settings))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.keys_command == "init":
            _keys_init(settings)
        else:
            asyncio.run(_keys_rotate(settings, args.batch_size, args.grace))
    except (ConfigError, StartupError, KeyringError) as exc:
        print(f"intake-bot: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
