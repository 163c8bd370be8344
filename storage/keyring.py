"""The key file: key-encryption keys (KEKs) that wrap per-owner data keys, and the
blind-index key.

The keyring lives outside the database so a database dump alone reveals nothing.
File format (JSON, UTF-8, mode 0600)::

    {
      "format": "intake-bot-keyring/1",
      "active_kek": "<id>",
      "keks": {"<id>": "<base64 of 32 bytes>", ...},
      "index_key": "<base64 of 32 bytes>",
      "created_at": "<ISO 8601 UTC>"
    }

KEK ids are 16 random lowercase hex characters. Unknown top-level members are
ignored. The index key is only ever used for HMAC blind indexes, never to encrypt.

A data key is wrapped as ``DataKey(kek).encrypt(dek.material,
Binding(owner, "data_keys", "dek", kek_id), pad=False)``, so a wrapped key moved to
another owner, or relabelled with another KEK id, fails to unwrap.

Loading refuses a file that group or others may read or write. Symlinks are
followed (Kubernetes and Docker mount secrets through them) and the permission check
applies to the file they point to; :meth:`Keyring.save` writes to that target so
the link survives. File ownership is not checked: a 0600 file we can read is ours or
we are root.

Only one process should write the file (the ``keys`` CLI): :meth:`Keyring.save`
replaces the whole file, it does not merge. Running bots pick changes up through
:class:`KeyringHolder`.

Every :class:`KeyringError` message is one sentence naming the setting
``KEYRING_PATH``, the path and the problem, never key bytes or file content.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from storage.crypto import KEY_SIZE, Binding, CryptoError, DataKey, DecryptionError
from storage.crypto import blind_index as _blind_index

__all__ = ["Keyring", "KeyringError", "KeyringHolder", "WrappedKey"]

FORMAT: Final = "intake-bot-keyring/1"
_KEK_ID_RE: Final = re.compile(r"[0-9a-f]{16}")
# A real keyring is a few hundred bytes per KEK; anything this big is the wrong file.
_MAX_FILE_SIZE: Final = 1 << 20
_INVALID: Final = object()


class KeyringError(CryptoError):
    """Missing, unreadable, malformed or unsafe key file.

    The message names the setting KEYRING_PATH and the problem in one sentence.
    """


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key encrypted under a key-encryption key, as stored in ``data_keys``.

    Attributes:
        kek_id: Id of the key-encryption key that wrapped it.
        blob: An envelope from ``DataKey(kek).encrypt(dek.material,
            Binding(owner, "data_keys", "dek", kek_id), pad=False)``.
    """

    kek_id: str
    blob: bytes


def _new_kek_id(taken: Iterable[str] = ()) -> str:
    existing = set(taken)
    while True:
        kek_id = secrets.token_hex(8)
        if kek_id not in existing:
            return kek_id


def _safe_id(kek_id: str) -> str:
    # Ids in errors may come from a tampered database; only echo well-formed ones.
    return kek_id if _KEK_ID_RE.fullmatch(kek_id) else "<malformed id>"


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _wrap_binding(owner: str, kek_id: str) -> Binding:
    return Binding(owner, "data_keys", "dek", kek_id)


@dataclass(frozen=True, eq=False, repr=False)
class Keyring:
    """Key-encryption keys and the blind-index key, as held in the key file.

    Instances are immutable; :meth:`rotated` and :meth:`retire` return new ones and
    :meth:`save` writes one to :attr:`path`.

    Attributes:
        path: Where the key file lives (the KEYRING_PATH setting).
        keks: Key-encryption keys by id (16 random hex characters), 32 bytes each.
        active_kek_id: The KEK that wraps new data keys.
        index_key: 32-byte key for blind indexes, never used for encryption.
        created_at: When the keyring was first created (UTC).
    """

    path: Path
    keks: Mapping[str, bytes]
    active_kek_id: str
    index_key: bytes
    created_at: datetime = field(default_factory=_utc_now)

    def __post_init__(self) -> None:
        problem = _check_keys(self.keks, self.active_kek_id, self.index_key)
        if problem:
            raise KeyringError(f"KEYRING_PATH {self.path} {problem}.")
        # A read-only copy, so a shared Keyring cannot be changed behind a holder.
        object.__setattr__(self, "keks", MappingProxyType(dict(self.keks)))

    @classmethod
    def create(cls, path: Path) -> Keyring:
        """Create a key file with a new random KEK and index key.

        The parent directory is created with mode 0700 if missing (an existing one
        is left as it is). The file is written with mode 0600 to a temporary name,
        fsynced, then hard-linked into place, which is atomic and fails if the path
        exists, so a crash never leaves a half-written key file.

        Args:
            path: The KEYRING_PATH setting.

        Returns:
            The new keyring.

        Raises:
            KeyringError: If the path already exists or cannot be written.
        """
        if os.path.lexists(path):
            raise KeyringError(
                f"KEYRING_PATH {path} already exists; refusing to overwrite a key file."
            )
        kek_id = _new_kek_id()
        keyring = cls(
            path=path,
            keks={kek_id: os.urandom(KEY_SIZE)},
            active_kek_id=kek_id,
            index_key=os.urandom(KEY_SIZE),
        )
        parent = path.parent
        try:
            parent.mkdir(mode=0o700, parents=True)
        except FileExistsError:
            pass  # an existing directory is the operator's choice; leave its mode alone
        except OSError as err:
            raise KeyringError(
                f"KEYRING_PATH {path} could not be created: {err.strerror or 'unknown error'}."
            ) from None
        else:
            # mkdir's mode is filtered by the umask; set it exactly.
            parent.chmod(0o700)
        _write_atomically(path, keyring._to_json(), replace_existing=False)
        return keyring

    @classmethod
    def load(cls, path: Path) -> Keyring:
        """Read and validate a key file.

        Args:
            path: The KEYRING_PATH setting.

        Returns:
            The keyring.

        Raises:
            KeyringError: If the file is missing, unreadable, not a regular file,
                readable or writable by group or others, not valid JSON, has the
                wrong format marker, a malformed id, a key that is not 32 bytes, or
                an active KEK id that is not in it.
        """
        return _read(path)[0]

    def save(self) -> None:
        """Atomically replace the key file with this keyring.

        A temporary file (mode 0600) in the same directory is written and fsynced,
        renamed over the key file with ``os.replace``, and the directory is fsynced,
        so readers see the old file or the new one, never a mix.

        Raises:
            KeyringError: If the file cannot be written.
        """
        # Write through a symlink to its target, so a linked key file stays linked.
        target = self.path.resolve() if self.path.is_symlink() else self.path
        _write_atomically(target, self._to_json(), replace_existing=True, setting=self.path)

    def wrap(self, dek: DataKey, owner: str) -> WrappedKey:
        """Encrypt a data key for ``owner`` under the active KEK.

        Args:
            dek: The data key.
            owner: Its owner, e.g. ``"case:<uuid>"``; needed again to unwrap.

        Returns:
            The wrapped key.
        """
        kek_id = self.active_kek_id
        kek = DataKey(self.keks[kek_id])
        blob = kek.encrypt(dek.material, _wrap_binding(owner, kek_id), pad=False)
        return WrappedKey(kek_id, blob)

    def unwrap(self, wrapped: WrappedKey, owner: str) -> DataKey:
        """Decrypt a data key wrapped for ``owner``.

        Args:
            wrapped: As stored.
            owner: The owner it must belong to.

        Returns:
            The data key.

        Raises:
            DecryptionError: If its KEK is not in the keyring, or it was tampered
                with, belongs to another owner or was relabelled with another KEK id.
        """
        material = self.keks.get(wrapped.kek_id)
        if material is None:
            raise DecryptionError(
                f"key-encryption key {_safe_id(wrapped.kek_id)} is not in the keyring"
            )
        binding = _wrap_binding(owner, wrapped.kek_id)
        raw = DataKey(material).decrypt(wrapped.blob, binding)
        if len(raw) != KEY_SIZE:
            raise DecryptionError(
                f"wrapped data key of {binding.describe()} is {len(raw)} bytes, not {KEY_SIZE}"
            )
        return DataKey(raw)

    def rotated(self) -> Keyring:
        """Return a copy with a new random active KEK; the old KEKs are kept.

        Old data keys still unwrap; rewrap them, then :meth:`retire` the old KEKs.
        """
        kek_id = _new_kek_id(self.keks)
        return replace(self, keks={**self.keks, kek_id: os.urandom(KEY_SIZE)}, active_kek_id=kek_id)

    def retire(self, kek_ids: Iterable[str]) -> Keyring:
        """Return a copy without the given KEKs.

        Data keys still wrapped by them can no longer be unwrapped, so rewrap first.

        Args:
            kek_ids: Ids to drop.

        Returns:
            The smaller keyring.

        Raises:
            KeyringError: If an id is the active KEK or is not in the keyring (a
                typo must not look like a successful retirement).
        """
        retiring = set(kek_ids)
        if self.active_kek_id in retiring:
            raise KeyringError(
                f"KEYRING_PATH {self.path}: cannot retire the active key-encryption key "
                f"{self.active_kek_id}; rotate first."
            )
        for kek_id in sorted(retiring):
            if kek_id not in self.keks:
                raise KeyringError(
                    f"KEYRING_PATH {self.path}: key-encryption key {_safe_id(kek_id)} "
                    "is not in the keyring."
                )
        kept = {k: v for k, v in self.keks.items() if k not in retiring}
        return replace(self, keks=kept)

    def blind_index(self, purpose: str, value: str) -> bytes:
        """Keyed hash of ``value`` for lookups; see :func:`storage.crypto.blind_index`."""
        return _blind_index(self.index_key, purpose, value)

    def __repr__(self) -> str:
        ids = ", ".join(sorted(self.keks))
        return (
            f"Keyring(path={str(self.path)!r}, active_kek_id={self.active_kek_id!r}, "
            f"kek_ids=[{ids}], keys=<redacted>)"
        )

    def _to_json(self) -> bytes:
        doc = {
            "format": FORMAT,
            "active_kek": self.active_kek_id,
            "keks": {k: base64.b64encode(v).decode("ascii") for k, v in sorted(self.keks.items())},
            "index_key": base64.b64encode(self.index_key).decode("ascii"),
            "created_at": self.created_at.astimezone(UTC).isoformat(),
        }
        return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def _check_keys(keks: Mapping[str, bytes], active: str, index_key: bytes) -> str | None:
    """Return what is wrong with a set of keys (a sentence fragment), or None."""
    if not keks:
        return "has no key-encryption keys"
    for kek_id, key in keks.items():
        if not isinstance(kek_id, str) or not _KEK_ID_RE.fullmatch(kek_id):
            # The bad id is not echoed: it may be a key pasted into the wrong place.
            return "has a malformed key-encryption key id (expected 16 lowercase hex characters)"
        if not isinstance(key, bytes) or len(key) != KEY_SIZE:
            size = len(key) if isinstance(key, bytes) else 0
            return f"has key-encryption key {kek_id} of {size} bytes, expected {KEY_SIZE}"
    if not isinstance(active, str) or not _KEK_ID_RE.fullmatch(active):
        return "has a malformed active key-encryption key id"
    if active not in keks:
        return f"names active key-encryption key {active}, which is not in the keyring"
    if not isinstance(index_key, bytes) or len(index_key) != KEY_SIZE:
        size = len(index_key) if isinstance(index_key, bytes) else 0
        return f"has an index key of {size} bytes, expected {KEY_SIZE}"
    if index_key in keks.values():
        return "reuses a key-encryption key as the index key"
    return None


class _Stamp(NamedTuple):
    """Identity of one version of the key file, to notice replacements cheaply."""

    dev: int
    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> _Stamp:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _read(path: Path) -> tuple[Keyring, _Stamp]:
    """Load a key file and the stamp of exactly the version that was read."""
    try:
        # O_NONBLOCK so a FIFO planted at the path cannot hang start-up.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise KeyringError(
            f"KEYRING_PATH {path} does not exist; restore the key file, "
            "or create one only for a new installation with no data."
        ) from None
    except PermissionError:
        raise KeyringError(
            f"KEYRING_PATH {path} is not readable by this process (permission denied)."
        ) from None
    except OSError as err:
        raise KeyringError(
            f"KEYRING_PATH {path} could not be opened: {err.strerror or 'unknown error'}."
        ) from None
    try:
        # fstat on the open descriptor: the checks and the stamp describe the very
        # file we read, even if it is replaced meanwhile.
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyringError(f"KEYRING_PATH {path} is not a regular file.")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise KeyringError(
                f"KEYRING_PATH {path} has open permissions {mode:04o}; run chmod 600 {path}."
            )
        if st.st_size > _MAX_FILE_SIZE:
            raise KeyringError(f"KEYRING_PATH {path} is too large to be a keyring.")
        raw = _read_all(fd, path)
    finally:
        os.close(fd)
    return _parse(path, raw), _Stamp.of(st)


def _read_all(fd: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    total = 0
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            total += len(chunk)
            if total > _MAX_FILE_SIZE:
                break
    except OSError as err:
        raise KeyringError(
            f"KEYRING_PATH {path} could not be read: {err.strerror or 'unknown error'}."
        ) from None
    if total > _MAX_FILE_SIZE:
        raise KeyringError(f"KEYRING_PATH {path} is too large to be a keyring.")
    return b"".join(chunks)


def _parse(path: Path, raw: bytes) -> Keyring:
    """Validate the JSON document. No error may carry file content: it is key material."""
    doc: Any = _INVALID
    # ValueError covers UnicodeDecodeError; deep nesting raises RecursionError.
    with contextlib.suppress(ValueError, RecursionError):
        doc = json.loads(raw.decode("utf-8"))
    # Raised after the suppressed block so JSONDecodeError (whose .doc is the whole
    # file) is not kept as __context__.
    if doc is _INVALID:
        raise KeyringError(f"KEYRING_PATH {path} is not valid UTF-8 JSON.")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeyringError(f"KEYRING_PATH {path} is not a keyring (format is not {FORMAT!r}).")
    active = doc.get("active_kek")
    encoded_keks = doc.get("keks")
    if not isinstance(active, str) or not isinstance(encoded_keks, dict):
        raise KeyringError(f"KEYRING_PATH {path} lacks 'active_kek' or 'keks'.")
    keks: dict[str, bytes] = {}
    for kek_id, encoded in encoded_keks.items():
        well_formed = _KEK_ID_RE.fullmatch(kek_id)
        name = f"key-encryption key {kek_id}" if well_formed else "a key-encryption key"
        keks[kek_id] = _decode_key(path, encoded, name)
    index_key = _decode_key(path, doc.get("index_key"), "the index key")
    created_at = _parse_time(doc.get("created_at"))
    if created_at is None:
        raise KeyringError(f"KEYRING_PATH {path} has a missing or invalid 'created_at'.")
    return Keyring(
        path=path, keks=keks, active_kek_id=active, index_key=index_key, created_at=created_at
    )


def _decode_key(path: Path, encoded: object, name: str) -> bytes:
    key: bytes | None = None
    if isinstance(encoded, str):
        with contextlib.suppress(binascii.Error, ValueError):
            key = base64.b64decode(encoded, validate=True)
    if key is None:
        raise KeyringError(f"KEYRING_PATH {path} has {name} that is not valid base64.")
    return key  # Lengths are checked by Keyring.__post_init__.


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _write_atomically(
    target: Path, data: bytes, *, replace_existing: bool, setting: Path | None = None
) -> None:
    """Write ``data`` to ``target`` with mode 0600 so that readers never see a partial file.

    Args:
        target: File to create or replace.
        data: Its new content.
        replace_existing: ``os.replace`` over an existing file; otherwise hard-link
            into place, which fails if ``target`` exists.
        setting: The KEYRING_PATH value to name in errors (default: ``target``).
    """
    shown = setting or target
    directory = target.parent
    tmp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        try:
            os.fchmod(fd, 0o600)  # the umask can only remove bits; be exact anyway
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace_existing:
            tmp.replace(target)
        else:
            os.link(tmp, target)
            tmp.unlink()
        _fsync_dir(directory)
    except FileExistsError:
        raise KeyringError(
            f"KEYRING_PATH {shown} already exists; refusing to overwrite a key file."
        ) from None
    except OSError as err:
        raise KeyringError(
            f"KEYRING_PATH {shown} could not be written: {err.strerror or 'unknown error'}."
        ) from None
    finally:
        # After a successful replace or link+unlink the name is gone; otherwise
        # remove the temporary copy of the keys.
        tmp.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; without it a crash can bring the old file back.
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KeyringHolder:
    """Holds the current Keyring for a running process and reloads it when the file changes.

    A change is noticed by stat (device, inode, size, mtime in ns), so
    ``intake-bot keys rotate`` can run beside a live bot. If a changed file cannot
    be loaded (removed, opened up to 0644, malformed), :meth:`current` raises
    :class:`KeyringError` on every call until it is fixed: failing closed and loud
    beats silently carrying on with keys the operator meant to change. Thread-safe.
    """

    def __init__(self, path: Path) -> None:
        """Load the key file.

        Args:
            path: The KEYRING_PATH setting.

        Raises:
            KeyringError: As :meth:`Keyring.load`.
        """
        self._path = path
        self._lock = threading.Lock()
        # One attribute, replaced whole, so readers never pair a keyring with
        # another version's stamp.
        self._state: tuple[Keyring, _Stamp] = _read(path)

    @property
    def path(self) -> Path:
        """The key file's path."""
        return self._path

    def current(self) -> Keyring:
        """Return the keyring, reloading it first if the file changed (one ``os.stat``).

        Raises:
            KeyringError: If the file is gone, unreadable or no longer valid.
        """
        try:
            stamp = _Stamp.of(self._path.stat())
        except OSError:
            stamp = None
        keyring, known = self._state
        if stamp is not None and stamp == known:
            return keyring
        # Changed or unreadable: a full load gives the precise error.
        return self._reload()

    def wrap(self, dek: DataKey, owner: str) -> WrappedKey:
        """Wrap under the current active KEK, so a rotation is picked up at once."""
        return self.current().wrap(dek, owner)

    def unwrap(self, wrapped: WrappedKey, owner: str) -> DataKey:
        """Unwrap; on an unknown KEK id reload once and retry.

        The forced reload covers a rotation the stat check missed (coarse mtime on
        some file systems).

        Raises:
            DecryptionError: As :meth:`Keyring.unwrap`.
            KeyringError: If a reload is needed and fails.
        """
        keyring = self.current()
        if wrapped.kek_id not in keyring.keks:
            keyring = self._reload()
        return keyring.unwrap(wrapped, owner)

    def _reload(self) -> Keyring:
        with self._lock:
            self._state = _read(self._path)
            return self._state[0]
