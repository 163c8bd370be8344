"""aiosqlite, with the statements that cannot wait run where they are asked for.

aiosqlite runs SQLite on a thread of its own, and SQLAlchemy's adapter makes four trips there per
statement (open a cursor, execute, fetch, close). Each trip hands the GIL to that thread and
back and waits for the event loop to come round, while the transaction holds SQLite's one
connection (one writer at a time): under a surge of reporters those hand-overs, not SQLite, set
the pace of every transaction, and the loop spends a fifth of its time waiting for the GIL.

Inside a transaction nothing waits: `BEGIN IMMEDIATE` has taken the write lock, and in WAL mode
readers never block a writer. So statements in a transaction run at once on the loop's thread
(an indexed lookup or a row write takes microseconds), and only what can wait goes to
aiosqlite's thread: BEGIN (another process may hold the lock, up to busy_timeout), COMMIT and
ROLLBACK (the fsync that makes an answer survive a kill -9 or a power cut), and PRAGMAs.

Only `Connection.cursor` changes; commits, rollbacks, the connection's thread and its error
types are aiosqlite's own. Plugged in through SQLAlchemy's documented `async_creator` hook
(storage/db.py). The sqlite3 connection is used by one caller at a time (SQLAlchemy's pool
hands it to one session at once, and a session awaits each call), from either thread.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool = False) -> _Outcome:
    """Execute on the connection's own thread, and read everything SQLAlchemy will ask for."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        # After the fetch: for INSERT ... RETURNING, SQLite counts rows as they are stepped.
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


_WAITING_VERBS = ("BEGIN", "COMMIT", "END", "ROLLBACK", "PRAGMA", "VACUUM", "ANALYZE")


def _may_wait(sql: str) -> bool:
    """Whether a statement can wait on a lock or the disk (it then runs on aiosqlite's thread)."""
    return sql.lstrip()[:8].upper().startswith(_WAITING_VERBS)


class OneTripCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives; every call but execute is local."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        """Run one statement: at once inside a transaction, else on the connection's thread."""
        return await self._execute(sql, parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        """Run a statement for many parameter sets, as `execute` does."""
        return await self._execute(sql, list(parameters), True)

    async def _execute(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        raw = self._connection.raw
        if _may_wait(sql) or not raw.in_transaction:
            outcome = await self._connection.submit(_run, raw, sql, parameters, many)
        else:
            outcome = _run(raw, sql, parameters, many)
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        """The next row already read, or None."""
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        """Up to `size` rows already read."""
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> Sequence[Any]:
        """Every row already read."""
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        """Nothing to close on the thread: the sqlite3 cursor closed after its statement."""
        self._rows.clear()


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, whose cursors make one trip per statement."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection (used only on aiosqlite's thread)."""
        return self._conn

    async def submit(self, fn: Any, *args: Any) -> Any:
        """Run `fn(*args)` on the connection's thread."""
        return await self._execute(fn, *args)  # type: ignore[no-untyped-call]


async def connect(database: str) -> OneTripConnection:
    """Open a connection as aiosqlite.connect would, with one-trip cursors."""
    # check_same_thread=False as SQLAlchemy's aiosqlite dialect passes: the sqlite3 object is
    # created on aiosqlite's thread and used only there, but is referenced from the loop's.
    connection = OneTripConnection(
        partial(sqlite3.connect, database, check_same_thread=False), iter_chunk_size=64
    )
    connection._thread.daemon = True  # as SQLAlchemy does: a stuck thread must not block exit
    await connection  # starts the thread and opens the database on it
    return connection
