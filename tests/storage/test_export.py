"""Exports for the legal team: sealed to a public key with HPKE, opened offline."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from sqlalchemy import select, update

from bot.domain.cases import CaseStatus
from bot.domain.people import TelegramIdentity
from storage.crypto import DecryptionError
from storage.export import (
    HEADER_SIZE,
    ExportError,
    ExportKeyError,
    ExportTamperedError,
    WrongKeyError,
    attachment_bytes,
    export_cases,
    generate_key_pair,
    key_id,
    load_private_key,
    load_public_key,
    open_export,
    seal,
    unseal,
)
from storage.models import Answer, AuditEntry, Case
from storage.repositories.attachments import CHUNK_SIZE, AttachmentMeta, AttachmentWriter
from storage.repositories.audit import AuditAnchor, AuditLog
from storage.store import SqlStore
from tests.databases import ScratchDatabase
from tests.leaks import CANARIES, CANARY_CYRILLIC, CANARY_LATIN, hits_in_bytes, scan_files

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PHOTO = (CANARY_LATIN.encode() + bytes(range(256))) * (CHUNK_SIZE // 200)  # more than a chunk


@pytest.fixture
def anchor(store: SqlStore) -> AuditAnchor:
    return AuditAnchor.beside(store.vault.keys)


@pytest.fixture
def recipient() -> x25519.X25519PrivateKey:
    return x25519.X25519PrivateKey.generate()


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 10_000):
        yield data[i : i + 10_000]


async def make_case(store: SqlStore, *, created_at: datetime = NOW) -> tuple[str, uuid.UUID]:
    """A case with answers, follow-ups (text and file), an attachment, a note, a linked report."""
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="detention-3", status=CaseStatus.NEW)
        await tx.cases.put_answer(case.id, "detained_name", f"{CANARY_CYRILLIC} {CANARY_LATIN}")
        await tx.cases.put_answer(case.id, "where_held", {"place": "ИВС", "city": CANARY_LATIN})
        await tx.cases.put_answer(case.id, "phones", ["+7 700 000 00 00"])
        await tx.cases.put_answer(
            case.id, "followup_001", {"kind": "text", "value": CANARY_LATIN, "at": NOW.isoformat()}
        )
        await tx.session.execute(
            update(Case).where(Case.id == case.id).values(created_at=created_at)
        )
    attachment = await AttachmentWriter(store.sessions, store.vault).store(
        case.id, AttachmentMeta(f"{CANARY_LATIN}.jpg", "image/jpeg", "photo"), _chunks(PHOTO)
    )
    async with store.transaction() as tx:
        assert await tx.attachments.accept(case.id, attachment)
        await tx.cases.put_answer(
            case.id,
            "followup_002",
            {"kind": "file", "value": str(attachment), "at": NOW.isoformat()},
        )
        lawyer = await tx.staff.ensure(TelegramIdentity(5550001, 5550001), "lawyer")
        await tx.triage.add_note(case.id, lawyer.id, f"note {CANARY_CYRILLIC}", NOW)
        linked = await tx.cases.create(questionnaire_version="detention-3", status=CaseStatus.NEW)
        await tx.cases.put_answer(linked.id, "detained_name", CANARY_LATIN)
        await tx.session.execute(
            update(Case)
            .where(Case.id == linked.id)
            .values(duplicate_of=case.id, created_at=created_at + timedelta(minutes=5))
        )
    return case.code, case.id


async def stored_answers(store: SqlStore, case_id: uuid.UUID) -> dict[str, object]:
    async with store.transaction() as tx:
        return await tx.cases.answers(case_id)


async def test_an_export_opened_offline_equals_the_stored_case(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    code, case_id = await make_case(store)
    out = tmp_path / "out" / "case.export"
    out.parent.mkdir()
    report = await export_cases(store, anchor, recipient.public_key(), out, now=NOW, code=code)
    assert report.case_codes[0] == code
    assert len(report.case_codes) == 2  # the linked report comes along
    assert out.stat().st_mode & 0o777 == 0o600

    document = open_export(out.read_bytes(), recipient)  # needs nothing but the private key
    assert document["format"] == "intake-bot-export/1"
    assert document["exported_at"] == NOW.isoformat()
    assert document["scope"] == {"case": code}
    first, linked = document["cases"]
    assert first["code"] == code
    assert first["questionnaire_version"] == "detention-3"
    assert linked["duplicate_of"] == code
    assert first["linked_reports"] == [linked["code"]]
    answers = dict(first["answers"])
    for follow_up in first["follow_ups"]:
        item = dict(follow_up)
        answers[item.pop("id")] = item
    assert answers == await stored_answers(store, case_id)
    (attachment,) = first["attachments"]
    assert attachment["name"] == f"{CANARY_LATIN}.jpg"
    assert attachment["mime_type"] == "image/jpeg"
    assert attachment["size"] == len(PHOTO)
    assert attachment_bytes(attachment) == PHOTO
    assert first["follow_ups"][1]["value"] == attachment["id"]
    assert [n["text"] for n in first["notes"]] == [f"note {CANARY_CYRILLIC}"]
    assert "reporter" not in first  # identities are never exported


async def test_a_period_export_holds_the_live_cases_created_in_the_period(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    before, _ = await make_case(store, created_at=NOW - timedelta(days=10))
    inside, _ = await make_case(store, created_at=NOW)
    async with store.transaction() as tx:
        draft = await tx.cases.create(questionnaire_version="detention-3")
        await tx.session.execute(update(Case).where(Case.id == draft.id).values(created_at=NOW))
    out = tmp_path / "period.export"
    report = await export_cases(
        store,
        anchor,
        recipient.public_key(),
        out,
        now=NOW,
        since=NOW - timedelta(days=1),
        until=NOW + timedelta(days=1),
    )
    document = open_export(out.read_bytes(), recipient)
    codes = [c["code"] for c in document["cases"]]
    assert codes[0] == inside
    assert before not in codes
    assert draft.code not in codes
    assert list(report.case_codes) == codes
    async with store.transaction() as tx:
        exported = (
            await tx.session.execute(
                select(AuditEntry.case_code).where(AuditEntry.action == "case.export")
            )
        ).scalars()
        assert sorted(exported) == sorted(codes)


async def test_an_export_is_audited_by_code_and_key_only(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    code, _ = await make_case(store)
    report = await export_cases(
        store, anchor, recipient.public_key(), tmp_path / "x", now=NOW, code=code
    )
    async with store.transaction() as tx:
        rows = list((await tx.session.execute(select(AuditEntry))).scalars())
        assert await AuditLog(tx.session, store.vault.keys, anchor).verify() == []
    assert [(r.actor, r.action, r.case_code) for r in rows] == [
        ("ops", "case.export", c) for c in report.case_codes
    ]
    assert all(r.detail == f"to key {report.recipient}" for r in rows)
    state = anchor.read()
    assert state is not None
    assert state.entry_id == rows[-1].id


async def test_a_wrong_private_key_is_refused(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    code, _ = await make_case(store)
    out = tmp_path / "x"
    await export_cases(store, anchor, recipient.public_key(), out, now=NOW, code=code)
    stranger = x25519.X25519PrivateKey.generate()
    with pytest.raises(WrongKeyError, match="sealed to key"):
        open_export(out.read_bytes(), stranger)
    # Relabelling the file for the stranger's key does not help: the header is bound.
    relabelled = bytearray(out.read_bytes())
    relabelled[15:23] = key_id(stranger.public_key())
    with pytest.raises(ExportTamperedError):
        open_export(bytes(relabelled), stranger)


async def test_a_tampered_export_is_refused(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    code, _ = await make_case(store)
    out = tmp_path / "x"
    await export_cases(store, anchor, recipient.public_key(), out, now=NOW, code=code)
    sealed = out.read_bytes()
    assert open_export(sealed, recipient)["cases"]
    # magic, version, each suite id, key id, enc, ciphertext, the last byte of the tag
    for position in (0, 8, 10, 12, 14, 16, HEADER_SIZE, HEADER_SIZE + 40, len(sealed) // 2, -1):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(ExportError):
            open_export(bytes(tampered), recipient)
    for position in (HEADER_SIZE + 1, HEADER_SIZE + 40, len(sealed) // 2, len(sealed) - 1):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x80
        with pytest.raises(ExportTamperedError, match="fails authentication"):
            open_export(bytes(tampered), recipient)
    for damaged in (sealed[:-1], sealed[: HEADER_SIZE + 20], sealed + b"\0", b""):
        with pytest.raises(ExportTamperedError):
            open_export(damaged, recipient)


async def test_the_export_file_contains_no_canary_plaintext(
    store: SqlStore,
    anchor: AuditAnchor,
    recipient: x25519.X25519PrivateKey,
    tmp_path: Path,
    database: ScratchDatabase,
) -> None:
    code, _ = await make_case(store)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    out = out_dir / "case.export"
    await export_cases(store, anchor, recipient.public_key(), out, now=NOW, code=code)
    photo_marker = PHOTO[: len(CANARY_LATIN) + 64].decode("latin-1")
    needles = [*CANARIES, code, "detained_name", photo_marker]
    sealed = out.read_bytes()
    assert hits_in_bytes(sealed, needles) == []
    assert hits_in_bytes(base64.b64encode(sealed), needles) == []
    # No temporary or plaintext copy anywhere beside it, nor in the data or key directories.
    assert sorted(p.name for p in out_dir.iterdir()) == ["case.export"]
    assert scan_files(store.vault.keys.path.parent, needles) == {}
    if database.backend == "sqlite":
        assert scan_files(database.data_dir, [*CANARIES, photo_marker]) == {}


async def test_an_existing_output_file_is_never_overwritten(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    code, _ = await make_case(store)
    out = tmp_path / "x"
    out.write_bytes(b"earlier work")
    with pytest.raises(ExportError, match="already exists"):
        await export_cases(store, anchor, recipient.public_key(), out, now=NOW, code=code)
    assert out.read_bytes() == b"earlier work"
    async with store.transaction() as tx:
        assert await tx.audit.count() == 0  # nothing exported, nothing audited


async def test_a_tampered_stored_answer_stops_the_export_without_a_file_or_an_audit_entry(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    code, case_id = await make_case(store)
    async with store.transaction() as tx:
        rows = (await tx.session.execute(select(Answer).where(Answer.case_id == case_id))).scalars()
        first = next(iter(rows))
        first.value = first.value[:-1] + bytes([first.value[-1] ^ 1])
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    with pytest.raises(DecryptionError):
        await export_cases(store, anchor, recipient.public_key(), out_dir / "x", now=NOW, code=code)
    assert list(out_dir.iterdir()) == []
    async with store.transaction() as tx:
        assert await tx.audit.count() == 0


async def test_an_unknown_case_and_an_empty_period_are_refused(
    store: SqlStore, anchor: AuditAnchor, recipient: x25519.X25519PrivateKey, tmp_path: Path
) -> None:
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    with pytest.raises(ExportError, match="no case"):
        await export_cases(
            store, anchor, recipient.public_key(), out_dir / "x", now=NOW, code="AAAA-BBBB-CCCC"
        )
    with pytest.raises(ExportError, match="no case was reported"):
        await export_cases(
            store,
            anchor,
            recipient.public_key(),
            out_dir / "y",
            now=NOW,
            since=NOW,
            until=NOW + timedelta(days=1),
        )
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("raw", [False, True])
def test_key_files_round_trip_and_the_private_one_is_owner_only(raw: bool, tmp_path: Path) -> None:
    public = generate_key_pair(tmp_path / "k", tmp_path / "k.pub", raw=raw)
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    private = load_private_key(tmp_path / "k")
    assert private.public_key() == public == load_public_key(tmp_path / "k.pub")
    assert unseal(seal(b"x", load_public_key(tmp_path / "k.pub")), private) == b"x"
    (tmp_path / "k").chmod(0o644)
    with pytest.raises(ExportKeyError, match="chmod 600"):
        load_private_key(tmp_path / "k")


def test_a_passphrase_protects_the_private_key(tmp_path: Path) -> None:
    generate_key_pair(tmp_path / "k", tmp_path / "k.pub", passphrase=b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "k").read_bytes()
    load_private_key(tmp_path / "k", b"correct horse")
    with pytest.raises(ExportKeyError, match="needs its passphrase"):
        load_private_key(tmp_path / "k")
    with pytest.raises(ExportKeyError, match="passphrase is wrong"):
        load_private_key(tmp_path / "k", b"wrong")


def test_a_private_key_given_as_the_public_key_is_refused(tmp_path: Path) -> None:
    generate_key_pair(tmp_path / "k", tmp_path / "k.pub")
    with pytest.raises(ExportKeyError, match="holds a private key"):
        load_public_key(tmp_path / "k")
    (tmp_path / "junk").write_text("not a key")
    with pytest.raises(ExportKeyError, match="neither PEM nor base64"):
        load_public_key(tmp_path / "junk")
