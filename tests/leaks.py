"""Canary scanning: prove that plaintext never reaches disk, tables or logs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base

CANARY_LATIN = "CanaryQx7Latin"
CANARY_CYRILLIC = "КанареечныйСекрет"
CANARIES = (CANARY_LATIN, CANARY_CYRILLIC)
CANARY_USER_ID = 7390012345  # a Telegram id distinctive enough to find as text


def encodings(text: str) -> list[bytes]:
    """Every form a string may take on disk: UTF-8 and UTF-16 in both byte orders."""
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]


def hits_in_bytes(blob: bytes, needles: Iterable[str]) -> list[str]:
    """Which needles occur in the blob in any encoding."""
    return [needle for needle in needles if any(form in blob for form in encodings(needle))]


def scan_files(directory: Path, needles: Iterable[str]) -> dict[str, list[str]]:
    """Needles found in each file under `directory` (database, -wal, -shm, -journal, ...)."""
    found: dict[str, list[str]] = {}
    needles = list(needles)
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            hits = hits_in_bytes(path.read_bytes(), needles)
            if hits:
                found[str(path.relative_to(directory))] = hits
    return found


async def scan_tables(engine: AsyncEngine, needles: Iterable[str]) -> dict[str, list[str]]:
    """Needles found in any column of any table, read back through the database."""
    needles = list(needles)
    found: dict[str, list[str]] = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            blob = b"".join(
                value if isinstance(value, bytes) else str(value).encode()
                for row in rows
                for value in row
            )
            hits = hits_in_bytes(blob, needles)
            if hits:
                found[table.name] = hits
    return found
