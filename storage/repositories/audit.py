"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, utcnow

GENESIS = bytes(32)
# Serialises appends on PostgreSQL so two writers cannot both chain onto the same entry
# (SQLite transactions already run one at a time: BEGIN IMMEDIATE).
_PG_AUDIT_LOCK = 0x1A7D17


def entry_digest(
    prev_hash: bytes,
    *,
    at: datetime,
    actor: str,
    action: str,
    case_code: str | None,
    detail: str | None,
) -> bytes:
    """SHA-256 over the previous hash and a canonical encoding of the entry."""
    body = json.dumps(
        [at.isoformat(timespec="microseconds"), actor, action, case_code, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()
    return hashlib.sha256(prev_hash + body).digest()


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Where the chain breaks."""

    entry_id: int
    reason: str


class AuditLog:
    """Append entries; verify the chain."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(
        self, actor: str, action: str, *, case_code: str | None = None, detail: str | None = None
    ) -> None:
        """Add an entry chained to the last one. Never put case content in `detail`."""
        if self._session.bind is not None and self._session.bind.dialect.name == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK}
            )
        last = await self._session.execute(
            select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
        )
        prev = last.scalar_one_or_none() or GENESIS
        at = utcnow()
        self._session.add(
            AuditEntry(
                at=at,
                actor=actor,
                action=action,
                case_code=case_code,
                detail=detail,
                prev_hash=prev,
                entry_hash=entry_digest(
                    prev, at=at, actor=actor, action=action, case_code=case_code, detail=detail
                ),
            )
        )
        await self._session.flush()

    async def verify(self) -> list[ChainProblem]:
        """Every break in the chain: an altered, removed or reordered entry."""
        problems: list[ChainProblem] = []
        prev = GENESIS
        result = await self._session.execute(select(AuditEntry).order_by(AuditEntry.id))
        for entry in result.scalars():
            if entry.prev_hash != prev:
                problems.append(ChainProblem(entry.id, "does not follow the previous entry"))
            expected = entry_digest(
                entry.prev_hash,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                case_code=entry.case_code,
                detail=entry.detail,
            )
            if expected != entry.entry_hash:
                problems.append(ChainProblem(entry.id, "was altered"))
            prev = entry.entry_hash
        return problems
