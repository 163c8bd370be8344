"""Operations from the command line: sealed exports, audit verification, retention.

    python -m bot.ops keygen --out-private FILE --out-public FILE [--raw] [--passphrase-file FILE]
    python -m bot.ops export --case CODE --public-key FILE --out FILE
    python -m bot.ops export --since YYYY-MM-DD --until YYYY-MM-DD --public-key FILE --out FILE
    python -m bot.ops decrypt-export --private-key FILE --in FILE --out FILE|- [--passphrase-file F]
    python -m bot.ops audit verify
    python -m bot.ops audit anchor
    python -m bot.ops retention run
    python -m bot.ops retention list [--days N]
    python -m bot.ops retention extend CODE --days N

`keygen` and `decrypt-export` work offline: they read no settings and open no database, so the
legal team runs them on their own machine. The others read the settings (`.env`, environment)
and need the database at the newest schema and the key file.

Exit status: 0 done; 1 a problem found (audit verify) or an export refused (another key,
tampered); 2 a usage, settings, key or database error. Errors are one line, never a traceback.

The same commands plug into `intake-bot` through :func:`add_commands` and :func:`run`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings
from bot.domain.cases import CaseStatus, normalise_case_code
from bot.logging_setup import configure_logging
from storage.crypto import DecryptionError
from storage.export import (
    ExportError,
    ExportTamperedError,
    WrongKeyError,
    case_codes,
    decrypt_export_file,
    export_cases,
    fingerprint,
    generate_key_pair,
    load_private_key,
    load_public_key,
)
from storage.keyring import KeyringError, KeyringHolder
from storage.repositories.audit import AnchorError, AuditAnchor, AuditLog, default_anchor_path
from storage.retention import RetentionError, RetentionPolicy, expiring, extend, shred_expired
from storage.store import SqlStore
from storage.vault import Vault

OPS_ACTOR = "ops"  # audit reference for the operator at the server's console
EXIT_PROBLEM = 1
EXIT_ERROR = 2

Offline = Callable[[argparse.Namespace], int]
Online = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


class OpsError(Exception):
    """A command cannot run; one sentence."""


def _say(text: str = "") -> None:
    print(text, flush=True)  # noqa: T201


def _complain(text: str) -> None:
    print(f"intake-bot: {text}", file=sys.stderr, flush=True)  # noqa: T201


# -- settings to policy -------------------------------------------------------------------------


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The retention windows the settings ask for (RETENTION_DAYS_*)."""
    return RetentionPolicy.from_days(
        {
            CaseStatus.CLOSED: settings.retention_days_closed,
            CaseStatus.RELEASED: settings.retention_days_released,
            CaseStatus.DEPORTED: settings.retention_days_deported,
            CaseStatus.CONVICTED: settings.retention_days_convicted,
        }
    )


def audit_anchor_path(settings: Settings) -> Path:
    """AUDIT_ANCHOR_PATH, or audit-anchor.json beside the key file."""
    return settings.audit_anchor_path or default_anchor_path(settings.keyring_path)


# -- parsing ------------------------------------------------------------------------------------


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a date like 2026-01-31") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number of at least 1")
    return value


def _code(text: str) -> str:
    code = normalise_case_code(text)
    if code is None:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a case code like K7QM-4TRX-9HWD")
    return code


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `keygen`, `export`, `decrypt-export`, `audit` and `retention` to a parser's commands."""
    keygen = subparsers.add_parser(
        "keygen", help="make an X25519 key pair for exports (offline; private key mode 600)"
    )
    keygen.add_argument("--out-private", type=Path, required=True, metavar="FILE")
    keygen.add_argument("--out-public", type=Path, required=True, metavar="FILE")
    keygen.add_argument(
        "--raw", action="store_true", help="one line of base64 per key instead of PEM"
    )
    keygen.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help="encrypt the private key (PEM only) with the passphrase in this file",
    )
    keygen.set_defaults(ops_offline=_keygen)

    export = subparsers.add_parser(
        "export", help="seal one case or a period to a public key, for the legal team"
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", type=_code, metavar="CODE")
    which.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first day (TIMEZONE)")
    export.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day, included")
    export.add_argument("--public-key", type=Path, required=True, metavar="FILE")
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.set_defaults(ops_online=_export)

    decrypt = subparsers.add_parser(
        "decrypt-export", help="open an export with the private key (offline)"
    )
    decrypt.add_argument("--private-key", type=Path, required=True, metavar="FILE")
    decrypt.add_argument("--in", dest="source", type=Path, required=True, metavar="FILE")
    decrypt.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="where to write the JSON document; - for stdout",
    )
    decrypt.add_argument("--passphrase-file", type=Path, metavar="FILE")
    decrypt.set_defaults(ops_offline=_decrypt_export)

    audit = subparsers.add_parser("audit", help="the audit log").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="check the hash chain and its anchor")
    verify.set_defaults(ops_online=_audit_verify)
    anchor = audit.add_parser(
        "anchor",
        help="accept the log as it is now and anchor its head (after restoring a backup)",
    )
    anchor.set_defaults(ops_online=_audit_anchor)

    retention = subparsers.add_parser(
        "retention", help="expiring and expired cases"
    ).add_subparsers(dest="retention_command", required=True)
    retention.add_parser("run", help="crypto-shred every expired case").set_defaults(
        ops_online=_retention_run
    )
    listing = retention.add_parser("list", help="cases expiring within N days")
    listing.add_argument("--days", type=_positive, help="default RETENTION_NOTICE_DAYS")
    listing.set_defaults(ops_online=_retention_list)
    extension = retention.add_parser("extend", help="keep a case N days longer")
    extension.add_argument("code", type=_code, metavar="CODE")
    extension.add_argument("--days", type=_positive, required=True)
    extension.set_defaults(ops_online=_retention_extend)


def run(args: argparse.Namespace, settings: Settings | None = None) -> int | None:
    """Run the command `args` names if it is one of ours and return its exit status; None if it
    is not ours.

    Offline commands ignore `settings`. The others use `settings`, or, when it is None, load
    them and set up logging themselves (so a caller may dispatch before loading any settings,
    and `decrypt-export` then never reads them).
    """
    offline: Offline | None = getattr(args, "ops_offline", None)
    online: Online | None = getattr(args, "ops_online", None)
    if offline is None and online is None:
        return None
    try:
        if offline is not None:
            return offline(args)
        assert online is not None
        if settings is None:
            settings = load_settings()
            configure_logging(settings.log_level_number, secrets=(settings.token or "",))
        return asyncio.run(online(args, settings))
    except (WrongKeyError, ExportTamperedError) as exc:
        _complain(str(exc))
        return EXIT_PROBLEM
    except (
        ConfigError,
        KeyringError,
        ExportError,
        RetentionError,
        AnchorError,
        DecryptionError,
        OpsError,
    ) as exc:
        _complain(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.ops`."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops", description="Exports, audit verification and retention."
    )
    add_commands(parser.add_subparsers(dest="command", required=True))
    status = run(parser.parse_args(argv))
    return EXIT_ERROR if status is None else status


# -- offline commands ---------------------------------------------------------------------------


def _passphrase(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        value = path.read_bytes().rstrip(b"\r\n")
    except OSError as err:
        raise OpsError(f"{path} cannot be read ({err.strerror or 'error'})") from None
    if not value:
        raise OpsError(f"{path} is empty; a passphrase file holds the passphrase")
    return value


def _keygen(args: argparse.Namespace) -> int:
    public_key = generate_key_pair(
        args.out_private,
        args.out_public,
        raw=args.raw,
        passphrase=_passphrase(args.passphrase_file),
    )
    _say(f"private key: {args.out_private} (mode 600; keep it offline, never on the bot's server)")
    _say(f"public key:  {args.out_public} (give this one to whoever runs exports)")
    _say(f"fingerprint: {fingerprint(public_key)}")
    return 0


def _decrypt_export(args: argparse.Namespace) -> int:
    private_key = load_private_key(args.private_key, _passphrase(args.passphrase_file))
    out = None if args.out == "-" else Path(args.out)
    document = decrypt_export_file(private_key, args.source, out)
    if out is not None:
        codes = case_codes(document)
        _say(f"decrypted {len(codes)} case(s) into {out} (mode 600): {', '.join(codes)}")
    return 0


# -- commands on the database -------------------------------------------------------------------


@asynccontextmanager
async def _opened(settings: Settings) -> AsyncIterator[tuple[SqlStore, AuditAnchor]]:
    # Imported here so the offline commands never load the bot's runtime.
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from bot.runtime import StartupError, check_database  # noqa: PLC0415
    from storage import migrate  # noqa: PLC0415
    from storage.db import make_engine, make_sessionmaker  # noqa: PLC0415

    engine = make_engine(settings.database_dsn)
    try:
        try:
            await check_database(engine)
        except StartupError as exc:
            raise OpsError(str(exc)) from None
        current, head = await migrate.current_revision(engine), migrate.head_revision()
        if current != head:
            raise OpsError(
                f"DATABASE_URL: the database is at revision {current or 'none'}, this code needs "
                f"{head}; run `intake-bot migrate` first"
            )
        keys = KeyringHolder(settings.keyring_path)
        store = SqlStore(make_sessionmaker(engine), Vault(keys))
        try:
            yield store, AuditAnchor(audit_anchor_path(settings), keys)
        except SQLAlchemyError as exc:
            # The driver's exception type only: SQLAlchemy's message quotes the statement.
            original = getattr(exc, "orig", None) or exc
            raise OpsError(
                f"DATABASE_URL: the database failed ({type(original).__name__})"
            ) from None
    finally:
        await engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def _local_day(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.zone).date().isoformat()


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    public_key = load_public_key(args.public_key)
    since = until = None
    if args.since is not None:
        if args.until is None:
            raise OpsError("--since needs --until (the last day, included)")
        if args.until < args.since:
            raise OpsError("--until must not come before --since")
        since = datetime.combine(args.since, time(), tzinfo=settings.zone)
        until = datetime.combine(args.until + timedelta(days=1), time(), tzinfo=settings.zone)
    elif args.until is not None:
        raise OpsError("--until goes with --since, not with --case")
    async with _opened(settings) as (store, anchor):
        report = await export_cases(
            store,
            anchor,
            public_key,
            args.out,
            now=_now(),
            code=args.case,
            since=since,
            until=until,
            actor=OPS_ACTOR,
        )
    _say(
        f"sealed {len(report.case_codes)} case(s) to key {report.recipient} in {report.path} "
        f"({report.size} bytes): {', '.join(report.case_codes)}"
    )
    return 0


async def _audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    async with _opened(settings) as (store, anchor), store.transaction() as tx:
        outcome = await AuditLog(tx.session, store.vault.keys, anchor).check()
    if outcome.ok:
        where = "" if outcome.anchored_id is None else f", anchored at entry #{outcome.anchored_id}"
        _say(f"OK: {outcome.count} entries, chain intact{where}")
        return 0
    for problem in outcome.problems:
        _say(problem.describe())
    return EXIT_PROBLEM


async def _audit_anchor(args: argparse.Namespace, settings: Settings) -> int:
    async with _opened(settings) as (store, anchor):
        try:
            before = anchor.read()
            was = "none" if before is None else f"#{before.entry_id}"
        except AnchorError:
            was = "unreadable"
        async with store.transaction() as tx:
            log = AuditLog(tx.session, store.vault.keys, anchor)
            state = await log.reanchor(anchor)
            await log.append(
                OPS_ACTOR, "audit.reanchored", detail=f"anchor {was} -> #{state.entry_id}"
            )
        await anchor.advance(log.head)
    _say(
        f"anchored the audit log at entry #{state.entry_id} (was {was}); plain entries accepted "
        f"up to #{state.legacy_through}; the reanchoring is itself in the log"
    )
    return 0


async def _retention_run(args: argparse.Namespace, settings: Settings) -> int:
    async with _opened(settings) as (store, anchor):
        result = await shred_expired(
            store, retention_policy(settings), _now(), anchor=anchor, actor=OPS_ACTOR
        )
    for case in result.shredded:
        linked = f", with {', '.join(case.linked_codes)}" if case.linked_codes else ""
        _say(
            f"shredded {case.code} ({case.status.value}, expired "
            f"{_local_day(case.expired_at, settings)}{linked})"
        )
    for expiry in result.held:
        _say(f"held {expiry.code}: a further report arrived after it was closed; review it")
    _say(f"{len(result.shredded_codes)} case(s) shredded, {len(result.held)} held")
    return 0


async def _retention_list(args: argparse.Namespace, settings: Settings) -> int:
    days = args.days or settings.retention_notice_days
    now = _now()
    async with _opened(settings) as (store, _anchor):
        found = await expiring(store, retention_policy(settings), now, timedelta(days=days))
    if not found:
        _say(f"no case expires within {days} day(s)")
        return 0
    for expiry in found:
        left = (expiry.expires_at - now).days
        when = "expired" if expiry.expires_at <= now else f"in {left} day(s)"
        extra = f", {len(expiry.linked_codes)} further report(s)" if expiry.linked_codes else ""
        held = ", held: a report came after closing" if expiry.held else ""
        _say(
            f"{expiry.code}  {expiry.status.value}  closed {_local_day(expiry.closed_at, settings)}"
            f"  expires {_local_day(expiry.expires_at, settings)} ({when}){extra}{held}"
        )
    return 0


async def _retention_extend(args: argparse.Namespace, settings: Settings) -> int:
    async with _opened(settings) as (store, anchor):
        result = await extend(
            store,
            retention_policy(settings),
            args.code,
            args.days,
            _now(),
            anchor=anchor,
            actor=OPS_ACTOR,
        )
    if result.expires_at is None:
        _say(
            f"{result.code} is kept at least until {_local_day(result.retain_until, settings)} "
            "(it is open, so it does not expire before it is closed)"
        )
    else:
        _say(f"{result.code} now expires {_local_day(result.expires_at, settings)}")
    return 0
