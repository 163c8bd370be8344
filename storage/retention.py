"""Retention: closed cases are crypto-shredded when their window has passed.

Rules (the windows come from the ``RETENTION_DAYS_*`` settings):

* Only cases in a closed status (closed, released, deported, convicted) ever expire; each status
  has a window of its own, counted from ``closed_at`` (``updated_at`` if a closed case lacks
  one). Open cases never expire automatically; drafts are swept elsewhere (``DRAFT_TTL_HOURS``).
* ``retain_until`` (set by :func:`extend`) keeps a case at least until that moment.
* A further report linked to a case (``duplicate_of``) lives and dies with that case: it is
  shredded together with it and never on its own. A case that received a further report after
  it was closed is **held** (not shredded) and listed, since someone may still be acting on it.
* Shredding destroys the case's data key, then its rows (answers, attachments, notes and outbox
  rows go with the case row), and queues the edit that blanks its card in the lawyers' chat (the
  card showed some of the case), one case per transaction, with one ``case.shredded`` audit entry
  per shredded case in that same transaction: the log says exactly what was destroyed.

Every function takes ``now`` (aware) so tests can move time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy import func, or_, select, update

from bot.domain.cases import CaseStatus
from storage.models import Case
from storage.repositories.audit import AuditAnchor, AuditLog
from storage.repositories.cases import CLOSED_STATUSES
from storage.store import SqlStore, SqlTransaction

DEFAULT_WINDOW_DAYS = 90


class RetentionError(Exception):
    """A retention request cannot be carried out (one sentence, no case content)."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How long closed cases are kept, per closed status; a status without a window is kept."""

    windows: Mapping[CaseStatus, timedelta] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for status, window in self.windows.items():
            if status not in CLOSED_STATUSES:
                raise ValueError(f"open status {status.value} cannot have a retention window")
            if window <= timedelta(0):
                raise ValueError(f"the retention window of {status.value} must be positive")
        object.__setattr__(self, "windows", MappingProxyType(dict(self.windows)))

    @classmethod
    def from_days(cls, days: Mapping[CaseStatus, int | None]) -> RetentionPolicy:
        """From whole days per status; None means never."""
        return cls({s: timedelta(days=d) for s, d in days.items() if d is not None})

    def window(self, status: CaseStatus) -> timedelta | None:
        """The window of a status, or None when cases in it never expire."""
        return self.windows.get(status)

    def expires_at(
        self, status: CaseStatus, closed_at: datetime, retain_until: datetime | None
    ) -> datetime | None:
        """When a case in `status`, closed at `closed_at`, expires; None for never."""
        window = self.window(status)
        if window is None:
            return None
        expiry = closed_at + window
        return expiry if retain_until is None else max(expiry, retain_until)


DEFAULT_POLICY = RetentionPolicy.from_days(dict.fromkeys(CLOSED_STATUSES, DEFAULT_WINDOW_DAYS))


@dataclass(frozen=True, slots=True)
class Expiry:
    """A case that expires (or expired): metadata only."""

    case_id: uuid.UUID
    code: str
    status: CaseStatus
    closed_at: datetime
    expires_at: datetime
    retain_until: datetime | None
    linked_codes: tuple[str, ...]
    held: bool  # a further report arrived after it was closed: not shredded automatically


@dataclass(frozen=True, slots=True)
class Shredded:
    """One shredded case, and the further reports shredded with it."""

    code: str
    status: CaseStatus
    expired_at: datetime
    linked_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """What :func:`shred_expired` did."""

    shredded: tuple[Shredded, ...]
    held: tuple[Expiry, ...]

    @property
    def shredded_codes(self) -> tuple[str, ...]:
        """Every code shredded, linked reports included."""
        return tuple(c for s in self.shredded for c in (s.code, *s.linked_codes))


@dataclass(frozen=True, slots=True)
class Extension:
    """The result of :func:`extend`."""

    code: str
    retain_until: datetime
    expires_at: datetime | None  # None while the case is open (it never expires then)


def _closed_base(row: Case) -> datetime:
    return row.closed_at or row.updated_at


async def _linked(tx: SqlTransaction, case_id: uuid.UUID) -> list[Case]:
    rows = await tx.session.execute(
        select(Case).where(Case.duplicate_of == case_id).order_by(Case.created_at)
    )
    return list(rows.scalars())


def _expiry(policy: RetentionPolicy, row: Case, linked: Iterable[Case]) -> Expiry | None:
    status = CaseStatus(row.status)
    if row.duplicate_of is not None:
        return None  # follows its case
    closed = _closed_base(row)
    expires = policy.expires_at(status, closed, row.retain_until)
    if expires is None:
        return None
    linked = list(linked)
    held = any(report.created_at > closed for report in linked)
    return Expiry(
        row.id,
        row.code,
        status,
        closed,
        expires,
        row.retain_until,
        tuple(report.code for report in linked),
        held,
    )


async def expiring(
    store: SqlStore, policy: RetentionPolicy, now: datetime, within: timedelta = timedelta(0)
) -> list[Expiry]:
    """Cases that expire by `now + within` (already expired ones included), soonest first.

    Runs on plaintext metadata and indexes only: nothing is decrypted.
    """
    horizon = now + within
    found: list[Expiry] = []
    async with store.transaction() as tx:
        for status, window in policy.windows.items():
            rows = await tx.session.execute(
                select(Case).where(
                    Case.status == status.value,
                    Case.duplicate_of.is_(None),
                    func.coalesce(Case.closed_at, Case.updated_at) <= horizon - window,
                    or_(Case.retain_until.is_(None), Case.retain_until <= horizon),
                )
            )
            for row in rows.scalars():
                expiry = _expiry(policy, row, await _linked(tx, row.id))
                if expiry is not None and expiry.expires_at <= horizon:
                    found.append(expiry)
    found.sort(key=lambda e: (e.expires_at, e.code))
    return found


async def shred_expired(
    store: SqlStore,
    policy: RetentionPolicy,
    now: datetime,
    *,
    anchor: AuditAnchor,
    actor: str = "system",
    limit: int | None = None,
) -> RetentionRun:
    """Crypto-shred every expired case (with its linked reports), one transaction per case.

    Each case is re-read inside its own transaction (locked on PostgreSQL), so one reopened or
    extended since it was listed is left alone. Held cases are returned, not shredded.
    """
    candidates = await expiring(store, policy, now)
    shredded: list[Shredded] = []
    held: list[Expiry] = []
    for candidate in candidates:
        if limit is not None and len(shredded) >= limit:
            break
        if candidate.held:
            held.append(candidate)
            continue
        audit: AuditLog | None = None
        async with store.transaction() as tx:
            row = (
                await tx.session.execute(
                    select(Case).where(Case.id == candidate.case_id).with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                continue  # shredded meanwhile
            linked = await _linked(tx, row.id)
            fresh = _expiry(policy, row, linked)
            if fresh is None or fresh.expires_at > now:
                continue  # reopened or extended meanwhile
            if fresh.held:
                held.append(fresh)
                continue
            audit = AuditLog(tx.session, store.vault.keys, anchor)
            for report in linked:
                await tx.shred_case(report.id)
                await audit.append(
                    actor, "case.shredded", case_code=report.code, detail=f"with {row.code}", at=now
                )
            await tx.shred_case(row.id)
            window = policy.window(fresh.status)
            days = 0 if window is None else window.days
            await audit.append(
                actor,
                "case.shredded",
                case_code=row.code,
                detail=f"retention: {fresh.status.value} +{days}d"
                + (" (extended)" if row.retain_until is not None else ""),
                at=now,
            )
            shredded.append(Shredded(row.code, fresh.status, fresh.expires_at, fresh.linked_codes))
        if audit is not None:
            await anchor.advance(audit.head)
    return RetentionRun(tuple(shredded), tuple(held))


async def extend(
    store: SqlStore,
    policy: RetentionPolicy,
    code: str,
    days: int,
    now: datetime,
    *,
    anchor: AuditAnchor,
    actor: str,
) -> Extension:
    """Keep a case `days` longer than it would be kept now (from its current expiry, or from
    `now` if that is later or the case is open), recorded as ``case.retention_extended``.

    Raises:
        RetentionError: No such case, a linked report (extend its case), or `days` below 1.
    """
    if days < 1:
        raise RetentionError("an extension is at least one day")
    async with store.transaction() as tx:
        row = (
            await tx.session.execute(select(Case).where(Case.code == code).with_for_update())
        ).scalar_one_or_none()
        if row is None:
            raise RetentionError(f"there is no case {code}")
        if row.duplicate_of is not None:
            primary = await tx.session.get(Case, row.duplicate_of)
            other = "its case" if primary is None else primary.code
            raise RetentionError(
                f"{code} is a further report of {other} and is kept as long as it; extend {other}"
            )
        status = CaseStatus(row.status)
        current = (
            policy.expires_at(status, _closed_base(row), row.retain_until)
            if status in CLOSED_STATUSES
            else row.retain_until
        )
        start = now if current is None or current < now else current
        retain_until = start + timedelta(days=days)
        # updated_at is kept as it is: extending retention is not activity on the case.
        await tx.session.execute(
            update(Case)
            .where(Case.id == row.id)
            .values(retain_until=retain_until, updated_at=row.updated_at)
        )
        audit = AuditLog(tx.session, store.vault.keys, anchor)
        await audit.append(
            actor,
            "case.retention_extended",
            case_code=row.code,
            detail=f"+{days}d until {retain_until.date().isoformat()}",
            at=now,
        )
        expires = (
            policy.expires_at(status, _closed_base(row), retain_until)
            if status in CLOSED_STATUSES
            else None
        )
    await anchor.advance(audit.head)
    return Extension(code, retain_until, expires)
