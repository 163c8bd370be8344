"""A seized database holds no plaintext: canaries written through the store are found nowhere."""

from __future__ import annotations

import logging

import pytest

from bot.domain.conversation import ConversationState
from bot.domain.people import TelegramIdentity
from storage.db import make_engine
from storage.store import SqlStore
from tests.databases import ScratchDatabase
from tests.leaks import (
    CANARIES,
    CANARY_CYRILLIC,
    CANARY_LATIN,
    CANARY_USER_ID,
    scan_files,
    scan_tables,
)

NEEDLES = (*CANARIES, str(CANARY_USER_ID), "canary_user")


async def _write_everything(store: SqlStore) -> None:
    identity = TelegramIdentity(
        user_id=CANARY_USER_ID,
        chat_id=CANARY_USER_ID,
        username="canary_user",
        first_name=CANARY_CYRILLIC,
        last_name=CANARY_LATIN,
        language_code="ru",
    )
    async with store.transaction() as tx:
        reporter = await tx.reporter_id(identity)
        case = await tx.cases.create(questionnaire_version="test-1", reporter_id=reporter)
        await tx.cases.put_answer(case.id, "detained_name", f"{CANARY_CYRILLIC} {CANARY_LATIN}")
        await tx.cases.put_answer(case.id, "story", {"text": CANARY_LATIN * 50})
        await tx.save_conversation(
            reporter, ConversationState(step="q1", data={"draft": CANARY_CYRILLIC})
        )
        await tx.audit.append("system", "case.created", case_code=case.code)
    # Replace an answer and shred a second case: old versions must not linger in free pages.
    async with store.transaction() as tx:
        await tx.cases.put_answer(case.id, "detained_name", "replaced")
        doomed = await tx.cases.create(questionnaire_version="test-1")
        await tx.cases.put_answer(doomed.id, "detained_name", CANARY_LATIN)
    async with store.transaction() as tx:
        await tx.cases.shred(doomed.id)


async def test_no_canary_in_any_table(store: SqlStore, database: ScratchDatabase) -> None:
    await _write_everything(store)
    engine = make_engine(database.url)
    try:
        assert await scan_tables(engine, NEEDLES) == {}
    finally:
        await engine.dispose()


async def test_no_canary_in_any_file_of_the_data_directory(
    store: SqlStore, database: ScratchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    if database.backend != "sqlite":
        pytest.skip("the PostgreSQL server's files are not ours to read; its tables are scanned")
    caplog.set_level(logging.DEBUG)
    await _write_everything(store)
    files = sorted(p.name for p in database.data_dir.iterdir())
    assert "intake.db" in files
    assert scan_files(database.data_dir, NEEDLES) == {}
    assert not any(needle in caplog.text for needle in NEEDLES)
