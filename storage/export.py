"""Exports for the legal team: one case, or every case of a period, sealed to a public key.

An export is one file, encrypted with HPKE (RFC 9180, ``cryptography``'s implementation) to an
X25519 public key the operator names at export time; only the holder of the private key can
open it, offline. The server never writes the plaintext anywhere: the document is built in
memory, sealed, and only the sealed bytes touch the disk (a temporary file beside the output,
then linked into place). Opening an export (:func:`open_export`, :func:`decrypt_export_file`)
needs neither settings nor a database.

Envelope, version 1 (big-endian)::

    offset  size  content
    0       8     magic b"IBEXPORT"
    8       1     version 0x01
    9       2     KEM id  0x0020  DHKEM(X25519, HKDF-SHA256)
    11      2     KDF id  0x0001  HKDF-SHA256
    13      2     AEAD id 0x0002  AES-256-GCM (0x0003 ChaCha20-Poly1305 is accepted too)
    15      8     recipient key id: the first 8 bytes of SHA-256(raw X25519 public key)
    23      32    enc, the encapsulated key (the sender's ephemeral X25519 public key)
    55      n+16  AEAD ciphertext of the document, then its tag

    HPKE mode base, info = b"intake-bot/export/v1" || bytes 0..22 (the whole header)

The header is bound through HPKE's ``info``, so changing any byte of it (suite, key id), of
``enc`` or of the ciphertext makes opening fail. The key id lets the recipient tell "this was
sealed to another key" from "this was tampered with"; it reveals only which key can open it.

The document (UTF-8 JSON, ``"format": "intake-bot-export/1"``) holds, for each case: its
metadata, every answer decrypted, follow-ups, attachments (base64, with their name, type and
size decrypted), notes, and its audit history (actions and role-holder references). It never
holds the reporter's Telegram identity: identities are revealed to nobody unless the reporter
agrees.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from sqlalchemy import select

from bot.domain.cases import CaseStatus
from storage.models import Attachment, AuditEntry, Case
from storage.repositories.audit import AuditAnchor, AuditLog
from storage.store import SqlStore, SqlTransaction

MAGIC: Final = b"IBEXPORT"
VERSION_1: Final = 0x01
KEM_X25519_HKDF_SHA256: Final = 0x0020
KDF_HKDF_SHA256: Final = 0x0001
AEAD_AES_256_GCM: Final = 0x0002
AEAD_CHACHA20_POLY1305: Final = 0x0003
KEY_ID_SIZE: Final = 8
ENC_SIZE: Final = 32
TAG_SIZE: Final = 16
_HEADER: Final = struct.Struct(">8sBHHH8s")
HEADER_SIZE: Final = _HEADER.size  # 23
_INFO_LABEL: Final = b"intake-bot/export/v1"
DOCUMENT_FORMAT: Final = "intake-bot-export/1"
FOLLOW_UP_PREFIX: Final = "followup_"
_MAX_KEY_FILE: Final = 64 * 1024

_SUITES: Final = {
    (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_256_GCM): Suite(
        KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM
    ),
    (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_CHACHA20_POLY1305): Suite(
        KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305
    ),
}
_SEAL_SUITE: Final = (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_256_GCM)


class ExportError(Exception):
    """An export cannot be made or opened. Messages never carry case content or key bytes."""


class ExportKeyError(ExportError):
    """A key file is missing, malformed, of the wrong kind, or not protected."""


class WrongKeyError(ExportError):
    """The export was sealed to another public key."""


class ExportTamperedError(ExportError):
    """The export is truncated, malformed, or fails authentication."""


# -- keys ---------------------------------------------------------------------------------------


def key_id(public_key: x25519.X25519PublicKey) -> bytes:
    """The first 8 bytes of SHA-256 over the raw public key: names the key, not a secret."""
    return hashlib.sha256(public_key.public_bytes_raw()).digest()[:KEY_ID_SIZE]


def fingerprint(public_key: x25519.X25519PublicKey) -> str:
    """The key id as hex in groups of four, for people to compare."""
    raw = key_id(public_key).hex()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def generate_key_pair(
    private_path: Path, public_path: Path, *, raw: bool = False, passphrase: bytes | None = None
) -> x25519.X25519PublicKey:
    """Make an X25519 key pair for exports and write it: the private key with mode 600.

    PEM (PKCS#8 private key, optionally encrypted with `passphrase`; SubjectPublicKeyInfo public
    key) by default, or one line of base64 of the 32 raw bytes each (`raw`; no passphrase).
    Refuses to overwrite either file.
    """
    if raw and passphrase:
        raise ExportKeyError("a raw (base64) private key cannot carry a passphrase; use PEM")
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise ExportKeyError(f"{path} already exists; refusing to overwrite it")
    private_key = x25519.X25519PrivateKey.generate()
    public_key = private_key.public_key()
    if raw:
        private_bytes = base64.b64encode(private_key.private_bytes_raw()) + b"\n"
        public_bytes = base64.b64encode(public_key.public_bytes_raw()) + b"\n"
    else:
        protection: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        private_bytes = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection
        )
        public_bytes = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    write_new_file(private_path, private_bytes)
    try:
        write_new_file(public_path, public_bytes, mode=0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return public_key


def _read_key_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE + 1)
    except OSError as err:
        raise ExportKeyError(f"{path} cannot be read ({err.strerror or 'error'})") from None
    if len(data) > _MAX_KEY_FILE:
        raise ExportKeyError(f"{path} is too large to be a key file")
    return data


def _raw_base64(data: bytes) -> bytes | None:
    with contextlib.suppress(binascii.Error, ValueError):
        decoded = base64.b64decode(data.strip(), validate=True)
        if len(decoded) == 32:
            return decoded
    return None


def load_public_key(path: Path) -> x25519.X25519PublicKey:
    """An X25519 public key from a PEM file or one line of base64 (32 raw bytes)."""
    data = _read_key_file(path)
    if b"PRIVATE KEY" in data:
        raise ExportKeyError(
            f"{path} holds a private key; give the export command the public key only"
        )
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise ExportKeyError(f"{path} is not a readable PEM public key") from None
        if not isinstance(key, x25519.X25519PublicKey):
            raise ExportKeyError(f"{path} is not an X25519 public key")
        return key
    raw = _raw_base64(data)
    if raw is None:
        raise ExportKeyError(f"{path} is neither PEM nor base64 of a 32-byte X25519 public key")
    return x25519.X25519PublicKey.from_public_bytes(raw)


def load_private_key(path: Path, passphrase: bytes | None = None) -> x25519.X25519PrivateKey:
    """An X25519 private key from a PEM file (possibly encrypted) or base64 of 32 raw bytes.

    Refuses a file that group or others may read or write.
    """
    try:
        mode = path.stat().st_mode & 0o777
    except OSError as err:
        raise ExportKeyError(f"{path} cannot be read ({err.strerror or 'error'})") from None
    if mode & 0o077:
        raise ExportKeyError(f"{path} has open permissions {mode:04o}; run chmod 600 {path}")
    data = _read_key_file(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(data, password=passphrase or None)
        except TypeError:
            # Raised for a missing or unexpected passphrase; the message names no secret.
            raise ExportKeyError(
                f"{path}: the key is encrypted and needs its passphrase"
                if not passphrase
                else f"{path}: the key is not encrypted; give no passphrase"
            ) from None
        except (ValueError, UnsupportedAlgorithm):
            raise ExportKeyError(
                f"{path} is not a readable PEM private key (or the passphrase is wrong)"
            ) from None
        if not isinstance(key, x25519.X25519PrivateKey):
            raise ExportKeyError(f"{path} is not an X25519 private key")
        return key
    raw = _raw_base64(data)
    if raw is None:
        raise ExportKeyError(f"{path} is neither PEM nor base64 of a 32-byte X25519 private key")
    return x25519.X25519PrivateKey.from_private_bytes(raw)


# -- the envelope -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnvelopeHeader:
    """The cleartext header of an export file."""

    version: int
    kem_id: int
    kdf_id: int
    aead_id: int
    recipient: bytes  # key id

    def to_bytes(self) -> bytes:
        """The 23 header bytes."""
        return _HEADER.pack(
            MAGIC, self.version, self.kem_id, self.kdf_id, self.aead_id, self.recipient
        )


def _info(header: bytes) -> bytes:
    return _INFO_LABEL + header


def seal(plaintext: bytes, public_key: x25519.X25519PublicKey) -> bytes:
    """Encrypt `plaintext` to `public_key` in a version 1 envelope."""
    kem_id, kdf_id, aead_id = _SEAL_SUITE
    header = EnvelopeHeader(VERSION_1, kem_id, kdf_id, aead_id, key_id(public_key)).to_bytes()
    sealed = _SUITES[_SEAL_SUITE].encrypt(plaintext, public_key, info=_info(header))
    return header + sealed  # sealed is enc || ciphertext || tag


def read_header(envelope: bytes) -> EnvelopeHeader:
    """Parse and check the cleartext header (not yet authenticated: that happens on opening)."""
    if len(envelope) < HEADER_SIZE + ENC_SIZE + TAG_SIZE:
        raise ExportTamperedError("the file is too short to be an intake-bot export")
    magic, version, kem_id, kdf_id, aead_id, recipient = _HEADER.unpack_from(envelope)
    if magic != MAGIC:
        raise ExportTamperedError("the file is not an intake-bot export (wrong magic bytes)")
    if version != VERSION_1:
        raise ExportTamperedError(f"unsupported export version {version}")
    if (kem_id, kdf_id, aead_id) not in _SUITES:
        raise ExportTamperedError(
            f"unsupported HPKE suite (KEM 0x{kem_id:04x}, KDF 0x{kdf_id:04x}, AEAD 0x{aead_id:04x})"
        )
    return EnvelopeHeader(version, kem_id, kdf_id, aead_id, bytes(recipient))


def unseal(envelope: bytes, private_key: x25519.X25519PrivateKey) -> bytes:
    """Open a version 1 envelope.

    Raises:
        WrongKeyError: If it was sealed to another key.
        ExportTamperedError: If it is malformed, truncated or fails authentication.
    """
    header = read_header(envelope)
    mine = key_id(private_key.public_key())
    if not secrets.compare_digest(header.recipient, mine):
        raise WrongKeyError(
            f"this export was sealed to key {_grouped(header.recipient)}, not to this private "
            f"key ({_grouped(mine)})"
        )
    suite = _SUITES[(header.kem_id, header.kdf_id, header.aead_id)]
    try:
        plaintext = suite.decrypt(
            envelope[HEADER_SIZE:], private_key, info=_info(envelope[:HEADER_SIZE])
        )
    except InvalidTag:
        plaintext = None
    if plaintext is None:
        raise ExportTamperedError(
            "the export fails authentication: it was altered, truncated or damaged"
        )
    return plaintext


def _grouped(raw: bytes) -> str:
    text = raw.hex()
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


# -- files --------------------------------------------------------------------------------------


def write_new_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write `data` to a new file at `path` atomically, refusing to replace anything there.

    A temporary file in the same directory (created exclusively, `mode`) is written and fsynced,
    then hard-linked to `path` (which fails if `path` exists) and removed. Use only for data that
    may sit on this disk: ciphertext, or the offline recipient's own decrypted copy.
    """
    directory = path.parent if str(path.parent) else Path()
    tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(tmp, path)
    except FileExistsError:
        raise ExportError(f"{path} already exists; refusing to overwrite it") from None
    except OSError as err:
        raise ExportError(f"{path} cannot be written ({err.strerror or 'error'})") from None
    finally:
        tmp.unlink(missing_ok=True)


# -- building the document ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export did (codes and sizes only)."""

    path: Path
    case_codes: tuple[str, ...]
    recipient: str  # the public key's fingerprint
    size: int


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def _case_document(tx: SqlTransaction, row: Case) -> dict[str, Any]:
    answers = await tx.cases.answers(row.id)
    follow_ups: list[dict[str, Any]] = []
    for question_id in sorted(q for q in answers if q.startswith(FOLLOW_UP_PREFIX)):
        value = answers.pop(question_id)
        item = dict(value) if isinstance(value, dict) else {"value": value}
        follow_ups.append({"id": question_id, **item})
    attachments: list[dict[str, Any]] = []
    attachment_ids = (
        await tx.session.execute(
            select(Attachment.id)
            .where(Attachment.case_id == row.id, Attachment.complete.is_(True))
            .order_by(Attachment.created_at, Attachment.id)
        )
    ).scalars()
    for attachment_id in list(attachment_ids):
        meta, data = await tx.attachments.read(attachment_id)
        attachments.append(
            {
                "id": str(attachment_id),
                "name": meta.name,
                "mime_type": meta.mime_type,
                "kind": meta.kind,
                "size": meta.size,
                "data_base64": base64.b64encode(data).decode("ascii"),
            }
        )
    notes = [
        {
            "at": _iso(note.at),
            "staff": None if note.staff_id is None else f"staff:{note.staff_id}",
            "text": note.text,
        }
        for note in await tx.triage.notes(row.id)
    ]
    history = [
        {"at": _iso(entry.at), "actor": entry.actor, "action": entry.action, "detail": entry.detail}
        for entry in (
            await tx.session.execute(
                select(AuditEntry).where(AuditEntry.case_code == row.code).order_by(AuditEntry.id)
            )
        ).scalars()
    ]
    primary = None if row.duplicate_of is None else await tx.session.get(Case, row.duplicate_of)
    linked = (
        await tx.session.execute(
            select(Case.code).where(Case.duplicate_of == row.id).order_by(Case.created_at)
        )
    ).scalars()
    return {
        "code": row.code,
        "status": row.status,
        "urgency": row.urgency,
        "questionnaire_version": row.questionnaire_version,
        "report_count": row.report_count,
        "duplicate_of": None if primary is None else primary.code,
        "linked_reports": list(linked),
        "claimed_by": None if row.claimed_by is None else f"staff:{row.claimed_by}",
        "progress": row.progress,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "tier0_completed_at": _iso(row.tier0_completed_at),
        "submitted_at": _iso(row.submitted_at),
        "claimed_at": _iso(row.claimed_at),
        "closed_at": _iso(row.closed_at),
        "retain_until": _iso(row.retain_until),
        "answers": answers,
        "follow_ups": follow_ups,
        "attachments": attachments,
        "notes": notes,
        "history": history,
    }


async def _select_cases(
    tx: SqlTransaction,
    code: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[Case]:
    if code is not None:
        first = (
            await tx.session.execute(select(Case).where(Case.code == code))
        ).scalar_one_or_none()
        if first is None:
            raise ExportError(f"there is no case {code}")
        chosen = [first]
    else:
        if since is None or until is None or since.tzinfo is None or until.tzinfo is None:
            raise ExportError("a period export needs an aware start and end")
        if until <= since:
            raise ExportError("the end of the period must come after its start")
        chosen = list(
            (
                await tx.session.execute(
                    select(Case)
                    .where(
                        Case.created_at >= since,
                        Case.created_at < until,
                        Case.status != CaseStatus.DRAFT.value,
                    )
                    .order_by(Case.created_at, Case.code)
                )
            ).scalars()
        )
    # Every further report linked to a chosen case comes along, so each case is complete.
    seen = {row.id for row in chosen}
    if not seen:
        return chosen
    linked = (
        await tx.session.execute(
            select(Case)
            .where(Case.duplicate_of.in_(list(seen)))
            .order_by(Case.created_at, Case.code)
        )
    ).scalars()
    chosen.extend(row for row in linked if row.id not in seen)
    return chosen


def _scope(
    code: str | None, since: datetime | None, until: datetime | None
) -> dict[str, str | None]:
    if code is not None:
        return {"case": code}
    return {"since": _iso(since), "until": _iso(until)}


async def export_cases(
    store: SqlStore,
    anchor: AuditAnchor,
    public_key: x25519.X25519PublicKey,
    out: Path,
    *,
    now: datetime,
    code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str = "ops",
) -> ExportReport:
    """Seal one case (`code`) or every non-draft case created in [`since`, `until`) to a file.

    Linked further reports of a chosen case are included. Each case is read in a short
    transaction of its own (on SQLite every transaction holds the write lock, and a period with
    many attachments must not stall the bot). Then one transaction writes a ``case.export`` audit
    entry per case (its code and the recipient key's fingerprint, nothing else) and, before it
    commits, the sealed file; if the commit fails the file is removed again, so there is never an
    export without its audit entries. A case shredded in the meantime is left out.

    Raises:
        ExportError: No such case, an empty period, or the output file exists or cannot be
            written. DecryptionError (from storage) if a stored ciphertext fails authentication.
    """
    if (code is None) == (since is None and until is None):
        raise ExportError("export one case or one period, not both or neither")
    _refuse_existing(out)
    recipient = fingerprint(public_key)
    async with store.transaction() as tx:
        chosen = [(row.id, row.code) for row in await _select_cases(tx, code, since, until)]
    if not chosen:
        raise ExportError("no case was reported in that period")
    cases: list[dict[str, Any]] = []
    for case_id, _ in chosen:
        async with store.transaction() as tx:
            row = await tx.session.get(Case, case_id)
            if row is not None:
                cases.append(await _case_document(tx, row))
    codes = tuple(str(case["code"]) for case in cases)
    if not codes:
        raise ExportError("every chosen case was shredded meanwhile")
    document = {
        "format": DOCUMENT_FORMAT,
        "exported_at": now.isoformat(),
        "scope": _scope(code, since, until),
        "cases": cases,
    }
    sealed = seal(_encode(document), public_key)
    del document, cases
    written = False
    try:
        async with store.transaction() as tx:
            audit = AuditLog(tx.session, store.vault.keys, anchor)
            for exported in codes:
                await audit.append(
                    actor, "case.export", case_code=exported, detail=f"to key {recipient}", at=now
                )
            write_new_file(out, sealed)
            written = True
    except BaseException:
        if written:
            _remove(out)
        raise
    await anchor.advance(audit.head)
    return ExportReport(out, codes, recipient, len(sealed))


def _refuse_existing(path: Path) -> None:
    if os.path.lexists(path):
        raise ExportError(f"{path} already exists; refusing to overwrite it")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- opening, offline ---------------------------------------------------------------------------


def open_export(envelope: bytes, private_key: x25519.X25519PrivateKey) -> dict[str, Any]:
    """Decrypt and parse an export; needs no settings and no database."""
    plaintext = unseal(envelope, private_key)
    document: Any = None
    with contextlib.suppress(ValueError, RecursionError):
        document = json.loads(plaintext.decode("utf-8"))
    if not isinstance(document, dict) or document.get("format") != DOCUMENT_FORMAT:
        raise ExportTamperedError("the export opened but does not hold an intake-bot document")
    return document


def decrypt_export_file(
    private_key: x25519.X25519PrivateKey, source: Path, out: Path | None
) -> dict[str, Any]:
    """Open an export file and write its document (indented JSON) to `out` or standard output.

    `out` is created with mode 600 and never overwritten. Nothing is written unless the whole
    file authenticates.
    """
    try:
        envelope = source.read_bytes()
    except OSError as err:
        raise ExportError(f"{source} cannot be read ({err.strerror or 'error'})") from None
    document = open_export(envelope, private_key)
    pretty = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    if out is None:
        sys.stdout.buffer.write(pretty)
        sys.stdout.buffer.flush()
    else:
        _write_exclusive(out, pretty)
    return document


def _write_exclusive(path: Path, data: bytes) -> None:
    """Create `path` (mode 600, never replacing anything) and write `data` straight into it.

    No temporary copy: this is the recipient's decrypted document, and one copy is enough.
    """
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
    except FileExistsError:
        raise ExportError(f"{path} already exists; refusing to overwrite it") from None
    except OSError as err:
        raise ExportError(f"{path} cannot be written ({err.strerror or 'error'})") from None
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as err:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise ExportError(f"{path} cannot be written ({err.strerror or 'error'})") from None
    os.close(fd)


def case_codes(document: dict[str, Any]) -> list[str]:
    """The codes of the cases in an opened export."""
    cases: Iterable[Any] = document.get("cases") or []
    return [str(case.get("code")) for case in cases if isinstance(case, dict)]


def attachment_bytes(item: dict[str, Any]) -> bytes:
    """The bytes of one exported attachment."""
    return base64.b64decode(item["data_base64"], validate=True)


__all__ = [
    "ExportError",
    "ExportKeyError",
    "ExportReport",
    "ExportTamperedError",
    "WrongKeyError",
    "attachment_bytes",
    "case_codes",
    "decrypt_export_file",
    "export_cases",
    "fingerprint",
    "generate_key_pair",
    "key_id",
    "load_private_key",
    "load_public_key",
    "open_export",
    "seal",
    "unseal",
]
