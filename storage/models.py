"""SQLAlchemy 2 typed models.

What may be plaintext here is metadata a coordinator filters on (status, urgency, times,
question ids, counts) and random identifiers. Everything a person typed or uploaded, and every
Telegram identity, is a ciphertext (`LargeBinary` columns named for their content) from
`storage.crypto`, bound to its owner, table, field and row. People are found through keyed hashes
(blind indexes), never plaintext ids. Keys live in the keyring file; `data_keys` holds only
per-owner data keys wrapped by a key-encryption key from that file.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so SQLite batch migrations can drop and recreate them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so store naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DataKeyRow(Base):
    """A per-owner data key, wrapped by a key-encryption key (KEK) from the keyring.

    The row's id is the owner's id (a case or a reporter). Deleting the row is crypto-shredding:
    every ciphertext of that owner becomes unreadable, wherever copies of it survive.
    """

    __tablename__ = "data_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reporter(Base):
    """Someone who reported through the bot; their Telegram identity is encrypted."""

    __tablename__ = "reporters"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # HMAC blind index of the Telegram user id: finds the row without storing the id.
    lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # Encrypted JSON: user id, chat id, username, names, language code.
    identity: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """A detention case: plaintext workflow metadata, encrypted content in `answers`."""

    __tablename__ = "cases"
    # Triage lists filter and sort on these without decrypting anything.
    __table_args__ = (
        Index("ix_cases_status_urgency_tier0", "status", "urgency", "tier0_completed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    urgency: Mapped[str] = mapped_column(String(8), index=True)
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("reporters.id", ondelete="SET NULL"), index=True
    )
    # Blind index of the detained person's normalised name and date of birth (duplicates).
    person_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    # A later report of the same person points at the first case (a coordinator confirms merges).
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    tier0_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Alerting: the card in the lawyers' chat, the claim, and the escalation timer.
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # During a surge a case is announced in a digest instead of a card of its own.
    digest_message_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress: Mapped[str | None] = mapped_column(String(16))  # in_contact | on_site
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_round: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Two-way contact: the staff member who last wrote to the reporter through the bot, to
    # whom the reporter's next answers go back (privately; neither side sees the other).
    last_contact_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff.id", ondelete="SET NULL")
    )


class Answer(Base):
    """One encrypted answer to one question of a case."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("case_id", "question_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Staff(Base):
    """A lawyer, coordinator or admin. Their Telegram identity is encrypted like a reporter's."""

    __tablename__ = "staff"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    identity: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(16), index=True)
    # Whether they opened a private chat with the bot (only then can it write to them).
    reachable: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Listed in LAWYER_IDS/COORDINATOR_IDS/ADMIN_IDS (leaving the list revokes the role at the
    # next start) rather than granted with /grant (kept until /revoke).
    from_settings: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the staff member's next message means ("a note for case X"), encrypted: a
    # conversation state of their own, so a restart loses nothing.
    pending: Mapped[bytes | None] = mapped_column(LargeBinary)


class CaseNote(Base):
    """A staff note on a case, encrypted under the case's key."""

    __tablename__ = "case_notes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff.id", ondelete="SET NULL")
    )
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RosterShift(Base):
    """A weekly on-call shift: weekday and minutes of the day, in the deployment's time zone."""

    __tablename__ = "roster_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("staff.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[str] = mapped_column(String(16))  # primary | secondary
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)  # may be past midnight: up to 2880


class RosterSubstitute(Base):
    """A one-off replacement for a position over a span of time."""

    __tablename__ = "roster_substitutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("staff.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AlertState(Base):
    """One row: whether the lawyers' chat is in surge (digest) mode."""

    __tablename__ = "alert_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    surge: Mapped[bool] = mapped_column(Boolean, default=False)
    surge_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A photo or document, stored as encrypted chunks; name, type and size are encrypted too.

    `complete` turns true only once every chunk is stored, so a download cut short by a crash
    is never mistaken for a whole file (and is swept away later).
    """

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    meta: Mapped[bytes | None] = mapped_column(LargeBinary)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttachmentChunk(Base):
    """One encrypted piece of an attachment, bound to its attachment and position."""

    __tablename__ = "attachment_chunks"

    attachment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Conversation(Base):
    """Where a reporter is in the conversation: encrypted, one row per reporter.

    `last_update_id` makes redelivered updates harmless; `version` guards against two workers
    writing the same conversation.
    """

    __tablename__ = "conversations"

    reporter_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("reporters.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[bytes] = mapped_column(LargeBinary)
    last_update_id: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class ProcessedUpdate(Base):
    """Telegram update ids already handled, written in the same transaction as the effect."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the change that causes it.

    Priority 0 is the most urgent. `payload` is encrypted under the case's key (or the
    recipient's when there is no case); the destination is symbolic (`lawyers`, `reporter`,
    `staff:<ref>`) so no chat id sits here in the clear.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "available_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # The staff member a message is about (e.g. "cannot be reached"), when not a case.
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(SmallInteger)
    destination: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error_code: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Set while a send is in flight; a worker killed mid-send leaves it, and the row is then
    # retried once as "uncertain" (the message may or may not have reached Telegram).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Append-only audit log, each entry chained to the previous by a hash.

    Holds case codes and role-holder references, never case content.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48), index=True)
    case_code: Mapped[str | None] = mapped_column(String(16), index=True)
    detail: Mapped[str | None] = mapped_column(String(255))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
