"""The case workflow coordinators drive: statuses, allowed transitions, triage filters."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.cases import CaseStatus

S = CaseStatus
FINAL = frozenset({S.RELEASED, S.DEPORTED, S.CONVICTED})
OPEN = frozenset({S.NEW, S.TRIAGED, S.ASSIGNED, S.IN_CONTACT, S.IN_COURT})
TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    S.NEW: (S.TRIAGED, S.ASSIGNED, S.CLOSED),
    S.TRIAGED: (S.ASSIGNED, S.CLOSED),
    S.ASSIGNED: (
        S.IN_CONTACT,
        S.IN_COURT,
        S.RELEASED,
        S.DEPORTED,
        S.CONVICTED,
        S.TRIAGED,
        S.CLOSED,
    ),
    S.IN_CONTACT: (S.IN_COURT, S.RELEASED, S.DEPORTED, S.CONVICTED, S.CLOSED),
    S.IN_COURT: (S.RELEASED, S.DEPORTED, S.CONVICTED, S.CLOSED),
    S.RELEASED: (S.CLOSED, S.TRIAGED),
    S.DEPORTED: (S.CLOSED, S.TRIAGED),
    S.CONVICTED: (S.CLOSED, S.TRIAGED),
    S.CLOSED: (S.TRIAGED,),
    S.DRAFT: (),
}


def can_move(current: CaseStatus, target: CaseStatus) -> bool:
    """Whether a coordinator may move a case from `current` to `target`."""
    return target in TRANSITIONS.get(current, ())


class TriageFilter(StrEnum):
    """Which cases a triage list shows."""

    OPEN = "o"
    UNCLAIMED = "u"
    URGENT = "x"
    STALE = "s"
    ALL = "a"


class Role(StrEnum):
    """Staff roles; everyone else is a reporter."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    LAWYER = "lawyer"


MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
STAFF = frozenset(Role)


def may_grant(granter: Role, role: Role) -> bool:
    """Admins grant any role; coordinators only make lawyers."""
    return granter is Role.ADMIN or (granter is Role.COORDINATOR and role is Role.LAWYER)
