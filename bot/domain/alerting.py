"""Alerting policy: who is paged when, when a claim lapses, when the chat is in surge mode.

Defaults follow shared/product/alerting.md: URGENT pages at 0, 5 and 15 minutes, then every
15 minutes for at most 3 more rounds; HIGH at 0, 15 and 60 minutes; NORMAL goes to the
coordinators' queue. A claim with no progress within 30 minutes lapses and escalation resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.cases import CaseStatus, Urgency

# Statuses in which a case still needs a lawyer's attention: cards keep their buttons and
# escalation runs. (Coordinators' triage lists use the wider workflow.OPEN.)
ALERTABLE = frozenset(
    {CaseStatus.NEW, CaseStatus.TRIAGED, CaseStatus.ASSIGNED, CaseStatus.IN_CONTACT}
)


class Audience(StrEnum):
    """Who a round of escalation reaches (private messages; the card is in the group)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    ALL_ON_CALL = "all_on_call"
    COORDINATORS = "coordinators"


@dataclass(frozen=True, slots=True)
class Round:
    """One escalation step: when (after the alert) and whom to page."""

    after: timedelta
    audience: frozenset[Audience]


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


CLAIM_LAPSE = timedelta(minutes=30)
REMINDER_URGENT = timedelta(hours=1)
REMINDER_HIGH = timedelta(hours=3)
SURGE_WINDOW = timedelta(minutes=15)
DIGEST_EVERY = timedelta(minutes=3)


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """Escalation schedules per urgency, claim lapse and surge thresholds (all configurable)."""

    urgent: tuple[Round, ...] = (
        Round(_minutes(0), frozenset({Audience.PRIMARY})),
        Round(_minutes(5), frozenset({Audience.PRIMARY, Audience.SECONDARY})),
        Round(_minutes(15), frozenset({Audience.ALL_ON_CALL, Audience.COORDINATORS})),
        Round(_minutes(30), frozenset({Audience.ALL_ON_CALL, Audience.COORDINATORS})),
        Round(_minutes(45), frozenset({Audience.ALL_ON_CALL, Audience.COORDINATORS})),
        Round(_minutes(60), frozenset({Audience.ALL_ON_CALL, Audience.COORDINATORS})),
    )
    high: tuple[Round, ...] = (
        Round(_minutes(0), frozenset()),  # the card in the group only
        Round(_minutes(15), frozenset({Audience.PRIMARY})),
        Round(_minutes(60), frozenset({Audience.COORDINATORS})),
    )
    normal: tuple[Round, ...] = (Round(_minutes(0), frozenset()),)
    claim_lapse: timedelta = CLAIM_LAPSE
    reminder_urgent: timedelta = REMINDER_URGENT
    reminder_high: timedelta = REMINDER_HIGH
    surge_cases: int = 10
    surge_window: timedelta = SURGE_WINDOW
    digest_every: timedelta = DIGEST_EVERY

    def rounds(self, urgency: Urgency) -> tuple[Round, ...]:
        """The schedule for an urgency."""
        return {Urgency.URGENT: self.urgent, Urgency.HIGH: self.high}.get(urgency, self.normal)

    def round_due(self, urgency: Urgency, index: int) -> Round | None:
        """The round with this index, or None past the last."""
        rounds = self.rounds(urgency)
        return rounds[index] if 0 <= index < len(rounds) else None

    def next_at(self, urgency: Urgency, started: datetime, index: int) -> datetime | None:
        """When round `index` is due for an alert (or a lapsed claim) that started at `started`."""
        due = self.round_due(urgency, index)
        return None if due is None else started + due.after

    def reminder_every(self, urgency: Urgency) -> timedelta | None:
        """How often to remind the taker of an unresolved case."""
        return {Urgency.URGENT: self.reminder_urgent, Urgency.HIGH: self.reminder_high}.get(urgency)

    def surge(self, new_cases_in_window: int) -> bool:
        """Whether this many new cases within the window means surge mode."""
        return new_cases_in_window > self.surge_cases


class CardLevel(StrEnum):
    """How much the card in the lawyers' group shows."""

    MINIMAL = "minimal"  # urgency, code, city, status
    SUMMARY = "summary"  # + where held, since when, agency, lawyer, citizenship, removal
    FULL = "full"  # + name and date of birth (never phone numbers)


class ClaimAction(StrEnum):
    """Buttons on the card; the value travels in callback data."""

    TAKE = "t"
    DECLINE = "d"
    DETAILS = "i"
    IN_CONTACT = "c"
    ON_SITE = "s"
    RESOLVE = "r"


TAKER_ONLY = frozenset({ClaimAction.IN_CONTACT, ClaimAction.ON_SITE, ClaimAction.RESOLVE})
