"""Case vocabulary: statuses, urgency, and the public case code."""

from __future__ import annotations

import secrets
from enum import IntEnum, StrEnum

# Crockford's base32 without I, L, O, U: nothing to confuse when read out over a phone.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4  # 12 symbols of 5 bits: 60 random bits, far beyond guessing


class CaseStatus(StrEnum):
    """Where a case is in its life."""

    DRAFT = "draft"  # Tier 0 not yet complete; shredded if abandoned
    NEW = "new"  # Tier 0 complete, lawyers alerted
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    IN_CONTACT = "in_contact"
    IN_COURT = "in_court"
    RELEASED = "released"
    DEPORTED = "deported"
    CONVICTED = "convicted"
    CLOSED = "closed"


class Urgency(StrEnum):
    """How fast a lawyer must act; see shared product rules."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class Priority(IntEnum):
    """Outbox order: lower goes first. Alerts jump ahead of everything else."""

    URGENT = 0
    HIGH = 1
    NORMAL = 2
    REPLY = 5
    BACKGROUND = 9


def priority_for(urgency: Urgency) -> Priority:
    """The outbox priority of an alert of this urgency."""
    return Priority[urgency.name]


def new_case_code() -> str:
    """A hard-to-guess, easy-to-read code such as `K7QM-4TRX-9HWD`."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def normalise_case_code(text: str) -> str | None:
    """Accept a code typed loosely (lower case, spaces, O for 0, I/L for 1); None if invalid."""
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    symbols = "".join(ch for ch in text.upper().translate(table) if ch.isalnum())
    if len(symbols) != CODE_GROUPS * CODE_GROUP_LENGTH:
        return None
    if any(ch not in CODE_ALPHABET for ch in symbols):
        return None
    return "-".join(
        symbols[i : i + CODE_GROUP_LENGTH] for i in range(0, len(symbols), CODE_GROUP_LENGTH)
    )
