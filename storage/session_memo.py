"""What one unit of work keeps in memory so that it does not read the same row twice.

SQLAlchemy's identity map holds loaded rows only weakly: a row read by one repository and not
referenced afterwards is dropped at once, and the next `session.get` of it queries again. A
reporter's update reads its conversation, its case and their keys from several places; keeping
them referenced for the session's life (one unit of work) turns those repeats into lookups.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


def keep(session: AsyncSession, *rows: object) -> None:
    """Hold `rows` (None is skipped) until the session ends."""
    kept: list[object] = session.info.setdefault("kept_rows", [])
    kept.extend(row for row in rows if row is not None)
