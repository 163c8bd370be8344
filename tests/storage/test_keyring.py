"""Tests for storage.keyring: the key file, wrapping, rotation and live reload."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.crypto import Binding, CryptoError, DataKey, DecryptionError, blind_index
from storage.keyring import Keyring, KeyringError, KeyringHolder, WrappedKey

OWNER = "case:7f0c0000-0000-4000-8000-000000000001"
OTHER_OWNER = "case:7f0c0000-0000-4000-8000-000000000002"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "secrets" / "keyring.json"


@pytest.fixture
def keyring(path: Path) -> Keyring:
    return Keyring.create(path)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _key_forms(keyring: Keyring) -> list[str]:
    """Every way key bytes might show up in text."""
    forms: list[str] = []
    for key in [*keyring.keks.values(), keyring.index_key]:
        forms += [key.hex(), base64.b64encode(key).decode(), repr(key), repr(key)[2:30]]
    return forms


def _chain(err: BaseException) -> Iterator[BaseException]:
    current: BaseException | None = err
    while current is not None:
        yield current
        current = current.__cause__ or current.__context__


def _assert_no_secrets(err: BaseException, forms: list[str]) -> None:
    for exc in _chain(err):
        dump = " ".join([str(exc), repr(exc.args), repr(getattr(exc, "doc", ""))])
        for form in forms:
            assert form not in dump


def _assert_keyring_error(err: KeyringError, path: Path, *words: str) -> None:
    message = str(err)
    assert message.startswith(f"KEYRING_PATH {path}")
    # One sentence: a single line, a single full stop at the end.
    assert "\n" not in message
    assert message.endswith(".")
    assert ". " not in message
    for word in words:
        assert word in message


def _document(keyring: Keyring) -> dict[str, object]:
    return {
        "format": "intake-bot-keyring/1",
        "active_kek": keyring.active_kek_id,
        "keks": {k: base64.b64encode(v).decode() for k, v in keyring.keks.items()},
        "index_key": base64.b64encode(keyring.index_key).decode(),
        "created_at": "2025-01-01T00:00:00+00:00",
    }


def _write(path: Path, content: str | bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)


# --- create / load -------------------------------------------------------------------


def test_create_then_load_round_trip(keyring: Keyring, path: Path) -> None:
    loaded = Keyring.load(path)
    assert loaded.path == path
    assert loaded.active_kek_id == keyring.active_kek_id
    assert dict(loaded.keks) == dict(keyring.keks)
    assert loaded.index_key == keyring.index_key
    assert loaded.created_at == keyring.created_at


def test_created_keys_are_random_and_well_formed(path: Path, tmp_path: Path) -> None:
    a = Keyring.create(path)
    b = Keyring.create(tmp_path / "other" / "keyring.json")
    assert re.fullmatch(r"[0-9a-f]{16}", a.active_kek_id)
    assert list(a.keks) == [a.active_kek_id]
    assert len(a.keks[a.active_kek_id]) == 32
    assert len(a.index_key) == 32
    assert a.index_key != a.keks[a.active_kek_id]
    assert a.active_kek_id != b.active_kek_id
    assert a.keks[a.active_kek_id] != b.keks[b.active_kek_id]
    assert a.index_key != b.index_key


def test_file_format(keyring: Keyring, path: Path) -> None:
    doc = json.loads(path.read_text())
    assert doc["format"] == "intake-bot-keyring/1"
    assert doc["active_kek"] == keyring.active_kek_id
    assert {k: base64.b64decode(v) for k, v in doc["keks"].items()} == dict(keyring.keks)
    assert base64.b64decode(doc["index_key"]) == keyring.index_key
    assert doc["created_at"].endswith("+00:00")


def test_create_sets_modes_even_with_permissive_umask(path: Path) -> None:
    old = os.umask(0)
    try:
        Keyring.create(path)
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["keyring.json"]


def test_create_leaves_an_existing_parent_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    Keyring.create(tmp_path / "keyring.json")
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "keyring.json") == 0o600


def test_create_refuses_existing_file(keyring: Keyring, path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(KeyringError) as info:
        Keyring.create(path)
    _assert_keyring_error(info.value, path, "already exists")
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["keyring.json"]


def test_create_refuses_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "keyring.json"
    link.symlink_to(tmp_path / "nowhere.json")
    with pytest.raises(KeyringError, match="already exists"):
        Keyring.create(link)
    assert not (tmp_path / "nowhere.json").exists()


def test_load_refuses_missing_file(path: Path) -> None:
    with pytest.raises(KeyringError) as info:
        Keyring.load(path)
    _assert_keyring_error(info.value, path, "does not exist")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_load_refuses_unreadable_file(keyring: Keyring, path: Path) -> None:
    path.chmod(0o000)
    with pytest.raises(KeyringError) as info:
        Keyring.load(path)
    _assert_keyring_error(info.value, path, "not readable")


def test_load_refuses_directory(tmp_path: Path) -> None:
    directory = tmp_path / "keyring.json"
    directory.mkdir(mode=0o700)
    with pytest.raises(KeyringError) as info:
        Keyring.load(directory)
    _assert_keyring_error(info.value, directory, "not a regular file")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602, 0o620, 0o700 | 0o070])
def test_load_refuses_open_permissions(keyring: Keyring, path: Path, mode: int) -> None:
    path.chmod(mode)
    with pytest.raises(KeyringError) as info:
        Keyring.load(path)
    _assert_keyring_error(info.value, path, f"open permissions {mode:04o}", f"chmod 600 {path}")
    _assert_no_secrets(info.value, _key_forms(keyring))


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_load_accepts_owner_only_modes(keyring: Keyring, path: Path, mode: int) -> None:
    path.chmod(mode)
    assert Keyring.load(path).active_kek_id == keyring.active_kek_id


def _mutations(keyring: Keyring) -> list[tuple[str, object, str]]:
    """(name, document or raw text, expected words) for malformed key files."""
    kek_id = keyring.active_kek_id
    good = _document(keyring)
    key_b64 = base64.b64encode(keyring.keks[kek_id]).decode()

    def doc(**changes: object) -> dict[str, object]:
        return {**good, **changes}

    return [
        ("empty", "", "not valid UTF-8 JSON"),
        ("truncated", json.dumps(good)[:-10], "not valid UTF-8 JSON"),
        ("garbage-with-key", f"keys: {key_b64} !!", "not valid UTF-8 JSON"),
        ("not-utf8", b"\xff\xfe" + key_b64.encode(), "not valid UTF-8 JSON"),
        ("deep", "[" * 100_000, "not valid UTF-8 JSON"),
        ("array", json.dumps([good]), "not a keyring"),
        ("null", "null", "not a keyring"),
        ("no-marker", {k: v for k, v in good.items() if k != "format"}, "not a keyring"),
        ("wrong-marker", doc(format="intake-bot-keyring/2"), "not a keyring"),
        ("no-active", {k: v for k, v in good.items() if k != "active_kek"}, "lacks"),
        ("keks-list", doc(keks=[key_b64]), "lacks"),
        ("no-keks", doc(keks={}), "has no key-encryption keys"),
        ("short-kek", doc(keks={kek_id: base64.b64encode(bytes(16)).decode()}), "16 bytes"),
        ("long-kek", doc(keks={kek_id: base64.b64encode(bytes(33)).decode()}), "33 bytes"),
        ("kek-not-b64", doc(keks={kek_id: "%%%" + key_b64}), "not valid base64"),
        ("kek-not-str", doc(keks={kek_id: 12345}), "not valid base64"),
        ("bad-kek-id", doc(keks={key_b64: key_b64}), "malformed key-encryption key id"),
        ("upper-kek-id", doc(keks={kek_id.upper(): key_b64}), "malformed key-encryption key id"),
        ("active-missing", doc(active_kek="0123456789abcdef"), "not in the keyring"),
        ("active-malformed", doc(active_kek=key_b64), "malformed active"),
        ("short-index", doc(index_key=base64.b64encode(bytes(31)).decode()), "index key of 31"),
        ("no-index", {k: v for k, v in good.items() if k != "index_key"}, "index key"),
        ("index-is-kek", doc(index_key=key_b64), "reuses a key-encryption key"),
        ("no-created", {k: v for k, v in good.items() if k != "created_at"}, "created_at"),
        ("naive-created", doc(created_at="2025-01-01T00:00:00"), "created_at"),
    ]


@pytest.mark.parametrize("case", range(25))
def test_load_refuses_malformed_files(keyring: Keyring, path: Path, case: int) -> None:
    mutations = _mutations(keyring)
    assert len(mutations) == 25
    _name, content, words = mutations[case]
    if not isinstance(content, str | bytes):
        content = json.dumps(content)
    _write(path, content)
    with pytest.raises(KeyringError) as info:
        Keyring.load(path)
    _assert_keyring_error(info.value, path, words)
    _assert_no_secrets(info.value, _key_forms(keyring))


def test_load_ignores_unknown_members(keyring: Keyring, path: Path) -> None:
    _write(path, json.dumps({**_document(keyring), "comment": "rotated by ops"}))
    assert Keyring.load(path).active_kek_id == keyring.active_kek_id


def test_load_follows_symlink_and_checks_its_target(keyring: Keyring, path: Path) -> None:
    link = path.parent / "link.json"
    link.symlink_to(path)
    assert Keyring.load(link).active_kek_id == keyring.active_kek_id
    path.chmod(0o644)
    with pytest.raises(KeyringError, match="open permissions 0644"):
        Keyring.load(link)


def test_direct_construction_validates(path: Path) -> None:
    with pytest.raises(KeyringError, match="16 bytes"):
        Keyring(path, {"0123456789abcdef": bytes(16)}, "0123456789abcdef", bytes(32))
    with pytest.raises(KeyringError, match="not in the keyring"):
        Keyring(path, {"0123456789abcdef": bytes(32)}, "fedcba9876543210", os.urandom(32))


# --- repr / errors carry no key bytes ------------------------------------------------


def test_repr_and_str_hide_keys(keyring: Keyring) -> None:
    rotated = keyring.rotated()
    for text in (repr(rotated), str(rotated)):
        for form in _key_forms(rotated):
            assert form not in text
        assert rotated.active_kek_id in text
        assert "redacted" in text


def test_keks_are_read_only(keyring: Keyring) -> None:
    with pytest.raises(TypeError):
        keyring.keks["0123456789abcdef"] = bytes(32)  # type: ignore[index]


# --- wrap / unwrap -------------------------------------------------------------------


def test_wrap_unwrap_round_trip(keyring: Keyring) -> None:
    dek = DataKey.generate()
    wrapped = keyring.wrap(dek, OWNER)
    assert wrapped.kek_id == keyring.active_kek_id
    assert dek.material not in wrapped.blob
    assert keyring.unwrap(wrapped, OWNER).material == dek.material


def test_wrapped_blob_follows_spec(keyring: Keyring) -> None:
    dek = DataKey.generate()
    wrapped = keyring.wrap(dek, OWNER)
    kek = DataKey(keyring.keks[wrapped.kek_id])
    binding = Binding(OWNER, "data_keys", "dek", wrapped.kek_id)
    assert kek.decrypt(wrapped.blob, binding) == dek.material
    # pad=False: header, nonce, 4-byte length, 32-byte key, tag.
    assert len(wrapped.blob) == 2 + 12 + 4 + 32 + 16


def test_unwrap_refuses_wrong_owner(keyring: Keyring) -> None:
    dek = DataKey.generate()
    wrapped = keyring.wrap(dek, OWNER)
    with pytest.raises(DecryptionError, match="failed authentication") as info:
        keyring.unwrap(wrapped, OTHER_OWNER)
    _assert_no_secrets(info.value, [*_key_forms(keyring), dek.material.hex()])
    assert "7f0c" not in str(info.value)


def test_unwrap_refuses_every_tampered_byte(keyring: Keyring) -> None:
    dek = DataKey.generate()
    wrapped = keyring.wrap(dek, OWNER)
    for position in range(len(wrapped.blob)):
        blob = bytearray(wrapped.blob)
        blob[position] ^= 0x01
        with pytest.raises(DecryptionError) as info:
            keyring.unwrap(WrappedKey(wrapped.kek_id, bytes(blob)), OWNER)
        _assert_no_secrets(info.value, [*_key_forms(keyring), dek.material.hex()])


def test_unwrap_refuses_truncated_blob(keyring: Keyring) -> None:
    wrapped = keyring.wrap(DataKey.generate(), OWNER)
    for length in (0, 1, 20, len(wrapped.blob) - 1):
        with pytest.raises(DecryptionError):
            keyring.unwrap(WrappedKey(wrapped.kek_id, wrapped.blob[:length]), OWNER)


def test_unwrap_refuses_unknown_kek_id(keyring: Keyring) -> None:
    wrapped = keyring.wrap(DataKey.generate(), OWNER)
    with pytest.raises(DecryptionError) as info:
        keyring.unwrap(WrappedKey("0123456789abcdef", wrapped.blob), OWNER)
    assert str(info.value) == "key-encryption key 0123456789abcdef is not in the keyring"


def test_unwrap_does_not_echo_malformed_kek_id(keyring: Keyring) -> None:
    wrapped = keyring.wrap(DataKey.generate(), OWNER)
    with pytest.raises(DecryptionError) as info:
        keyring.unwrap(WrappedKey("'; DROP TABLE\n", wrapped.blob), OWNER)
    assert "DROP" not in str(info.value)


def test_unwrap_refuses_relabelled_kek_id(keyring: Keyring) -> None:
    # Both KEKs are known, but the blob is bound to the id it was wrapped under.
    rotated = keyring.rotated()
    old = rotated.wrap(DataKey.generate(), OWNER)
    new_id = rotated.active_kek_id
    old_kek = DataKey(rotated.keks[keyring.active_kek_id])
    relabelled = old_kek.encrypt(
        bytes(32), Binding(OWNER, "data_keys", "dek", keyring.active_kek_id), pad=False
    )
    with pytest.raises(DecryptionError, match="failed authentication"):
        rotated.unwrap(WrappedKey(keyring.active_kek_id, old.blob), OWNER)
    with pytest.raises(DecryptionError, match="failed authentication"):
        rotated.unwrap(WrappedKey(new_id, relabelled), OWNER)


def test_unwrap_refuses_authentic_blob_of_wrong_size(keyring: Keyring) -> None:
    kek_id = keyring.active_kek_id
    blob = DataKey(keyring.keks[kek_id]).encrypt(
        bytes(16), Binding(OWNER, "data_keys", "dek", kek_id), pad=False
    )
    with pytest.raises(DecryptionError, match="16 bytes"):
        keyring.unwrap(WrappedKey(kek_id, blob), OWNER)


# --- rotation and retirement ---------------------------------------------------------


def test_rotated_adds_new_active_kek(keyring: Keyring) -> None:
    dek = DataKey.generate()
    old_wrapped = keyring.wrap(dek, OWNER)
    rotated = keyring.rotated()

    assert rotated.active_kek_id != keyring.active_kek_id
    assert set(rotated.keks) == {keyring.active_kek_id, rotated.active_kek_id}
    assert rotated.keks[rotated.active_kek_id] != keyring.keks[keyring.active_kek_id]
    assert rotated.index_key == keyring.index_key  # blind indexes must stay valid
    assert rotated.path == keyring.path
    assert list(keyring.keks) == [keyring.active_kek_id]  # the original is unchanged

    assert rotated.unwrap(old_wrapped, OWNER).material == dek.material
    new_wrapped = rotated.wrap(dek, OWNER)
    assert new_wrapped.kek_id == rotated.active_kek_id
    assert rotated.unwrap(new_wrapped, OWNER).material == dek.material


def test_retire_drops_old_kek(keyring: Keyring) -> None:
    dek = DataKey.generate()
    old_wrapped = keyring.wrap(dek, OWNER)
    rotated = keyring.rotated()
    rewrapped = rotated.wrap(rotated.unwrap(old_wrapped, OWNER), OWNER)
    retired = rotated.retire([keyring.active_kek_id])

    assert set(retired.keks) == {rotated.active_kek_id}
    assert retired.unwrap(rewrapped, OWNER).material == dek.material
    with pytest.raises(DecryptionError, match="is not in the keyring"):
        retired.unwrap(old_wrapped, OWNER)
    assert keyring.active_kek_id in rotated.keks  # the original is unchanged


def test_retire_refuses_active_kek(keyring: Keyring) -> None:
    rotated = keyring.rotated()
    with pytest.raises(KeyringError, match="cannot retire the active") as info:
        rotated.retire([keyring.active_kek_id, rotated.active_kek_id])
    _assert_keyring_error(info.value, keyring.path)


def test_retire_refuses_unknown_id(keyring: Keyring) -> None:
    with pytest.raises(KeyringError, match="0123456789abcdef is not in the keyring"):
        keyring.rotated().retire(["0123456789abcdef"])


def test_retire_nothing_is_a_copy(keyring: Keyring) -> None:
    assert dict(keyring.retire([]).keks) == dict(keyring.keks)


# --- save ----------------------------------------------------------------------------


def test_save_replaces_atomically(keyring: Keyring, path: Path) -> None:
    path.chmod(0o400)
    inode = path.stat().st_ino
    rotated = keyring.rotated()
    rotated.save()

    assert [p.name for p in path.parent.iterdir()] == ["keyring.json"]
    assert _mode(path) == 0o600
    assert path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    loaded = Keyring.load(path)
    assert loaded.active_kek_id == rotated.active_kek_id
    assert dict(loaded.keks) == dict(rotated.keks)
    assert loaded.created_at == keyring.created_at


def test_save_with_permissive_umask_is_still_0600(keyring: Keyring, path: Path) -> None:
    old = os.umask(0)
    try:
        keyring.rotated().save()
    finally:
        os.umask(old)
    assert _mode(path) == 0o600


def test_save_failure_leaves_no_temp_file(tmp_path: Path, keyring: Keyring) -> None:
    gone = tmp_path / "gone" / "keyring.json"
    orphan = Keyring(gone, keyring.keks, keyring.active_kek_id, keyring.index_key)
    with pytest.raises(KeyringError) as info:
        orphan.save()
    _assert_keyring_error(info.value, gone, "could not be written")
    assert not gone.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_save_into_readonly_dir_leaves_original(keyring: Keyring, path: Path) -> None:
    before = path.read_bytes()
    path.parent.chmod(0o500)
    try:
        with pytest.raises(KeyringError, match="could not be written"):
            keyring.rotated().save()
    finally:
        path.parent.chmod(0o700)
    assert path.read_bytes() == before


def test_save_through_symlink_keeps_link(keyring: Keyring, path: Path) -> None:
    link = path.parent / "link.json"
    link.symlink_to(path.name)
    via_link = Keyring.load(link).rotated()
    via_link.save()
    assert link.is_symlink()
    assert Keyring.load(path).active_kek_id == via_link.active_kek_id
    assert sorted(p.name for p in path.parent.iterdir()) == ["keyring.json", "link.json"]


# --- KeyringHolder -------------------------------------------------------------------


def test_holder_loads_and_is_cheap_when_unchanged(keyring: Keyring, path: Path) -> None:
    holder = KeyringHolder(path)
    first = holder.current()
    assert first.active_kek_id == keyring.active_kek_id
    assert holder.current() is first
    assert holder.path == path


def test_holder_refuses_missing_file(path: Path) -> None:
    with pytest.raises(KeyringError, match="does not exist"):
        KeyringHolder(path)


def test_holder_picks_up_rotation_from_another_object(keyring: Keyring, path: Path) -> None:
    holder = KeyringHolder(path)
    dek = DataKey.generate()
    old_wrapped = holder.wrap(dek, OWNER)

    rotated = Keyring.load(path).rotated()
    rotated.save()

    assert holder.current().active_kek_id == rotated.active_kek_id
    new_wrapped = holder.wrap(dek, OWNER)
    assert new_wrapped.kek_id == rotated.active_kek_id
    assert holder.unwrap(old_wrapped, OWNER).material == dek.material
    assert holder.unwrap(new_wrapped, OWNER).material == dek.material


def test_holder_wrap_uses_rotation_without_calling_current(keyring: Keyring, path: Path) -> None:
    holder = KeyringHolder(path)
    rotated = keyring.rotated()
    rotated.save()
    assert holder.wrap(DataKey.generate(), OWNER).kek_id == rotated.active_kek_id


def test_holder_unwrap_reloads_on_unknown_kek_even_if_stat_looks_same(
    tmp_path: Path, path: Path
) -> None:
    # Two keyrings whose files have the same size; B is written in place over A
    # and A's mtime is restored, so the stat check cannot see the change.
    a = Keyring.create(path).rotated()
    a.save()
    b = Keyring.create(tmp_path / "b" / "keyring.json").rotated()
    b.save()
    b_bytes = b.path.read_bytes()
    assert len(b_bytes) == path.stat().st_size

    holder = KeyringHolder(path)
    before = path.stat()
    with path.open("r+b") as f:
        f.write(b_bytes)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )

    assert holder.current().active_kek_id == a.active_kek_id  # stale, as designed
    dek = DataKey.generate()
    assert holder.unwrap(b.wrap(dek, OWNER), OWNER).material == dek.material
    assert holder.current().active_kek_id == b.active_kek_id


def test_holder_unwrap_unknown_kek_after_reload_fails(keyring: Keyring, path: Path) -> None:
    holder = KeyringHolder(path)
    stranger = Keyring.create(path.parent / "stranger.json")
    wrapped = stranger.wrap(DataKey.generate(), OWNER)
    with pytest.raises(DecryptionError, match="is not in the keyring"):
        holder.unwrap(wrapped, OWNER)


def test_holder_fails_closed_when_file_breaks_and_recovers(keyring: Keyring, path: Path) -> None:
    holder = KeyringHolder(path)
    path.chmod(0o644)
    os.utime(path, ns=(0, 1))  # make sure the stamp changes
    with pytest.raises(KeyringError, match="open permissions"):
        holder.current()
    with pytest.raises(KeyringError):
        holder.wrap(DataKey.generate(), OWNER)
    path.chmod(0o600)
    assert holder.current().active_kek_id == keyring.active_kek_id


def test_holder_fails_closed_when_file_is_removed(keyring: Keyring, path: Path) -> None:
    holder = KeyringHolder(path)
    path.unlink()
    with pytest.raises(KeyringError, match="does not exist"):
        holder.current()


# --- blind index ---------------------------------------------------------------------


def test_keyring_blind_index_uses_index_key(keyring: Keyring) -> None:
    got = keyring.blind_index("telegram_user_id", "123")
    assert got == blind_index(keyring.index_key, "telegram_user_id", "123")
    assert got == keyring.blind_index("telegram_user_id", "123")
    assert got != keyring.blind_index("telegram_chat_id", "123")
    kek = keyring.keks[keyring.active_kek_id]
    assert got != blind_index(kek, "telegram_user_id", "123")


def test_keyring_blind_index_differs_by_keyring(keyring: Keyring, tmp_path: Path) -> None:
    other = Keyring.create(tmp_path / "other.json")
    assert keyring.blind_index("p", "v") != other.blind_index("p", "v")


def test_keyring_blind_index_survives_rotation(keyring: Keyring) -> None:
    assert keyring.rotated().blind_index("p", "v") == keyring.blind_index("p", "v")


def test_keyring_blind_index_normalises_nfc(keyring: Keyring) -> None:
    assert keyring.blind_index("name", "\u00e9") == keyring.blind_index("name", "e\u0301")


def test_keyring_error_is_a_crypto_error() -> None:
    assert issubclass(KeyringError, CryptoError)
