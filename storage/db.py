"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLite is made safe for a bot that can be killed at any moment and for deleted data:
WAL with `synchronous=FULL` (a committed answer survives kill -9 and power loss),
`foreign_keys=ON`, `secure_delete=ON` (freed pages are zeroed, so a shredded key is not left in
the file), a busy timeout, and `BEGIN IMMEDIATE` for every transaction so two writers queue
instead of failing with "database is locked" on a lock upgrade.
Never turn on the engine's statement echo: it logs parameters, which are ciphertexts and ids.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA busy_timeout=30000",
)


def is_sqlite(url: str | URL) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory or other backends."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so "begin" below can say IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; for SQLite, create the data directory and set the pragmas."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One connection, handed out first come first served: SQLite runs one writer at a time
        # anyway, and queueing here is fair, where SQLite's busy handler makes writers sleep
        # and retry (some for many seconds under load). Other processes (key rotation) still
        # wait through busy_timeout.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 600)
        database = make_url(url).database or ":memory:"
        kwargs.setdefault("async_creator", partial(sqlite_driver.connect, database))
        engine = create_async_engine(url, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One AsyncSession per unit of work; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
