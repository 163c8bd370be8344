"""Authenticated encryption of stored fields, and keyed blind indexes.

Every field a person typed or uploaded is encrypted with AES-256-GCM under a random
data key of its owner (a case, a reporter). Each ciphertext is bound to where it
lives (owner, table, field, row) through the associated data, so a ciphertext
copied to another field, row, table or owner fails to decrypt instead of showing
the wrong content.

Envelope v1 (all lengths in bytes)::

    offset  size  content
    0       1     version, 0x01
    1       1     algorithm, 0x01 = AES-256-GCM
    2       12    nonce, random (96 bits)
    14      n+16  AES-GCM ciphertext of the framed plaintext, then the 16-byte tag

    associated data = version || algorithm || Binding.to_bytes()

The framed plaintext is a 4-byte big-endian length, the data, and zero padding up to
a size bucket (see :mod:`storage.padding`), so ciphertext lengths do not reveal
answer lengths.

Random 96-bit nonces are safe for well under 2**32 encryptions per key; a data key
belongs to one case or reporter, so the count stays many orders of magnitude below.

Error messages name the table, field and owner kind ("case", "reporter") of the
ciphertext but never the owner id, the plaintext or key bytes: error reports travel
further than the database, and an owner id in them would link a person to an event.
"""

from __future__ import annotations

import json
import os
import struct
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage import padding

__all__ = [
    "Binding",
    "CryptoError",
    "DataKey",
    "DecryptionError",
    "blind_index",
]

VERSION_1: Final = 0x01
ALG_AES_256_GCM: Final = 0x01
KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
_HEADER: Final = bytes((VERSION_1, ALG_AES_256_GCM))
# Header, nonce, the smallest frame (an empty length prefix) and the tag.
MIN_ENVELOPE_SIZE: Final = len(_HEADER) + NONCE_SIZE + padding.LENGTH_PREFIX + TAG_SIZE

_AD_LABEL: Final = b"intake-bot/ad/v1"
_BIDX_LABEL: Final = b"intake-bot/bidx/v1"


class CryptoError(Exception):
    """Base; messages never carry plaintext or key bytes."""


class DecryptionError(CryptoError):
    """Tampered, swapped, truncated, wrong key, unknown version/algorithm."""


def _len_prefixed(part: bytes) -> bytes:
    return struct.pack(">I", len(part)) + part


@dataclass(frozen=True, slots=True)
class Binding:
    """What a ciphertext belongs to; used as AES-GCM associated data.

    Attributes:
        owner: The data key's owner, e.g. ``"case:<uuid>"`` or ``"reporter:<uuid>"``.
        table: The table holding the ciphertext, e.g. ``"answers"``.
        field: The column or logical field, e.g. ``"detained_name"``.
        row: The immutable row id, where there is one.
    """

    owner: str
    table: str
    field: str
    row: str = ""

    def __post_init__(self) -> None:
        # An empty part almost always means a caller forgot to fill it in, which
        # would silently weaken the binding.
        for name in ("owner", "table", "field"):
            if not getattr(self, name):
                raise ValueError(f"Binding.{name} must not be empty")

    def to_bytes(self) -> bytes:
        """Encode unambiguously: a domain label, then each part length-prefixed.

        Returns:
            ``b"intake-bot/ad/v1"`` followed by owner, table, field and row, each as
            a 4-byte big-endian length and UTF-8 bytes, so ("ab", "c") and
            ("a", "bc") never encode alike.
        """
        parts = (self.owner, self.table, self.field, self.row)
        return _AD_LABEL + b"".join(_len_prefixed(p.encode("utf-8")) for p in parts)

    def describe(self) -> str:
        """Name the ciphertext for error messages, without the owner id.

        Returns:
            E.g. ``"answers.detained_name of case:…"``.
        """
        kind, sep, _ = self.owner.partition(":")
        where = f"{self.table}.{self.field}"
        return f"{where} of {kind}:…" if sep else where


class DataKey:
    """A random AES-256-GCM key for one owner (a case, a reporter)."""

    __slots__ = ("_aead", "_key")

    @classmethod
    def generate(cls) -> DataKey:
        """Return a new key from the operating system's CSPRNG."""
        return cls(os.urandom(KEY_SIZE))

    def __init__(self, key: bytes) -> None:
        """Wrap raw key bytes.

        Args:
            key: Exactly 32 bytes.

        Raises:
            TypeError: If ``key`` is not bytes (``bytes(32)`` style mistakes would
                otherwise yield an all-zero key).
            ValueError: If ``key`` is not 32 bytes long.
        """
        if not isinstance(key, bytes | bytearray):
            raise TypeError(f"data key must be bytes, not {type(key).__name__}")
        if len(key) != KEY_SIZE:
            raise ValueError(f"data key must be {KEY_SIZE} bytes, got {len(key)}")
        self._key = bytes(key)
        self._aead = AESGCM(self._key)

    @property
    def material(self) -> bytes:
        """Raw key bytes, used only by the keyring for wrapping."""
        return self._key

    def __repr__(self) -> str:
        return "DataKey(<redacted>)"

    def encrypt(self, plaintext: bytes, binding: Binding, *, pad: bool = True) -> bytes:
        """Encrypt ``plaintext`` into a v1 envelope bound to ``binding``.

        Args:
            plaintext: The data.
            binding: Where the ciphertext will be stored.
            pad: Pad to a size bucket; False only for fixed-size attachment chunks.

        Returns:
            The envelope.
        """
        return self._seal(os.urandom(NONCE_SIZE), plaintext, binding, pad=pad)

    def _seal(self, nonce: bytes, plaintext: bytes, binding: Binding, *, pad: bool) -> bytes:
        # Separate from encrypt() so tests can check the exact format with a fixed
        # nonce; production code must never pass its own nonce.
        framed = padding.frame(plaintext, pad=pad)
        return _HEADER + nonce + self._aead.encrypt(nonce, framed, _HEADER + binding.to_bytes())

    def decrypt(self, envelope: bytes, binding: Binding) -> bytes:
        """Decrypt a v1 envelope that must belong to ``binding``.

        Args:
            envelope: Bytes produced by :meth:`encrypt`.
            binding: Where the envelope was read from.

        Returns:
            The plaintext.

        Raises:
            DecryptionError: If the envelope is too short, has an unknown version or
                algorithm, fails authentication (tampered, moved, wrong key) or has
                malformed framing.
        """
        where = binding.describe()
        if len(envelope) < MIN_ENVELOPE_SIZE:
            raise DecryptionError(
                f"ciphertext for {where} is truncated ({len(envelope)} bytes, "
                f"at least {MIN_ENVELOPE_SIZE} expected)"
            )
        if envelope[0] != VERSION_1:
            raise DecryptionError(
                f"ciphertext for {where} has unsupported envelope version 0x{envelope[0]:02x}"
            )
        if envelope[1] != ALG_AES_256_GCM:
            raise DecryptionError(
                f"ciphertext for {where} has unsupported algorithm 0x{envelope[1]:02x}"
            )
        header = bytes(envelope[:2])
        nonce = bytes(envelope[2 : 2 + NONCE_SIZE])
        try:
            framed = self._aead.decrypt(
                nonce, bytes(envelope[2 + NONCE_SIZE :]), header + binding.to_bytes()
            )
        except InvalidTag:
            framed = None
        if framed is None:
            # Raised outside the except block so no library exception rides along.
            raise DecryptionError(
                f"ciphertext for {where} failed authentication (tampered, swapped or wrong key)"
            )
        try:
            return padding.unframe(framed)
        except ValueError as err:
            # padding's messages describe sizes only.
            raise DecryptionError(f"ciphertext for {where} has invalid framing: {err}") from None

    def encrypt_text(self, text: str, binding: Binding, *, pad: bool = True) -> bytes:
        """Encrypt ``text`` as UTF-8.

        Raises:
            CryptoError: If ``text`` holds a lone surrogate (not encodable as UTF-8).
        """
        return self.encrypt(_utf8(text, f"text for {binding.describe()}"), binding, pad=pad)

    def decrypt_text(self, envelope: bytes, binding: Binding) -> str:
        """Decrypt an envelope made by :meth:`encrypt_text`.

        Raises:
            DecryptionError: As :meth:`decrypt`, or if the plaintext is not UTF-8.
        """
        data = self.decrypt(envelope, binding)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        # Raised outside the except block: UnicodeDecodeError.object holds the
        # plaintext and would otherwise be kept as __context__.
        raise DecryptionError(f"plaintext for {binding.describe()} is not valid UTF-8")

    def encrypt_json(self, value: object, binding: Binding, *, pad: bool = True) -> bytes:
        """Encrypt ``value`` as compact JSON (UTF-8, non-ASCII kept as is).

        Raises:
            TypeError: If ``value`` is not JSON-serialisable.
            CryptoError: If a string in ``value`` holds a lone surrogate.
        """
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return self.encrypt_text(text, binding, pad=pad)

    def decrypt_json(self, envelope: bytes, binding: Binding) -> Any:
        """Decrypt an envelope made by :meth:`encrypt_json`.

        Raises:
            DecryptionError: As :meth:`decrypt_text`, or if the plaintext is not JSON.
        """
        text = self.decrypt_text(envelope, binding)
        try:
            return json.loads(text)
        except ValueError:
            pass
        # Outside the except block: JSONDecodeError.doc holds the whole plaintext.
        raise DecryptionError(f"plaintext for {binding.describe()} is not valid JSON")


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    # Outside the except block: UnicodeEncodeError.object holds the text.
    raise CryptoError(f"{what} is not encodable as UTF-8 (lone surrogate)")


def blind_index(key: bytes, purpose: str, value: str) -> bytes:
    """Keyed hash for equality lookups on encrypted values (e.g. a Telegram user id).

    HMAC-SHA256 over ``b"intake-bot/bidx/v1"``, the length-prefixed purpose and the
    length-prefixed NFC-normalised UTF-8 value. The purpose separates index spaces,
    so the same value hashes differently as a user id and as a username. Any other
    normalisation (case folding, stripping) is the caller's decision.

    Args:
        key: The 32-byte index key, never an encryption key.
        purpose: What the index is for, e.g. ``"reporter.telegram_user_id"``.
        value: The value to index.

    Returns:
        The 32-byte MAC.

    Raises:
        ValueError: If ``key`` is not 32 bytes or ``purpose`` is empty.
        CryptoError: If ``purpose`` or ``value`` holds a lone surrogate.
    """
    if len(key) != KEY_SIZE:
        raise ValueError(f"blind-index key must be {KEY_SIZE} bytes, got {len(key)}")
    if not purpose:
        raise ValueError("blind-index purpose must not be empty")
    mac = crypto_hmac.HMAC(key, hashes.SHA256())
    mac.update(_BIDX_LABEL)
    mac.update(_len_prefixed(_utf8(purpose, "blind-index purpose")))
    normalised = unicodedata.normalize("NFC", value)
    mac.update(_len_prefixed(_utf8(normalised, f"blind-index value for {purpose}")))
    return mac.finalize()
