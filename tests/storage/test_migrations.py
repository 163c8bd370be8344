"""Migrations: one linear history, the migrated schema equals the models, each step reverses."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import make_engine
from storage.models import Base
from tests.databases import ScratchDatabase


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config())


def test_history_is_linear_with_one_base_and_one_head() -> None:
    script = _script()
    assert len(script.get_bases()) == 1
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert not revision.is_merge_point


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgraded_schema_equals_the_models(database: ScratchDatabase) -> None:
    engine = make_engine(database.url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_every_revision_downgrades_and_upgrades_again(database: ScratchDatabase) -> None:
    revisions = [r.revision for r in reversed(list(_script().walk_revisions()))]
    engine = make_engine(database.url)
    try:
        await migrate.downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
        for revision in revisions:
            await migrate.upgrade(engine, revision)
            await migrate.downgrade(engine, "-1")
            await migrate.upgrade(engine, revision)
            assert await migrate.current_revision(engine) == revision
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()
