"""`intake-bot keys rotate`: every case stays readable, old keys leave, a kill mid-way resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.crypto import DecryptionError
from storage.db import make_engine
from storage.keyring import Keyring, WrappedKey
from storage.models import DataKeyRow
from storage.store import SqlStore
from tests.databases import ScratchDatabase

PROJECT = Path(__file__).resolve().parents[2]
CASES = 600


async def _fill(store: SqlStore, count: int) -> dict[str, str]:
    expected: dict[str, str] = {}
    async with store.transaction() as tx:
        for n in range(count):
            case = await tx.cases.create(questionnaire_version="test-1")
            await tx.cases.put_answer(case.id, "detained_name", f"person {n}")
            expected[str(case.id)] = f"person {n}"
    return expected


async def _read_all(store: SqlStore) -> dict[str, str]:
    async with store.transaction() as tx:
        ids = (await tx.session.execute(select(DataKeyRow.id))).scalars().all()
        return {str(i): (await tx.cases.answers(i))["detained_name"] for i in ids}


async def _kek_ids(database: ScratchDatabase) -> set[str]:
    engine = make_engine(database.url)
    try:
        async with engine.connect() as connection:
            return set((await connection.execute(select(DataKeyRow.kek_id))).scalars())
    finally:
        await engine.dispose()


def _rotate_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "bot", "keys", "rotate", "--grace", "0", *extra]


def _env(database: ScratchDatabase, keyring: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT),
        "DATABASE_URL": database.url,
        "KEYRING_PATH": str(keyring),
    }


async def test_rotation_rewraps_every_key_and_retires_the_old_one(
    store: SqlStore, database: ScratchDatabase, keyring: Keyring
) -> None:
    expected = await _fill(store, 50)
    old = Keyring.load(keyring.path)
    done = subprocess.run(
        _rotate_command(),
        env=_env(database, keyring.path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rotation complete" in done.stdout
    new = Keyring.load(keyring.path)
    assert set(new.keks) == {new.active_kek_id}
    assert new.active_kek_id != old.active_kek_id
    assert await _kek_ids(database) == {new.active_kek_id}
    assert await _read_all(store) == expected
    # The retired key is gone for good: the old keyring opens nothing any more.
    async with store.transaction() as tx:
        row = (await tx.session.execute(select(DataKeyRow).limit(1))).scalar_one()
    with pytest.raises(DecryptionError):
        old.unwrap(WrappedKey(row.kek_id, row.wrapped), f"{row.owner_kind}:{row.id}")


async def test_a_rotation_killed_midway_loses_nothing_and_resumes(
    store: SqlStore, database: ScratchDatabase, keyring: Keyring
) -> None:
    expected = await _fill(store, CASES)
    with subprocess.Popen(
        _rotate_command("--batch-size", "5"),
        env=_env(database, keyring.path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as child:
        assert child.stdout is not None
        first = child.stdout.readline()  # the first batch has committed
        # Freeze it at once (a kill -9 takes a moment to arrive; a stop is immediate), then kill.
        child.send_signal(signal.SIGSTOP)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert first.startswith("re-wrapped 5/")

    midway = Keyring.load(keyring.path)
    assert len(midway.keks) == 2  # the new key was saved before any data key moved
    assert len(await _kek_ids(database)) == 2  # some keys moved, some not yet
    # Mid-rotation, a running bot (which reloads the keyring) still reads every case.
    assert await _read_all(store) == expected

    resumed = subprocess.run(
        _rotate_command(),
        env=_env(database, keyring.path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed an interrupted rotation" in resumed.stdout
    final = Keyring.load(keyring.path)
    assert final.active_kek_id == midway.active_kek_id
    assert set(final.keks) == {final.active_kek_id}
    assert await _kek_ids(database) == {final.active_kek_id}
    # The store's keyring holder noticed the rotation by itself.
    assert await _read_all(store) == expected


async def test_a_new_case_during_rotation_uses_the_new_key(
    store: SqlStore, database: ScratchDatabase, keyring: Keyring
) -> None:
    rotated = keyring.rotated()
    rotated.save()
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="test-1")
    assert await _kek_ids(database) == {rotated.active_kek_id}
    async with store.transaction() as tx:
        assert await tx.cases.answers(case.id) == {}
