"""Length framing and bucket padding for plaintext before encryption.

AES-GCM ciphertext is exactly as long as its plaintext, so without padding a seized
database tells how long every answer is (a name, "yes", a long account of a beating).
Every plaintext is therefore framed as::

    4-byte big-endian length || data || zero bytes up to the bucket size

With ``pad=True`` the framed size is rounded up to a bucket: at least 64 bytes, then
the next power of two up to 64 KiB, then the next multiple of 64 KiB. With
``pad=False`` the framing is the same but no zeros are added; attachment chunks use
it because their sizes are already fixed by the chunker.

Errors here are ``ValueError`` with messages that describe sizes only, never
content; :mod:`storage.crypto` turns them into ``DecryptionError``.
"""

from __future__ import annotations

LENGTH_PREFIX = 4
MIN_BUCKET = 64
LARGE_STEP = 64 * 1024
# The prefix could describe up to 4 GiB, but AES-GCM in `cryptography` takes at most
# 2**31 - 1 bytes per call; 1 GiB leaves room for the largest bucket rounding.
MAX_PLAINTEXT = 1 << 30


def bucket_size(framed_len: int) -> int:
    """Return the padded size for a framed plaintext of ``framed_len`` bytes.

    Args:
        framed_len: Length of the data plus its 4-byte length prefix.

    Returns:
        max(64, next power of two >= framed_len) up to 64 KiB, else the next
        multiple of 64 KiB.
    """
    if framed_len <= LARGE_STEP:
        return max(MIN_BUCKET, 1 << (framed_len - 1).bit_length())
    return -(-framed_len // LARGE_STEP) * LARGE_STEP


def frame(data: bytes, *, pad: bool = True) -> bytes:
    """Prefix ``data`` with its length and, if ``pad``, zero-fill up to its bucket.

    Args:
        data: The plaintext.
        pad: Round up to a bucket so the ciphertext length hides the data length.

    Returns:
        The framed plaintext.

    Raises:
        ValueError: If ``data`` is longer than ``MAX_PLAINTEXT``.
    """
    size = len(data)
    if size > MAX_PLAINTEXT:
        raise ValueError(f"plaintext of {size} bytes exceeds the {MAX_PLAINTEXT}-byte limit")
    framed_len = LENGTH_PREFIX + size
    zeros = bucket_size(framed_len) - framed_len if pad else 0
    return size.to_bytes(LENGTH_PREFIX, "big") + bytes(data) + bytes(zeros)


def unframe(framed: bytes) -> bytes:
    """Strip the framing added by :func:`frame`, checking it strictly.

    The check is strict even though the framed bytes were authenticated: a
    malformed frame means a bug or a foreign writer, and either must be loud.

    Args:
        framed: A decrypted, framed plaintext.

    Returns:
        The original data.

    Raises:
        ValueError: If the frame is shorter than its prefix, the prefix claims more
            bytes than present, the size is neither exact nor the bucket size, or
            any padding byte is not zero.
    """
    if len(framed) < LENGTH_PREFIX:
        raise ValueError("framed plaintext is shorter than its length prefix")
    size = int.from_bytes(framed[:LENGTH_PREFIX], "big")
    end = LENGTH_PREFIX + size
    if end > len(framed):
        raise ValueError("length prefix exceeds the framed plaintext")
    # Only the two sizes frame() produces are accepted, so each plaintext has one
    # encoding.
    if len(framed) not in (end, bucket_size(end)):
        raise ValueError("framed size matches neither the exact nor the bucketed length")
    # bytes.count runs in C, so checking 64 KiB of padding costs microseconds.
    if framed.count(0, end) != len(framed) - end:
        raise ValueError("padding bytes are not zero")
    return framed[LENGTH_PREFIX:end]
