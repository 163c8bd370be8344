"""The audit log: a keyed hash chain whose head is anchored outside the database.

Each kind of tampering someone with write access to the database (but not to the key directory)
could try is made here with plain SQL, and each must be reported by `verify`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from bot.domain.cases import CaseStatus
from storage.export import export_cases, load_public_key
from storage.export import generate_key_pair as make_keys
from storage.models import AuditEntry, Case
from storage.repositories.audit import (
    GENESIS,
    AuditAnchor,
    AuditLog,
    entry_digest,
)
from storage.retention import DEFAULT_POLICY, extend, shred_expired
from storage.store import SqlStore
from tests.leaks import CANARIES, CANARY_CYRILLIC, CANARY_LATIN, hits_in_bytes

ENTRIES = [
    ("staff:1", "role.grant", None),
    ("staff:1", "case.view", "AAAA-BBBB-CCC1"),
    ("staff:2", "case.note", "AAAA-BBBB-CCC2"),
    ("system", "claim.lapsed", "AAAA-BBBB-CCC3"),
    ("staff:1", "case.status", "AAAA-BBBB-CCC4"),
]


@pytest.fixture
def anchor(store: SqlStore) -> AuditAnchor:
    return AuditAnchor.beside(store.vault.keys)


async def append(store: SqlStore, anchor: AuditAnchor, entries: list[tuple[str, str, str | None]]):
    async with store.transaction() as tx:
        log = AuditLog(tx.session, store.vault.keys, anchor)
        for actor, action, code in entries:
            await log.append(actor, action, case_code=code)
    assert await anchor.advance(log.head)


async def problems(store: SqlStore, anchor: AuditAnchor) -> list[str]:
    async with store.transaction() as tx:
        found = await AuditLog(tx.session, store.vault.keys, anchor).verify()
    return [p.describe() for p in found]


async def ids(store: SqlStore) -> list[int]:
    async with store.transaction() as tx:
        return list(
            (await tx.session.execute(select(AuditEntry.id).order_by(AuditEntry.id))).scalars()
        )


async def test_an_intact_log_verifies_and_its_head_is_anchored(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    await append(store, anchor, ENTRIES[:2])
    await append(store, anchor, ENTRIES[2:])
    assert await problems(store, anchor) == []
    state = anchor.read()
    assert state is not None
    assert state.entry_id == (await ids(store))[-1]
    assert anchor.path.stat().st_mode & 0o777 == 0o600
    assert anchor.path.parent == store.vault.keys.path.parent  # beside the key file, off the data


async def test_an_edited_entry_is_detected(store: SqlStore, anchor: AuditAnchor) -> None:
    await append(store, anchor, ENTRIES)
    async with store.transaction() as tx:
        await tx.session.execute(
            update(AuditEntry).where(AuditEntry.action == "case.view").values(actor="staff:9")
        )
    found = await problems(store, anchor)
    assert len(found) == 1
    assert "was altered" in found[0]


async def test_an_edit_with_every_later_hash_recomputed_is_detected(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    """The forger knows the format and rebuilds a consistent plain SHA-256 chain."""
    await append(store, anchor, ENTRIES)
    async with store.transaction() as tx:
        rows = list(
            (await tx.session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        )
        prev = GENESIS
        for row in rows:
            actor = "staff:9" if row.action == "case.view" else row.actor
            digest = entry_digest(
                prev,
                at=row.at,
                actor=actor,
                action=row.action,
                case_code=row.case_code,
                detail=row.detail,
            )
            await tx.session.execute(
                update(AuditEntry)
                .where(AuditEntry.id == row.id)
                .values(actor=actor, prev_hash=prev, entry_hash=digest)
            )
            prev = digest
    found = await problems(store, anchor)
    assert len([p for p in found if "was altered" in p]) == len(ENTRIES)
    assert any("differs from the anchored entry" in p for p in found)


async def test_a_deleted_entry_in_the_middle_is_detected(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    await append(store, anchor, ENTRIES)
    middle = (await ids(store))[2]
    async with store.transaction() as tx:
        await tx.session.execute(delete(AuditEntry).where(AuditEntry.id == middle))
    found = await problems(store, anchor)
    assert found == [
        f"entry #{middle + 1} does not follow the previous entry (one was removed, inserted or "
        "moved)"
    ]


async def test_a_deleted_first_entry_is_detected(store: SqlStore, anchor: AuditAnchor) -> None:
    await append(store, anchor, ENTRIES)
    first = (await ids(store))[0]
    async with store.transaction() as tx:
        await tx.session.execute(delete(AuditEntry).where(AuditEntry.id == first))
    found = await problems(store, anchor)
    assert len(found) == 1
    assert found[0].startswith(f"entry #{first + 1} does not follow the previous entry")


@pytest.mark.parametrize("removed", [1, 2])
async def test_deleted_last_entries_are_detected(
    store: SqlStore, anchor: AuditAnchor, removed: int
) -> None:
    await append(store, anchor, ENTRIES)
    all_ids = await ids(store)
    async with store.transaction() as tx:
        await tx.session.execute(delete(AuditEntry).where(AuditEntry.id.in_(all_ids[-removed:])))
    found = await problems(store, anchor)
    assert found == [
        f"the log ends at entry #{all_ids[-removed - 1]} but the anchor records entry "
        f"#{all_ids[-1]}: entries were removed from the end"
    ]


async def test_every_entry_deleted_is_detected(store: SqlStore, anchor: AuditAnchor) -> None:
    await append(store, anchor, ENTRIES)
    async with store.transaction() as tx:
        await tx.session.execute(delete(AuditEntry))
    found = await problems(store, anchor)
    assert len(found) == 1
    assert "entries were removed from the end" in found[0]


async def test_reordered_entries_are_detected(store: SqlStore, anchor: AuditAnchor) -> None:
    await append(store, anchor, ENTRIES)
    a, b = (await ids(store))[1:3]
    async with store.transaction() as tx:
        for old, new in ((a, 1000), (b, a), (1000, b)):
            await tx.session.execute(update(AuditEntry).where(AuditEntry.id == old).values(id=new))
    found = await problems(store, anchor)
    assert found  # each swapped entry no longer follows its predecessor
    assert all("does not follow the previous entry" in p for p in found)
    assert {f"entry #{a}", f"entry #{b}"} <= {p.split(" does")[0] for p in found}


async def test_an_entry_inserted_in_the_middle_is_detected(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    await append(store, anchor, ENTRIES)
    all_ids = await ids(store)
    async with store.transaction() as tx:
        # Make room after the second entry, then slip a well-formed (plain-hash) entry in.
        for moved in reversed(all_ids[2:]):
            await tx.session.execute(
                update(AuditEntry).where(AuditEntry.id == moved).values(id=moved + 100)
            )
        prev = (
            await tx.session.execute(
                select(AuditEntry.entry_hash).where(AuditEntry.id == all_ids[1])
            )
        ).scalar_one()
        at = datetime.now(UTC)
        fields = {"at": at, "actor": "staff:7", "action": "case.export", "case_code": None}
        await tx.session.execute(
            insert(AuditEntry).values(
                id=all_ids[2],
                **fields,
                detail=None,
                prev_hash=prev,
                entry_hash=entry_digest(prev, **fields, detail=None),
            )
        )
    found = await problems(store, anchor)
    assert f"entry #{all_ids[2]} was altered" in (found)
    assert any(p.startswith(f"entry #{all_ids[2] + 100} does not follow") for p in found)


async def test_an_entry_appended_by_a_forger_is_detected(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    """At the end, with a correct plain hash: the links hold, but the forger lacks the key."""
    await append(store, anchor, ENTRIES)
    async with store.transaction() as tx:
        log = AuditLog(tx.session)  # no key: what someone with only the database can do
        await log.append("staff:7", "case.export", case_code="AAAA-BBBB-CCC9")
        forged = log.head
    assert forged is not None
    assert await problems(store, anchor) == [f"entry #{forged.entry_id} was altered"]


async def test_a_tampered_or_missing_anchor_is_reported(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    await append(store, anchor, ENTRIES)
    doc = json.loads(anchor.path.read_text())
    doc["entry_id"] -= 1
    anchor.path.write_text(json.dumps(doc))
    found = await problems(store, anchor)
    assert len(found) == 1
    assert "fails authentication" in found[0]
    anchor.path.unlink()
    found = await problems(store, anchor)
    assert len(found) == 1
    assert "does not exist" in found[0]


async def test_the_anchor_stays_put_after_a_truncation_until_an_operator_reanchors(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    """A restored (older) database keeps failing verification instead of being silently accepted
    by the next append."""
    await append(store, anchor, ENTRIES)
    anchored = anchor.read()
    assert anchored is not None
    async with store.transaction() as tx:
        await tx.session.execute(delete(AuditEntry).where(AuditEntry.id == anchored.entry_id))
    async with store.transaction() as tx:
        log = AuditLog(tx.session, store.vault.keys, anchor)
        for _ in range(3):
            await log.append("system", "surge.on")
    assert log.head is not None
    assert not log.head.checked
    assert not await anchor.advance(log.head)
    assert anchor.read() == anchored
    assert await problems(store, anchor)  # still reported
    async with store.transaction() as tx:
        log = AuditLog(tx.session, store.vault.keys, anchor)
        state = await log.reanchor(anchor)
        await log.append("ops", "audit.reanchored", detail=f"-> #{state.entry_id}")
    assert await anchor.advance(log.head)
    assert await problems(store, anchor) == []


async def test_plain_entries_from_before_keyed_chaining_still_verify(
    store: SqlStore, anchor: AuditAnchor
) -> None:
    async with store.transaction() as tx:
        legacy = AuditLog(tx.session)  # how the store wrote entries before the keyed chain
        for actor, action, code in ENTRIES[:3]:
            await legacy.append(actor, action, case_code=code)
    await append(store, anchor, ENTRIES[3:])
    assert await problems(store, anchor) == []
    # ...but a plain entry after the first keyed one is not accepted.
    async with store.transaction() as tx:
        await AuditLog(tx.session).append("staff:1", "case.view", case_code="AAAA-BBBB-CCC5")
    found = await problems(store, anchor)
    assert len(found) == 1
    assert "was altered" in found[0]


async def test_the_anchor_never_moves_backwards(store: SqlStore, anchor: AuditAnchor) -> None:
    await append(store, anchor, ENTRIES[:1])
    async with store.transaction() as tx:
        first = AuditLog(tx.session, store.vault.keys, anchor)
        await first.append("staff:1", "case.view", case_code="AAAA-BBBB-CCC1")
    async with store.transaction() as tx:
        second = AuditLog(tx.session, store.vault.keys, anchor)
        await second.append("staff:1", "case.view", case_code="AAAA-BBBB-CCC2")
    assert await anchor.advance(second.head)
    assert await anchor.advance(first.head)  # a slower process finishing late
    state = anchor.read()
    assert state is not None
    assert second.head is not None
    assert state.entry_id == second.head.entry_id
    assert await problems(store, anchor) == []


CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
ACTOR = re.compile(r"(system|ops|staff:[0-9a-f-]{1,36})")


async def test_audit_rows_hold_case_codes_and_references_never_content(
    store: SqlStore, anchor: AuditAnchor, tmp_path: Path
) -> None:
    """Export, extend and shred a case full of canaries; scan every audit row for them."""
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="test-1", status=CaseStatus.CLOSED)
        await tx.cases.put_answer(case.id, "detained_name", f"{CANARY_CYRILLIC} {CANARY_LATIN}")
        await tx.cases.put_answer(case.id, "story", {"text": CANARY_LATIN * 3})
        now = datetime.now(UTC)
        await tx.session.execute(
            update(Case).where(Case.id == case.id).values(closed_at=now - timedelta(days=1))
        )
    make_keys(tmp_path / "k.pem", tmp_path / "k.pub")
    await export_cases(
        store,
        anchor,
        load_public_key(tmp_path / "k.pub"),
        tmp_path / "x.bin",
        now=now,
        code=case.code,
    )
    await extend(store, DEFAULT_POLICY, case.code, 3, now, anchor=anchor, actor="staff:1")
    run = await shred_expired(store, DEFAULT_POLICY, now + timedelta(days=365), anchor=anchor)
    assert run.shredded_codes == (case.code,)
    async with store.transaction() as tx:
        rows = list((await tx.session.execute(select(AuditEntry))).scalars())
    assert [r.action for r in rows] == ["case.export", "case.retention_extended", "case.shredded"]
    blob = "\n".join(f"{r.actor}|{r.action}|{r.case_code}|{r.detail}" for r in rows).encode()
    assert hits_in_bytes(blob, [*CANARIES, "detained_name", "story"]) == []
    for row in rows:
        assert row.case_code is None or CODE.fullmatch(row.case_code)
        assert ACTOR.fullmatch(row.actor)
    assert await problems(store, anchor) == []
