"""Repositories encrypt on the way in, decrypt on the way out, and refuse tampered rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.domain.cases import CaseStatus
from bot.domain.conversation import ConversationState
from bot.domain.people import TelegramIdentity
from storage.crypto import DecryptionError
from storage.models import Answer, AuditEntry, Conversation, Reporter
from storage.store import SqlStore
from storage.vault import KeyShreddedError

ANN = TelegramIdentity(user_id=5550001, chat_id=5550001, username="ann_k", first_name="Анна")


async def test_a_reporter_is_found_again_by_telegram_id_without_storing_it(store: SqlStore) -> None:
    async with store.transaction() as tx:
        first = await tx.reporter_id(ANN)
    async with store.transaction() as tx:
        again = await tx.reporter_id(ANN)
        identity = await tx.reporters.identity(again)
        raw = (await tx.session.execute(select(Reporter))).scalar_one()
    assert again == first
    assert identity == ANN
    assert str(ANN.user_id).encode() not in raw.lookup + raw.identity
    assert "Анна".encode() not in raw.identity


async def test_answers_round_trip_and_replace(store: SqlStore) -> None:
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="test-1")
        await tx.cases.put_answer(case.id, "detained_name", "Иван Петров")
        await tx.cases.put_answer(case.id, "held_at", {"kind": "police", "text": "ОП №5"})
        await tx.cases.put_answer(case.id, "detained_name", "Ivan Petrov")
    async with store.transaction() as tx:
        answers = await tx.cases.answers(case.id)
        fetched = await tx.cases.by_code(case.code)
    assert answers == {
        "detained_name": "Ivan Petrov",
        "held_at": {"kind": "police", "text": "ОП №5"},
    }
    assert fetched is not None
    assert fetched.status is CaseStatus.DRAFT


async def test_answers_swapped_between_fields_are_refused(store: SqlStore) -> None:
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="test-1")
        await tx.cases.put_answer(case.id, "a", "first")
        await tx.cases.put_answer(case.id, "b", "second")
    async with store.transaction() as tx:
        rows = {r.question_id: r for r in (await tx.session.execute(select(Answer))).scalars()}
        value_a, value_b = rows["a"].value, rows["b"].value
        await tx.session.execute(
            update(Answer).where(Answer.question_id == "a").values(value=value_b)
        )
        await tx.session.execute(
            update(Answer).where(Answer.question_id == "b").values(value=value_a)
        )
    async with store.transaction() as tx:
        with pytest.raises(DecryptionError) as refused:
            await tx.cases.answers(case.id)
    assert "first" not in str(refused.value)
    assert "second" not in str(refused.value)


async def test_answers_moved_to_another_case_are_refused(store: SqlStore) -> None:
    async with store.transaction() as tx:
        one = await tx.cases.create(questionnaire_version="test-1")
        two = await tx.cases.create(questionnaire_version="test-1")
        await tx.cases.put_answer(one.id, "name", "secret one")
        await tx.cases.put_answer(two.id, "name", "secret two")
    async with store.transaction() as tx:
        stolen = (
            await tx.session.execute(select(Answer.value).where(Answer.case_id == one.id))
        ).scalar_one()
        await tx.session.execute(
            update(Answer).where(Answer.case_id == two.id).values(value=stolen)
        )
    async with store.transaction() as tx:
        with pytest.raises(DecryptionError):
            await tx.cases.answers(two.id)
        assert await tx.cases.answers(one.id) == {"name": "secret one"}


async def test_conversation_state_is_stored_encrypted(store: SqlStore) -> None:
    state = ConversationState(step="q3", language="uk", data={"draft": "Олена"})
    async with store.transaction() as tx:
        reporter = await tx.reporter_id(ANN)
        await tx.save_conversation(reporter, state)
    async with store.transaction() as tx:
        loaded = await tx.load_conversation(reporter)
        raw = (await tx.session.execute(select(Conversation.state))).scalar_one()
    assert loaded == state
    assert "Олена".encode() not in raw
    assert b"q3" not in raw


async def test_shredding_a_case_destroys_its_key_and_rows(store: SqlStore) -> None:
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="test-1")
        await tx.cases.put_answer(case.id, "name", "to be forgotten")
        kept = await tx.cases.create(questionnaire_version="test-1")
        await tx.cases.put_answer(kept.id, "name", "kept")
    async with store.transaction() as tx:
        assert await tx.cases.shred(case.id)
    async with store.transaction() as tx:
        assert await tx.cases.get(case.id) is None
        with pytest.raises(KeyShreddedError):
            await tx.cases.answers(case.id)
        assert await tx.cases.answers(kept.id) == {"name": "kept"}


async def test_a_redelivered_update_is_claimed_once(store: SqlStore) -> None:
    async with store.transaction() as tx:
        assert await tx.claim_update(42)
    async with store.transaction() as tx:
        assert not await tx.claim_update(42)
        assert await tx.claim_update(43)


async def test_audit_chain_verifies_and_detects_an_edit(store: SqlStore) -> None:
    async with store.transaction() as tx:
        for action in ("role.grant", "case.view", "case.close"):
            await tx.audit.append("staff:1", action, case_code="AAAA-BBBB-CCCC")
    async with store.transaction() as tx:
        assert await tx.audit.verify() == []
        await tx.session.execute(
            update(AuditEntry).where(AuditEntry.action == "case.view").values(actor="staff:2")
        )
    async with store.transaction() as tx:
        problems = await tx.audit.verify()
    assert [p.reason for p in problems] == ["was altered"]
