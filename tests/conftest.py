"""Shared fixtures: databases on both backends, keyrings, a store, the Bot API stand-in, a bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.db import make_engine, make_sessionmaker
from storage.keyring import Keyring, KeyringHolder
from storage.store import SqlStore
from storage.vault import Vault
from tests import databases
from tests.databases import ScratchDatabase, Templates

# python-telegram-bot 22 warns unless durations are opted in to timedelta (RetryAfter and co.).
os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    made = databases.make_templates(tmp_path_factory.mktemp("templates"))
    yield made
    databases.drop_templates(made)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, templates: Templates, tmp_path: Path
) -> AsyncIterator[ScratchDatabase]:
    """A migrated database of its own for each test, on SQLite and on PostgreSQL."""
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        db = await databases.sqlite_copy(templates, data_dir)
    else:
        db = await databases.pg_copy(templates, data_dir)
    yield db
    await databases.drop(db)


@pytest.fixture
def keyring_path(tmp_path: Path) -> Path:
    """Where this test's keyring lives (outside the data directory, as in production)."""
    return tmp_path / "keys" / "keyring.json"


@pytest.fixture
def keyring(keyring_path: Path) -> Keyring:
    """A fresh keyring file."""
    return Keyring.create(keyring_path)


@pytest.fixture
async def store(database: ScratchDatabase, keyring: Keyring) -> AsyncIterator[SqlStore]:
    """A SqlStore on this test's database and keyring."""
    engine = make_engine(database.url)
    yield SqlStore(make_sessionmaker(engine), Vault(KeyringHolder(keyring.path)))
    await engine.dispose()
