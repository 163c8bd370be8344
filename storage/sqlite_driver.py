"""aiosqlite with one trip to its thread per statement, instead of four.

aiosqlite runs SQLite on a thread of its own. SQLAlchemy's adapter makes a trip there to open a
cursor, one to execute, one to fetch and one to close it: each trip waits for the event loop to
come round, and SQLite's one connection is held all along (it is one writer at a time anyway).
Under a surge of reporters that wait, multiplied by four, set the pace of every transaction.
Here the cursor executes, fetches every row and closes in a single trip; what SQLAlchemy then
asks of it (description, rows, rowcount) is answered from memory.

Only `Connection.cursor` changes; commits, rollbacks, the connection's thread and its error
types are aiosqlite's own. Plugged in through SQLAlchemy's documented `async_creator` hook
(storage/db.py).
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

    async def _apply(self, outcome: _Outcome) -> OneTripCursor:
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        """Run one statement in one trip to the connection's thread."""
        raw = self._connection.raw
        return await self._apply(await self._connection.submit(_run, raw, sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        """Run a statement for many parameter sets in one trip."""
        raw = self._connection.raw
        outcome = await self._connection.submit(_run, raw, sql, list(parameters), True)
        return await self._apply(outcome)

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
