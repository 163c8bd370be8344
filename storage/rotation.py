"""Key rotation: re-wrap every data key under a new key-encryption key, beside a live bot.

Resumable by construction: the new KEK is saved to the keyring *before* any data key moves,
every batch commits on its own, and old KEKs leave the keyring only once no data key needs
them. Killed at any point, the next `intake-bot keys rotate` carries on from where it stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.keyring import Keyring, WrappedKey
from storage.models import DataKeyRow


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What a rotation did."""

    active_kek_id: str
    resumed: bool
    rewrapped: int
    retired: tuple[str, ...]


async def _pending(sessions: async_sessionmaker[AsyncSession], active: str) -> int:
    async with sessions() as session:
        result = await session.execute(
            select(func.count()).select_from(DataKeyRow).where(DataKeyRow.kek_id != active)
        )
        return int(result.scalar_one())


async def _rewrap_batch(
    sessions: async_sessionmaker[AsyncSession], keyring: Keyring, batch_size: int
) -> int:
    active = keyring.active_kek_id
    async with sessions() as session, session.begin():
        rows = (
            (
                await session.execute(
                    select(DataKeyRow).where(DataKeyRow.kek_id != active).limit(batch_size)
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            owner = f"{row.owner_kind}:{row.id}"
            dek = keyring.unwrap(WrappedKey(row.kek_id, row.wrapped), owner)
            new = keyring.wrap(dek, owner)
            # Compare-and-swap: a row shredded or changed meanwhile is left alone.
            await session.execute(
                update(DataKeyRow)
                .where(DataKeyRow.id == row.id, DataKeyRow.kek_id == row.kek_id)
                .values(kek_id=new.kek_id, wrapped=new.blob)
            )
        return len(rows)


async def rotate(
    sessions: async_sessionmaker[AsyncSession],
    keyring_path: Path,
    *,
    batch_size: int = 500,
    grace_seconds: float = 5.0,
    progress: Callable[[int, int], None] | None = None,
) -> RotationReport:
    """Rotate to a new KEK (or finish an interrupted rotation) and retire the old ones.

    `grace_seconds` lets running bots notice the new keyring (they stat the file before every
    wrap) so no new data key is wrapped under an old KEK after the last pass.
    """
    keyring = Keyring.load(keyring_path)
    resumed = len(keyring.keks) > 1
    if not resumed:
        keyring = keyring.rotated()
        keyring.save()
    await asyncio.sleep(grace_seconds)
    active = keyring.active_kek_id
    total = await _pending(sessions, active)
    done = 0
    while moved := await _rewrap_batch(sessions, keyring, batch_size):
        done += moved
        if progress is not None:
            progress(done, total)
    old = tuple(kid for kid in keyring.keks if kid != active)
    keyring.retire(old).save()
    # A straggler wrapped by a slow writer after the last pass: re-wrap it with the old KEKs
    # still in memory, so nothing is ever left under a key that no longer exists.
    done += await _rewrap_batch(sessions, keyring, batch_size)
    return RotationReport(active, resumed, done, old)
