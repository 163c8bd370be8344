"""Tests for storage.crypto and storage.padding: primitive, envelope format, refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import unicodedata
from collections.abc import Iterator

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage import padding
from storage.crypto import (
    MIN_ENVELOPE_SIZE,
    Binding,
    CryptoError,
    DataKey,
    DecryptionError,
    blind_index,
)

CANARY_LATIN = "CANARY-Ivanov-Ivan-1987"
CANARY_CYRILLIC = "КАНАРЕЙКА Иванов Иван Иванович"
BINDING = Binding("case:7f0c0000-0000-4000-8000-000000000001", "answers", "detained_name", "r1")


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _assert_leaks_nothing(err: BaseException, *secrets: str | bytes) -> None:
    """No secret in the message, args or chained exceptions (incl. .doc/.object)."""
    for exc in _chain(err):
        dump = " ".join(
            [
                str(exc),
                repr(exc.args),
                repr(getattr(exc, "doc", "")),
                repr(getattr(exc, "object", "")),
            ]
        )
        for secret in secrets:
            text = secret if isinstance(secret, str) else secret.hex()
            assert text not in dump
            if isinstance(secret, bytes):
                assert repr(secret) not in dump


# --- The primitive: NIST GCM test vectors for AES-256 with 96-bit IVs ----------------
# McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13-16
# (cross-checked against nettle's testsuite/gcm-test.c).
_K15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
_P15 = (
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
)
_C15 = (
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
)
NIST_VECTORS = [
    pytest.param("00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b", id="tc13"),
    pytest.param(
        "00" * 32,
        "00" * 12,
        "00" * 16,
        "",
        "cea7403d4d606b6e074ec5d3baf39d18",
        "d0d1c8a799996bf0265b98b5d48ab919",
        id="tc14",
    ),
    pytest.param(
        _K15,
        "cafebabefacedbaddecaf888",
        _P15,
        "",
        _C15,
        "b094dac5d93471bdec1a502270e3cc6c",
        id="tc15",
    ),
    pytest.param(
        _K15,
        "cafebabefacedbaddecaf888",
        _P15[:120],
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        _C15[:120],
        "76fc6ece0f4e1768cddf8853bb2d551b",
        id="tc16",
    ),
]


@pytest.mark.parametrize(("key", "iv", "pt", "aad", "ct", "tag"), NIST_VECTORS)
def test_aesgcm_known_answers(key: str, iv: str, pt: str, aad: str, ct: str, tag: str) -> None:
    aead = AESGCM(bytes.fromhex(key))
    sealed = aead.encrypt(bytes.fromhex(iv), bytes.fromhex(pt), bytes.fromhex(aad) or None)
    assert sealed == bytes.fromhex(ct + tag)
    assert aead.decrypt(bytes.fromhex(iv), sealed, bytes.fromhex(aad) or None) == bytes.fromhex(pt)
    bad = bytearray(sealed)
    bad[-1] ^= 1
    with pytest.raises(InvalidTag):
        aead.decrypt(bytes.fromhex(iv), bytes(bad), bytes.fromhex(aad) or None)


# --- Our format, rebuilt by hand from the documented spec -----------------------------


def _spec_ad(owner: str, table: str, field: str, row: str) -> bytes:
    out = b"intake-bot/ad/v1"
    for part in (owner, table, field, row):
        raw = part.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return out


def test_binding_bytes_follow_spec() -> None:
    b = Binding("case:x", "answers", "name", "7")
    assert b.to_bytes() == (
        b"intake-bot/ad/v1"
        b"\x00\x00\x00\x06case:x"
        b"\x00\x00\x00\x07answers"
        b"\x00\x00\x00\x04name"
        b"\x00\x00\x00\x017"
    )
    assert Binding("o", "t", "f").to_bytes().endswith(b"\x00\x00\x00\x00")


def test_binding_bytes_are_unambiguous() -> None:
    assert Binding("ab", "c", "f").to_bytes() != Binding("a", "bc", "f").to_bytes()
    assert Binding("o", "t", "f", "").to_bytes() != Binding("o", "t", "f", "\x00").to_bytes()
    assert Binding("o", "tf", "x").to_bytes() != Binding("o", "t", "fx").to_bytes()


@pytest.mark.parametrize("empty", ["owner", "table", "field"])
def test_binding_refuses_empty_parts(empty: str) -> None:
    parts = {"owner": "case:x", "table": "t", "field": "f", empty: ""}
    with pytest.raises(ValueError, match=empty):
        Binding(**parts)


def test_describe_hides_owner_id() -> None:
    assert BINDING.describe() == "answers.detained_name of case:…"
    assert "7f0c" not in BINDING.describe()
    assert Binding("system", "t", "f").describe() == "t.f"


@pytest.mark.parametrize("pad", [True, False])
def test_envelope_matches_spec(pad: bool) -> None:
    key = bytes(range(32))
    nonce = bytes.fromhex("000102030405060708090a0b")
    data = "Иванов".encode()
    framed = len(data).to_bytes(4, "big") + data
    if pad:
        framed += bytes(64 - len(framed))
    ad = b"\x01\x01" + _spec_ad(BINDING.owner, BINDING.table, BINDING.field, BINDING.row)
    expected = b"\x01\x01" + nonce + AESGCM(key).encrypt(nonce, framed, ad)

    envelope = DataKey(key)._seal(nonce, data, BINDING, pad=pad)

    assert envelope == expected
    assert DataKey(key).decrypt(expected, BINDING) == data


def test_encrypt_uses_fresh_nonces() -> None:
    key = DataKey.generate()
    envelopes = {key.encrypt(b"same", BINDING) for _ in range(50)}
    assert len(envelopes) == 50
    assert len({e[2:14] for e in envelopes}) == 50


# --- DataKey construction ---------------------------------------------------------------


def test_generate_gives_distinct_32_byte_keys() -> None:
    a, b = DataKey.generate(), DataKey.generate()
    assert len(a.material) == 32
    assert a.material != b.material


@pytest.mark.parametrize("size", [0, 16, 24, 31, 33, 64])
def test_datakey_refuses_wrong_length(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        DataKey(bytes(size))


@pytest.mark.parametrize("bad", [32, "x" * 32, None])
def test_datakey_refuses_non_bytes(bad: object) -> None:
    with pytest.raises(TypeError):
        DataKey(bad)  # type: ignore[arg-type]


def test_datakey_repr_hides_key() -> None:
    key = DataKey(bytes(range(100, 132)))
    for text in (repr(key), str(key)):
        assert key.material.hex() not in text
        assert repr(key.material) not in text
        assert "redacted" in text


# --- Round trips ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"\x00", b"hello", bytes(range(256)), b"\xff" * 100_000], ids=len
)
@pytest.mark.parametrize("pad", [True, False])
def test_bytes_round_trip(data: bytes, pad: bool) -> None:
    key = DataKey.generate()
    assert key.decrypt(key.encrypt(data, BINDING, pad=pad), BINDING) == data


@pytest.mark.parametrize(
    "text",
    ["", "a", CANARY_CYRILLIC, "Ёжик 🦔 в тумане 👨‍👩‍👧", "e\u0301", "x" * 100_000, "ж" * 50_000],
    ids=["empty", "a", "cyrillic", "emoji", "combining", "100k-latin", "100kB-cyrillic"],
)
def test_text_round_trip(text: str) -> None:
    key = DataKey.generate()
    assert key.decrypt_text(key.encrypt_text(text, BINDING), BINDING) == text


@pytest.mark.parametrize(
    "value",
    [
        None,
        0,
        "",
        [],
        {"name": CANARY_CYRILLIC, "age": 34, "tags": ["🦔", None, True], "n": {"x": 1.5}},
        ["x" * 100_000],
    ],
    ids=["null", "zero", "empty-str", "empty-list", "nested", "large"],
)
def test_json_round_trip(value: object) -> None:
    key = DataKey.generate()
    assert key.decrypt_json(key.encrypt_json(value, BINDING), BINDING) == value


def test_json_is_compact_and_keeps_non_ascii() -> None:
    key = DataKey.generate()
    value = {"a": [1, 2], "имя": "Иван"}
    plaintext = key.decrypt(key.encrypt_json(value, BINDING), BINDING)
    assert plaintext == '{"a":[1,2],"имя":"Иван"}'.encode()


def test_json_refuses_unserialisable_value() -> None:
    with pytest.raises(TypeError):
        DataKey.generate().encrypt_json({"x": object()}, BINDING)


# --- Padding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("framed_len", "bucket"),
    [
        (4, 64),
        (5, 64),
        (64, 64),
        (65, 128),
        (128, 128),
        (129, 256),
        (1000, 1024),
        (65_536, 65_536),
        (65_537, 131_072),
        (131_072, 131_072),
        (131_073, 196_608),
        (1_000_000, 1_048_576),
    ],
)
def test_bucket_sizes(framed_len: int, bucket: int) -> None:
    assert padding.bucket_size(framed_len) == bucket


def _overhead() -> int:
    return 2 + 12 + 16


def test_padding_hides_length() -> None:
    key = DataKey.generate()
    short = key.encrypt_text("a", BINDING)
    fifty = key.encrypt_text("b" * 50, BINDING)
    sixty = key.encrypt_text("c" * 60, BINDING)
    assert len(short) == len(fifty) == len(sixty) == 64 + _overhead()
    # 61 + 4 bytes no longer fit in 64: the next bucket, nothing in between.
    assert len(key.encrypt_text("d" * 61, BINDING)) == 128 + _overhead()
    assert len(key.encrypt_text("", BINDING)) == 64 + _overhead()


@pytest.mark.parametrize("size", [0, 1, 59, 60, 61, 100, 1000, 70_000, 100_000])
def test_padded_envelope_size_is_the_bucket(size: int) -> None:
    envelope = DataKey.generate().encrypt(b"z" * size, BINDING)
    assert len(envelope) == padding.bucket_size(size + 4) + _overhead()


@pytest.mark.parametrize("size", [0, 1, 61, 4096, 100_000])
def test_unpadded_framing_adds_only_the_prefix(size: int) -> None:
    envelope = DataKey.generate().encrypt(b"z" * size, BINDING, pad=False)
    assert len(envelope) == size + 4 + _overhead()


def test_frame_layout() -> None:
    assert padding.frame(b"abc", pad=False) == b"\x00\x00\x00\x03abc"
    assert padding.frame(b"abc", pad=True) == b"\x00\x00\x00\x03abc" + bytes(57)
    assert padding.unframe(b"\x00\x00\x00\x03abc" + bytes(57)) == b"abc"


def _seal_raw(key: bytes, framed: bytes, binding: Binding) -> bytes:
    """An authentic envelope around arbitrary framed bytes, built from the spec."""
    nonce = bytes(12)
    ad = b"\x01\x01" + binding.to_bytes()
    return b"\x01\x01" + nonce + AESGCM(key).encrypt(nonce, framed, ad)


@pytest.mark.parametrize(
    ("framed", "reason"),
    [
        (b"\x00\x00\x00\x41abc" + bytes(57), "length prefix"),
        (b"\x00\x00\x00\x03abc" + bytes(58), "framed size"),
        (b"\x00\x00\x00\x03abc" + bytes(1), "framed size"),
        (b"\xff\xff\xff\xffabc", "length prefix"),
        (b"\x00\x00\x00\x03abc" + bytes(56) + b"\x01", "padding"),
        (b"\x00\x00\x00\x03abc\x80" + bytes(56), "padding"),
        (b"\x00\x00\x00\x00" + CANARY_LATIN.encode().ljust(60, b"\x00"), "padding"),
    ],
)
def test_decrypt_refuses_bad_framing(framed: bytes, reason: str) -> None:
    key = bytes(range(32))
    with pytest.raises(DecryptionError, match=reason) as info:
        DataKey(key).decrypt(_seal_raw(key, framed, BINDING), BINDING)
    _assert_leaks_nothing(info.value, CANARY_LATIN, b"abc")


def test_decrypt_refuses_authentic_but_frameless_envelope() -> None:
    key = bytes(range(32))
    envelope = _seal_raw(key, b"\x00\x00\x00", BINDING)
    assert len(envelope) == MIN_ENVELOPE_SIZE - 1
    with pytest.raises(DecryptionError, match="truncated"):
        DataKey(key).decrypt(envelope, BINDING)


def test_frame_refuses_oversized_plaintext() -> None:
    class Huge(bytes):
        def __len__(self) -> int:
            return padding.MAX_PLAINTEXT + 1

    with pytest.raises(ValueError, match="exceeds"):
        padding.frame(Huge(b"x"))


# --- Refusals ------------------------------------------------------------------------


@pytest.fixture
def key() -> DataKey:
    return DataKey.generate()


def test_every_single_bit_flip_is_refused(key: DataKey) -> None:
    secret = "Иван"
    envelope = key.encrypt_text(secret, BINDING, pad=False)
    assert len(envelope) == 2 + 12 + 4 + len(secret.encode()) + 16
    for position in range(len(envelope)):
        for bit in range(8):
            tampered = bytearray(envelope)
            tampered[position] ^= 1 << bit
            with pytest.raises(DecryptionError) as info:
                key.decrypt_text(bytes(tampered), BINDING)
            _assert_leaks_nothing(info.value, secret, secret.encode())


def test_every_truncation_is_refused(key: DataKey) -> None:
    envelope = key.encrypt_text(CANARY_LATIN, BINDING)
    for length in range(len(envelope)):
        with pytest.raises(DecryptionError) as info:
            key.decrypt(envelope[:length], BINDING)
        _assert_leaks_nothing(info.value, CANARY_LATIN)


@pytest.mark.parametrize("extra", [b"\x00", b"\x01", bytes(16), b"x" * 64])
def test_extension_is_refused(key: DataKey, extra: bytes) -> None:
    envelope = key.encrypt_text(CANARY_LATIN, BINDING)
    with pytest.raises(DecryptionError, match="failed authentication") as info:
        key.decrypt(envelope + extra, BINDING)
    _assert_leaks_nothing(info.value, CANARY_LATIN)


@pytest.mark.parametrize("version", [0x00, 0x02, 0xFF])
def test_unknown_version_is_refused(key: DataKey, version: int) -> None:
    envelope = bytearray(key.encrypt_text(CANARY_LATIN, BINDING))
    envelope[0] = version
    with pytest.raises(DecryptionError, match=f"version 0x{version:02x}") as info:
        key.decrypt(bytes(envelope), BINDING)
    _assert_leaks_nothing(info.value, CANARY_LATIN)


@pytest.mark.parametrize("algorithm", [0x00, 0x02, 0xFF])
def test_unknown_algorithm_is_refused(key: DataKey, algorithm: int) -> None:
    envelope = bytearray(key.encrypt_text(CANARY_LATIN, BINDING))
    envelope[1] = algorithm
    with pytest.raises(DecryptionError, match=f"algorithm 0x{algorithm:02x}") as info:
        key.decrypt(bytes(envelope), BINDING)
    _assert_leaks_nothing(info.value, CANARY_LATIN)


@pytest.mark.parametrize(
    "other",
    [
        Binding(BINDING.owner, BINDING.table, "detained_birthdate", BINDING.row),
        Binding(BINDING.owner, BINDING.table, BINDING.field, "r2"),
        Binding(BINDING.owner, BINDING.table, BINDING.field, ""),
        Binding(BINDING.owner, "notes", BINDING.field, BINDING.row),
        Binding("case:7f0c0000-0000-4000-8000-000000000002", BINDING.table, BINDING.field, "r1"),
        Binding("reporter:7f0c0000-0000-4000-8000-000000000001", "answers", "detained_name", "r1"),
    ],
    ids=["field", "row", "no-row", "table", "owner", "owner-kind"],
)
def test_swaps_are_refused(key: DataKey, other: Binding) -> None:
    envelope = key.encrypt_text(CANARY_CYRILLIC, BINDING)
    assert key.decrypt_text(envelope, BINDING) == CANARY_CYRILLIC
    with pytest.raises(DecryptionError, match="failed authentication") as info:
        key.decrypt_text(envelope, other)
    _assert_leaks_nothing(info.value, CANARY_CYRILLIC, other.owner, BINDING.owner)


def test_header_is_authenticated_even_if_a_future_version_is_parsed() -> None:
    # Recompute the same ciphertext under a different header: the AD differs, so
    # the tag cannot match even for a parser that accepted the header.
    k = bytes(range(32))
    nonce = bytes(12)
    framed = padding.frame(b"x")
    sealed = AESGCM(k).encrypt(nonce, framed, b"\x01\x01" + BINDING.to_bytes())
    with pytest.raises(InvalidTag):
        AESGCM(k).decrypt(nonce, sealed, b"\x01\x02" + BINDING.to_bytes())


def test_wrong_key_is_refused(key: DataKey) -> None:
    envelope = key.encrypt_text(CANARY_LATIN, BINDING)
    with pytest.raises(DecryptionError, match="failed authentication") as info:
        DataKey.generate().decrypt_text(envelope, BINDING)
    message = str(info.value)
    assert message == (
        "ciphertext for answers.detained_name of case:… failed authentication "
        "(tampered, swapped or wrong key)"
    )
    _assert_leaks_nothing(info.value, CANARY_LATIN, key.material)


def test_failed_authentication_carries_no_chained_exception(key: DataKey) -> None:
    envelope = bytearray(key.encrypt(b"x", BINDING))
    envelope[-1] ^= 1
    with pytest.raises(DecryptionError) as info:
        key.decrypt(bytes(envelope), BINDING)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_decryption_error_is_a_crypto_error() -> None:
    assert issubclass(DecryptionError, CryptoError)


def test_bytes_decrypted_as_text_are_refused_without_leaking(key: DataKey) -> None:
    data = CANARY_LATIN.encode() + b"\xff\xfe"
    with pytest.raises(DecryptionError, match="not valid UTF-8") as info:
        key.decrypt_text(key.encrypt(data, BINDING), BINDING)
    _assert_leaks_nothing(info.value, CANARY_LATIN)
    assert info.value.__context__ is None


def test_text_decrypted_as_json_is_refused_without_leaking(key: DataKey) -> None:
    with pytest.raises(DecryptionError, match="not valid JSON") as info:
        key.decrypt_json(key.encrypt_text(CANARY_CYRILLIC + " {", BINDING), BINDING)
    _assert_leaks_nothing(info.value, CANARY_CYRILLIC)
    assert info.value.__context__ is None


def test_lone_surrogate_is_refused_without_leaking(key: DataKey) -> None:
    with pytest.raises(CryptoError, match="lone surrogate") as info:
        key.encrypt_text(CANARY_LATIN + "\ud800", BINDING)
    _assert_leaks_nothing(info.value, CANARY_LATIN)
    assert info.value.__context__ is None
    with pytest.raises(CryptoError, match="lone surrogate"):
        key.encrypt_json({"x": CANARY_LATIN + "\udfff"}, BINDING)


# --- Plaintext never in ciphertext ------------------------------------------------------


def _forms(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")] + [
        text[i : i + 6].encode("utf-8") for i in range(0, len(text) - 5, 6)
    ]


@pytest.mark.parametrize("canary", [CANARY_LATIN, CANARY_CYRILLIC])
@pytest.mark.parametrize("pad", [True, False])
def test_plaintext_is_not_in_ciphertext(key: DataKey, canary: str, pad: bool) -> None:
    envelopes = [
        key.encrypt_text(canary, BINDING, pad=pad),
        key.encrypt(canary.encode("utf-16-le"), BINDING, pad=pad),
        key.encrypt_json({"name": canary}, BINDING, pad=pad),
        key.encrypt_text(canary * 100, BINDING, pad=pad),
    ]
    for envelope in envelopes:
        for form in _forms(canary):
            assert form not in envelope


# --- Blind index --------------------------------------------------------------------


def _spec_bidx(key: bytes, purpose: str, value: str) -> bytes:
    p = purpose.encode()
    v = unicodedata.normalize("NFC", value).encode()
    msg = b"intake-bot/bidx/v1" + struct.pack(">I", len(p)) + p + struct.pack(">I", len(v)) + v
    return hmac.new(key, msg, hashlib.sha256).digest()


INDEX_KEY = bytes(range(32, 64))


def test_blind_index_matches_spec() -> None:
    for purpose, value in [("telegram_user_id", "123456789"), ("username", "Иван_99"), ("p", "")]:
        assert blind_index(INDEX_KEY, purpose, value) == _spec_bidx(INDEX_KEY, purpose, value)


def test_blind_index_is_deterministic_32_bytes() -> None:
    a = blind_index(INDEX_KEY, "telegram_user_id", "123456789")
    assert a == blind_index(INDEX_KEY, "telegram_user_id", "123456789")
    assert len(a) == 32
    assert b"123456789" not in a


def test_blind_index_separates_purpose_key_value() -> None:
    base = blind_index(INDEX_KEY, "telegram_user_id", "42")
    assert base != blind_index(INDEX_KEY, "telegram_chat_id", "42")
    assert base != blind_index(bytes(32), "telegram_user_id", "42")
    assert base != blind_index(INDEX_KEY, "telegram_user_id", "43")
    # Length prefixes: moving characters between purpose and value changes the MAC.
    assert blind_index(INDEX_KEY, "ab", "c") != blind_index(INDEX_KEY, "a", "bc")


def test_blind_index_normalises_nfc() -> None:
    composed = "J\u00f6rg \u0419"  # ö and Й precomposed
    decomposed = "Jo\u0308rg \u0418\u0306"
    assert composed != decomposed
    assert blind_index(INDEX_KEY, "name", composed) == blind_index(INDEX_KEY, "name", decomposed)


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_blind_index_refuses_wrong_key_size(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        blind_index(bytes(size), "p", "v")


def test_blind_index_refuses_empty_purpose() -> None:
    with pytest.raises(ValueError, match="purpose"):
        blind_index(INDEX_KEY, "", "v")


def test_blind_index_lone_surrogate_does_not_leak() -> None:
    with pytest.raises(CryptoError) as info:
        blind_index(INDEX_KEY, "name", CANARY_LATIN + "\ud800")
    _assert_leaks_nothing(info.value, CANARY_LATIN)


def test_json_helpers_use_standard_json() -> None:
    # The plaintext must stay readable by any JSON parser (e.g. a sealed-archive tool).
    key = DataKey.generate()
    value = {"k": ["в", 1]}
    assert json.loads(key.decrypt(key.encrypt_json(value, BINDING), BINDING)) == value
