"""Throwaway databases for tests: a migrated template per run, a copy per test.

SQLite: the template is a migrated file, copied for each test. PostgreSQL (127.0.0.1:5432, trust
auth, database `test`): a template database migrated once per run, then `CREATE DATABASE ...
TEMPLATE` per test, dropped afterwards. Where no PostgreSQL server answers, its tests skip with
the reason, unless INTAKE_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage import migrate
from storage.db import make_engine

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("INTAKE_REQUIRE_POSTGRES") == "1"


def pg_dsn(database: str) -> str:
    """A plain asyncpg DSN for the admin connection to `database`."""
    url = make_url(PG_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def pg_url(database: str) -> str:
    """The SQLAlchemy URL of another database on the test server."""
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


async def pg_admin(*statements: str) -> None:
    """Run statements outside a transaction on the server's maintenance database."""
    connection = await asyncpg.connect(pg_dsn(make_url(PG_URL).database or "test"), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def pg_unavailable_reason_async() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        await pg_admin("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        where = make_url(PG_URL)
        return f"PostgreSQL not reachable at {where.host}:{where.port} ({type(exc).__name__})"
    return None


def pg_unavailable_reason() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers (outside an event loop)."""
    return asyncio.run(pg_unavailable_reason_async())


@dataclass(frozen=True)
class Templates:
    """Migrated templates made once per test run."""

    sqlite_file: Path
    pg_database: str | None
    pg_skip_reason: str | None


def make_templates(directory: Path) -> Templates:
    """Migrate a SQLite template file and, if the server answers, a PostgreSQL template."""
    sqlite_file = directory / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{sqlite_file}"))
    reason = pg_unavailable_reason()
    if reason is not None:
        return Templates(sqlite_file, None, reason)
    name = f"intake_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(_migrate(pg_url(name)))
    return Templates(sqlite_file, name, None)


def drop_templates(templates: Templates) -> None:
    """Remove the PostgreSQL template database."""
    if templates.pg_database:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{templates.pg_database}" WITH (FORCE)'))


def require_pg(templates: Templates) -> str:
    """The template database name, or skip/fail the test with the reason."""
    if templates.pg_database is None:
        reason = templates.pg_skip_reason or "PostgreSQL unavailable"
        if REQUIRE_PG:
            pytest.fail(f"{reason}; INTAKE_REQUIRE_POSTGRES=1 makes PostgreSQL tests mandatory")
        pytest.skip(reason)
    return templates.pg_database


@dataclass(frozen=True)
class ScratchDatabase:
    """One test's database."""

    backend: str
    url: str
    data_dir: Path  # where a SQLite file and its -wal/-journal live (unused for PostgreSQL)


async def sqlite_copy(templates: Templates, data_dir: Path) -> ScratchDatabase:
    """A fresh, migrated SQLite database under `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "intake.db"
    shutil.copyfile(templates.sqlite_file, target)
    return ScratchDatabase("sqlite", f"sqlite+aiosqlite:///{target}", data_dir)


async def pg_copy(templates: Templates, data_dir: Path) -> ScratchDatabase:
    """A fresh, migrated PostgreSQL database copied from the template."""
    template = require_pg(templates)
    name = f"intake_t_{uuid.uuid4().hex[:12]}"
    await pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return ScratchDatabase("postgres", pg_url(name), data_dir)


async def drop(database: ScratchDatabase) -> None:
    """Drop a PostgreSQL test database (SQLite files go with tmp_path)."""
    if database.backend == "postgres":
        name = make_url(database.url).database
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
