"""The append-only, hash-chained audit log, and the anchor that pins its head outside the database.

Audit entries hold case codes, action names and role-holder references (``staff:<uuid>``,
``system``, ``ops``), never case content.

The chain
---------
Each entry stores ``prev_hash`` (the previous entry's ``entry_hash``; 32 zero bytes for the first)
and ``entry_hash``, a digest of ``prev_hash`` and a canonical encoding of the entry (time, actor,
action, case code, detail). Entries are chained in id order. There are two digests:

* **keyed** (an :class:`AuditLog` given the keyring): HMAC-SHA256 under a *chain key* derived by
  HKDF-SHA256 from the keyring's index key (info ``intake-bot/audit-chain/v1``). Without the key
  file nobody can make a valid entry, so an edited or inserted entry is caught even if the forger
  recomputes every digest after it.
* **plain** SHA-256 (an :class:`AuditLog` without the keyring, and every entry written before the
  keyed chain existed). A keyed verification accepts a plain entry only up to the anchor's
  ``legacy_through`` id: the entries that were there when the anchor was first written.

The anchor
----------
Removing the newest entries leaves a chain that is intact, only shorter, so the database alone
cannot reveal it. The id and digest of the newest entry are therefore also kept in a small file
outside the database (by default ``audit-anchor.json`` beside the key file), authenticated with
HMAC-SHA256 under a second key derived from the index key (info ``intake-bot/audit-anchor/v1``).
The store advances it after every transaction that appended entries has **committed** (never
before: a rolled-back entry must not be anchored), and it only ever moves forward. Verification
requires the anchored entry to be present with the anchored digest; as every digest covers all
entries before it, that pins the whole log up to the anchor.

What :meth:`AuditLog.verify` detects, against someone who can write the database but not the key
directory: an edited entry (its digest), a removed entry in the middle or at the start (the next
entry's ``prev_hash``), removed entries at the end (the anchored entry is missing), reordered
entries (the links), an inserted entry anywhere (its digest, and the links). What it cannot: an
entry removed from the end after its transaction committed but before the anchor was written (a
process killed in that instant), and anything done by someone who holds the key directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import hmac as std_hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.keyring import KeyringError, KeyringHolder
from storage.models import AuditEntry, utcnow

log = logging.getLogger(__name__)

GENESIS: Final = bytes(32)
# Serialises appends on PostgreSQL so two writers cannot both chain onto the same entry
# (SQLite transactions already run one at a time: BEGIN IMMEDIATE).
_PG_AUDIT_LOCK: Final = 0x1A7D17

_CHAIN_INFO: Final = b"intake-bot/audit-chain/v1"
_ANCHOR_INFO: Final = b"intake-bot/audit-anchor/v1"
_KEYED_LABEL: Final = b"intake-bot/audit/v2"
ANCHOR_FORMAT: Final = "intake-bot-audit-anchor/1"
ANCHOR_FILE_NAME: Final = "audit-anchor.json"
_MAX_ANCHOR_SIZE: Final = 4096
_VERIFY_BATCH: Final = 1000


def _body(
    *, at: datetime, actor: str, action: str, case_code: str | None, detail: str | None
) -> bytes:
    return json.dumps(
        [at.isoformat(timespec="microseconds"), actor, action, case_code, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()


def entry_digest(
    prev_hash: bytes,
    *,
    at: datetime,
    actor: str,
    action: str,
    case_code: str | None,
    detail: str | None,
) -> bytes:
    """Plain link: SHA-256 over the previous hash and a canonical encoding of the entry."""
    body = _body(at=at, actor=actor, action=action, case_code=case_code, detail=detail)
    return hashlib.sha256(prev_hash + body).digest()


def keyed_entry_digest(
    key: bytes,
    prev_hash: bytes,
    *,
    at: datetime,
    actor: str,
    action: str,
    case_code: str | None,
    detail: str | None,
) -> bytes:
    """Keyed link: HMAC-SHA256 under the chain key over a label, the previous hash and the entry."""
    mac = crypto_hmac.HMAC(key, hashes.SHA256())
    mac.update(_KEYED_LABEL)
    mac.update(prev_hash)
    mac.update(_body(at=at, actor=actor, action=action, case_code=case_code, detail=detail))
    return mac.finalize()


def _derive(index_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(index_key)


@dataclass(frozen=True, slots=True)
class AuditKeys:
    """The two keys of the audit log, derived from the keyring's index key.

    The index key does not change when KEKs rotate, so neither do these.
    """

    chain: bytes
    anchor: bytes

    @classmethod
    def of(cls, keys: KeyringHolder) -> AuditKeys:
        """Derive from the current keyring (KeyringError if the key file is unusable)."""
        index_key = keys.current().index_key
        return cls(_derive(index_key, _CHAIN_INFO), _derive(index_key, _ANCHOR_INFO))

    def __repr__(self) -> str:
        return "AuditKeys(<redacted>)"


@dataclass(frozen=True, slots=True)
class AnchorHead:
    """The newest entry a transaction appended: what the anchor must be advanced to."""

    entry_id: int
    entry_hash: bytes
    # The entry the transaction's first append followed (0 for none): everything up to it was
    # already there, so a newly created anchor accepts plain entries up to it.
    base_id: int
    # The append found the anchored entry in the chain it extended (or there was no anchor yet).
    # False after a restore or truncation: the anchor then stays where it is, as evidence.
    checked: bool


@dataclass(frozen=True, slots=True)
class AnchorState:
    """What the anchor file holds."""

    entry_id: int
    entry_hash: bytes
    legacy_through: int  # plain (unkeyed) entries are accepted up to this id


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Where the log fails verification; `entry_id` is None for the log as a whole."""

    entry_id: int | None
    reason: str

    def describe(self) -> str:
        """One line for an operator."""
        return self.reason if self.entry_id is None else f"entry #{self.entry_id} {self.reason}"


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of :meth:`AuditLog.check`."""

    count: int
    problems: list[ChainProblem]
    anchored_id: int | None

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


class AnchorError(Exception):
    """The anchor file is unreadable, malformed or fails authentication (one sentence, no keys)."""


class AuditAnchor:
    """The chain head, kept outside the database in a small authenticated file.

    Writes are atomic (temporary file, fsync, rename, fsync of the directory), mode 600, and
    serialised between processes and threads by ``flock`` on ``<file>.lock``; the anchor only
    ever moves to a higher entry id, so two processes finishing out of order cannot move it back.
    """

    def __init__(self, path: Path, keys: KeyringHolder) -> None:
        self._path = path
        self._keys = keys

    @classmethod
    def beside(cls, keys: KeyringHolder) -> AuditAnchor:
        """The default anchor: ``audit-anchor.json`` in the key file's directory."""
        return cls(default_anchor_path(keys.path), keys)

    @property
    def path(self) -> Path:
        """Where the anchor lives."""
        return self._path

    def _mac(self, key: bytes, entry_id: int, entry_hash: bytes, legacy_through: int) -> bytes:
        mac = crypto_hmac.HMAC(key, hashes.SHA256())
        mac.update(
            json.dumps(
                [ANCHOR_FORMAT, entry_id, entry_hash.hex(), legacy_through], separators=(",", ":")
            ).encode()
        )
        return mac.finalize()

    def read(self) -> AnchorState | None:
        """The anchored head, or None when there is no anchor file.

        Raises:
            AnchorError: If the file cannot be read, is malformed, or fails authentication.
        """
        try:
            with self._path.open("rb") as handle:
                raw = handle.read(_MAX_ANCHOR_SIZE + 1)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise AnchorError(
                f"the audit anchor {self._path} cannot be read ({err.strerror or 'error'})"
            ) from None
        return self._parse(raw)

    def _parse(self, raw: bytes) -> AnchorState:
        doc: Any = None
        with contextlib.suppress(ValueError, RecursionError):
            doc = json.loads(raw.decode("utf-8")) if len(raw) <= _MAX_ANCHOR_SIZE else None
        try:
            if not isinstance(doc, dict) or doc.get("format") != ANCHOR_FORMAT:
                raise ValueError
            entry_id, legacy = doc["entry_id"], doc["legacy_through"]
            if not isinstance(entry_id, int) or not isinstance(legacy, int):
                raise ValueError
            entry_hash = bytes.fromhex(str(doc["entry_hash"]))
            mac = bytes.fromhex(str(doc["mac"]))
        except (ValueError, KeyError):
            raise AnchorError(f"the audit anchor {self._path} is malformed") from None
        expected = self._mac(AuditKeys.of(self._keys).anchor, entry_id, entry_hash, legacy)
        if not std_hmac.compare_digest(expected, mac):
            raise AnchorError(
                f"the audit anchor {self._path} fails authentication (edited, or made with "
                "another key file)"
            )
        return AnchorState(entry_id, entry_hash, legacy)

    def write(self, state: AnchorState) -> None:
        """Replace the anchor unconditionally (``audit anchor`` after a restore uses this)."""
        with self._locked():
            self._write(state)

    def advance_now(self, head: AnchorHead) -> None:
        """Move the anchor forward to `head` (blocking). Never moves it back.

        A missing anchor is created, accepting plain (unkeyed) entries up to the entry the
        transaction's first append followed (``head.base_id``): those were already there. A
        tampered anchor is left alone for :meth:`AuditLog.verify` to report, and so is one whose
        entry `head` does not descend from (a restored or truncated log): moving it would erase
        the evidence.

        Raises:
            AnchorError: If the existing anchor is unreadable or fails authentication, `head`
                does not extend the anchored chain, or the file cannot be written.
            KeyringError: If the key file is unusable.
        """
        if not head.checked:
            raise AnchorError(
                f"the audit log no longer contains the entry anchored in {self._path}; "
                "the anchor is left where it is (run `audit verify`)"
            )
        with self._locked():
            current = self.read()
            if current is None:
                self._write(AnchorState(head.entry_id, head.entry_hash, head.base_id))
            elif head.entry_id > current.entry_id:
                self._write(AnchorState(head.entry_id, head.entry_hash, current.legacy_through))

    async def advance(self, head: AnchorHead | None) -> bool:
        """Advance off the event loop; True on success. A failure is logged, never raised.

        Called after a commit: raising would make the caller believe its (committed) work
        failed. A failed advance leaves the anchor behind, which verification tolerates.
        """
        if head is None:
            return True
        try:
            await asyncio.to_thread(self.advance_now, head)
        except (AnchorError, KeyringError, OSError) as exc:
            event = "audit.anchor_diverged" if not head.checked else "audit.anchor_failed"
            log.error(event, extra={"error_type": type(exc).__name__})
            return False
        return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self._path.with_name(self._path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as err:
            raise AnchorError(
                f"the audit anchor {self._path} cannot be locked ({err.strerror or 'error'}); "
                "set AUDIT_ANCHOR_PATH to a writable place off the data disk"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _write(self, state: AnchorState) -> None:
        keys = AuditKeys.of(self._keys)
        doc = {
            "format": ANCHOR_FORMAT,
            "entry_id": state.entry_id,
            "entry_hash": state.entry_hash.hex(),
            "legacy_through": state.legacy_through,
            "mac": self._mac(
                keys.anchor, state.entry_id, state.entry_hash, state.legacy_through
            ).hex(),
        }
        data = (json.dumps(doc, indent=1) + "\n").encode()
        directory = self._path.parent
        tmp = directory / f".{self._path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            tmp.replace(self._path)
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as err:
            raise AnchorError(
                f"the audit anchor {self._path} cannot be written ({err.strerror or 'error'})"
            ) from None
        finally:
            tmp.unlink(missing_ok=True)


def default_anchor_path(keyring_path: Path) -> Path:
    """``audit-anchor.json`` in the key file's directory (off the data disk, like the keys)."""
    return keyring_path.parent / ANCHOR_FILE_NAME


class AuditLog:
    """Append entries; verify the chain.

    Given the keyring (``keys``), entries are keyed (HMAC) and :meth:`verify` checks them as such;
    without it the log behaves as before keyed chaining (plain SHA-256), which proves consistency
    but not authorship. Given the anchor too, each append checks that the anchored entry is still
    in the chain it extends. After the transaction commits, pass :attr:`head` to
    :meth:`AuditAnchor.advance`.
    """

    def __init__(
        self,
        session: AsyncSession,
        keys: KeyringHolder | None = None,
        anchor: AuditAnchor | None = None,
    ) -> None:
        self._session = session
        self._keys = keys
        self._anchor = anchor
        self.head: AnchorHead | None = None  # the newest entry appended through this log
        self._all_checked = True
        self._base_id: int | None = None

    def _chain_key(self) -> bytes | None:
        return None if self._keys is None else AuditKeys.of(self._keys).chain

    async def append(
        self,
        actor: str,
        action: str,
        *,
        case_code: str | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Add an entry chained to the last one. Never put case content in `detail`."""
        key = self._chain_key()
        if self._session.bind is not None and self._session.bind.dialect.name == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK}
            )
        last = (
            await self._session.execute(
                select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
            )
        ).first()
        prev_id, prev = (0, GENESIS) if last is None else (int(last[0]), bytes(last[1]))
        if self._base_id is None:  # later appends of this transaction extend the same chain
            self._all_checked = await self._extends_anchor(prev_id, prev)
        at = at or utcnow()
        fields: dict[str, Any] = {
            "at": at,
            "actor": actor,
            "action": action,
            "case_code": case_code,
            "detail": detail,
        }
        digest = (
            entry_digest(prev, **fields) if key is None else keyed_entry_digest(key, prev, **fields)
        )
        row = AuditEntry(**fields, prev_hash=prev, entry_hash=digest)
        self._session.add(row)
        await self._session.flush()
        if self._base_id is None:
            self._base_id = prev_id
        self.head = AnchorHead(row.id, digest, self._base_id, self._all_checked)

    async def _extends_anchor(self, prev_id: int, prev: bytes) -> bool:
        """Whether the anchored entry is in the chain that ends at `prev_id` (False if unknown)."""
        if self._anchor is None:
            return False
        try:
            state = await asyncio.to_thread(self._anchor.read)
        except (AnchorError, KeyringError):
            return False
        if state is None:
            return True
        if state.entry_id == prev_id:
            return std_hmac.compare_digest(state.entry_hash, prev)
        if state.entry_id > prev_id:
            return False  # the log is shorter than the anchor says
        anchored = (
            await self._session.execute(
                select(AuditEntry.entry_hash).where(AuditEntry.id == state.entry_id)
            )
        ).scalar_one_or_none()
        return anchored is not None and std_hmac.compare_digest(bytes(anchored), state.entry_hash)

    async def count(self) -> int:
        """How many entries the log holds."""
        result = await self._session.execute(select(func.count()).select_from(AuditEntry))
        return int(result.scalar_one())

    async def verify(self, anchor: AuditAnchor | None = None) -> list[ChainProblem]:
        """Every problem found: an altered, removed, reordered or inserted entry.

        With the anchor (default: the one this log was given) and the keyring, removal of the
        newest entries is detected too, and a missing or tampered anchor is itself a problem.
        """
        return (await self.check(anchor)).problems

    async def check(self, anchor: AuditAnchor | None = None) -> Verification:
        """Verify the whole log: the number of entries, the problems, and the anchored id."""
        anchor = anchor or self._anchor
        key = self._chain_key()
        problems: list[ChainProblem] = []
        state: AnchorState | None = None
        anchor_read = False
        if anchor is not None:
            try:
                state = anchor.read()
                anchor_read = True
            except (AnchorError, KeyringError) as exc:
                problems.append(ChainProblem(None, str(exc)))
        legacy_through = None if state is None else state.legacy_through
        prev, count, last_id, anchored_seen = GENESIS, 0, 0, False
        while rows := await self._rows_after(last_id):
            for entry in rows:
                count += 1
                last_id = entry.id
                problems.extend(_check_entry(entry, prev, key, legacy_through))
                if state is not None and entry.id == state.entry_id:
                    anchored_seen = True
                    if not std_hmac.compare_digest(entry.entry_hash, state.entry_hash):
                        problems.append(
                            ChainProblem(
                                entry.id,
                                "differs from the anchored entry (the log was rewritten or "
                                "restored from an older copy)",
                            )
                        )
                prev = entry.entry_hash
        if state is not None and not anchored_seen:
            if last_id < state.entry_id:
                problems.append(
                    ChainProblem(
                        None,
                        f"the log ends at entry #{last_id} but the anchor records entry "
                        f"#{state.entry_id}: entries were removed from the end",
                    )
                )
            else:
                problems.append(
                    ChainProblem(None, f"the anchored entry #{state.entry_id} was removed")
                )
        if anchor is not None and anchor_read and state is None and count:
            problems.append(
                ChainProblem(
                    None,
                    f"the audit anchor {anchor.path} does not exist, so removal of the newest "
                    "entries cannot be ruled out",
                )
            )
        return Verification(count, problems, None if state is None else state.entry_id)

    async def _rows_after(self, last_id: int) -> list[_Row]:
        """The next batch of entries after `last_id`, as plain rows (keyset paging: nothing
        accumulates in the session, however long the log)."""
        result = await self._session.execute(
            select(
                AuditEntry.id,
                AuditEntry.at,
                AuditEntry.actor,
                AuditEntry.action,
                AuditEntry.case_code,
                AuditEntry.detail,
                AuditEntry.prev_hash,
                AuditEntry.entry_hash,
            )
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(_VERIFY_BATCH)
        )
        return [_Row(*row) for row in result.all()]

    async def reanchor(self, anchor: AuditAnchor) -> AnchorState:
        """Anchor the log as it is now: after restoring a backup, or for a log without anchor.

        The chain must link up, every entry must carry a valid keyed or plain digest, and plain
        entries must all come before the first keyed one (plain entries are from before keyed
        chaining; one after a keyed entry was not written by this installation). Anything else
        raises AnchorError naming the first bad entry. The caller should record the reanchoring
        in the log itself (and anchor that entry) so it stays visible.
        """
        key = self._chain_key()
        if key is None:
            raise AnchorError("anchoring needs the key file")
        prev, last_id, legacy_through, keyed_seen = GENESIS, 0, 0, False
        while rows := await self._rows_after(last_id):
            for entry in rows:
                last_id = entry.id
                if entry.prev_hash != prev:
                    raise AnchorError(f"entry #{entry.id} does not follow the previous entry")
                if std_hmac.compare_digest(
                    keyed_entry_digest(key, entry.prev_hash, **entry.fields()), entry.entry_hash
                ):
                    keyed_seen = True
                elif not keyed_seen and std_hmac.compare_digest(
                    entry_digest(entry.prev_hash, **entry.fields()), entry.entry_hash
                ):
                    legacy_through = entry.id
                else:
                    raise AnchorError(f"entry #{entry.id} was altered")
                prev = entry.entry_hash
        state = AnchorState(last_id, prev, legacy_through)
        await asyncio.to_thread(anchor.write, state)
        return state


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    at: datetime
    actor: str
    action: str
    case_code: str | None
    detail: str | None
    prev_hash: bytes
    entry_hash: bytes

    def fields(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "case_code": self.case_code,
            "detail": self.detail,
        }


def _check_entry(
    entry: _Row, prev: bytes, key: bytes | None, legacy_through: int | None
) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    if entry.prev_hash != prev:
        problems.append(
            ChainProblem(
                entry.id, "does not follow the previous entry (one was removed, inserted or moved)"
            )
        )
    plain = entry_digest(entry.prev_hash, **entry.fields())
    if key is None:
        if not std_hmac.compare_digest(plain, entry.entry_hash):
            problems.append(ChainProblem(entry.id, "was altered"))
        return problems
    keyed = keyed_entry_digest(key, entry.prev_hash, **entry.fields())
    if std_hmac.compare_digest(keyed, entry.entry_hash):
        return problems
    legacy_ok = legacy_through is not None and entry.id <= legacy_through
    if legacy_ok and std_hmac.compare_digest(plain, entry.entry_hash):
        return problems
    # Edited, or forged (inserted) by someone without the key file: either way its digest is not
    # one this installation made. Same wording as the plain chain's, for the operator and tests.
    problems.append(ChainProblem(entry.id, "was altered"))
    return problems
