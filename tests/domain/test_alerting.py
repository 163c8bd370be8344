"""The alerting policy: schedules per urgency, reminders, surge threshold; button data."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.callbacks import CallbackCodec
from bot.alerts.setup import policy_from
from bot.config import load_settings
from bot.domain.alerting import Audience, ClaimAction, EscalationPolicy, Round
from bot.domain.cases import Urgency, new_case_code

START = datetime(2026, 1, 12, 14, 0, tzinfo=ZoneInfo("Asia/Almaty"))
P, S = Audience.PRIMARY, Audience.SECONDARY
EVERYONE = frozenset({Audience.ALL_ON_CALL, Audience.COORDINATORS})


def schedule(rounds: tuple[Round, ...]) -> list[tuple[float, frozenset[Audience]]]:
    """(minutes, audience) of each round."""
    return [(r.after.total_seconds() / 60, r.audience) for r in rounds]


def test_urgent_pages_primary_then_both_then_everyone_every_15_minutes_three_more_times() -> None:
    assert schedule(EscalationPolicy().rounds(Urgency.URGENT)) == [
        (0, frozenset({P})),
        (5, frozenset({P, S})),
        (15, EVERYONE),
        (30, EVERYONE),
        (45, EVERYONE),
        (60, EVERYONE),
    ]


def test_high_shows_the_card_then_pages_the_primary_at_15_and_coordinators_at_60() -> None:
    assert schedule(EscalationPolicy().rounds(Urgency.HIGH)) == [
        (0, frozenset()),
        (15, frozenset({P})),
        (60, frozenset({Audience.COORDINATORS})),
    ]


def test_normal_pages_nobody() -> None:
    assert schedule(EscalationPolicy().rounds(Urgency.NORMAL)) == [(0, frozenset())]


def test_round_due_and_next_at_end_after_the_last_round() -> None:
    policy = EscalationPolicy()
    assert policy.round_due(Urgency.URGENT, 5) is not None
    assert policy.round_due(Urgency.URGENT, 6) is None
    assert policy.round_due(Urgency.URGENT, -1) is None
    assert policy.next_at(Urgency.URGENT, START, 1) == START + timedelta(minutes=5)
    assert policy.next_at(Urgency.HIGH, START, 2) == START + timedelta(minutes=60)
    assert policy.next_at(Urgency.HIGH, START, 3) is None
    assert policy.next_at(Urgency.NORMAL, START, 1) is None


def test_reminders_every_hour_for_urgent_and_three_hours_for_high() -> None:
    policy = EscalationPolicy()
    assert policy.reminder_every(Urgency.URGENT) == timedelta(hours=1)
    assert policy.reminder_every(Urgency.HIGH) == timedelta(hours=3)
    assert policy.reminder_every(Urgency.NORMAL) is None
    assert policy.claim_lapse == timedelta(minutes=30)


@pytest.mark.parametrize(("cases", "surge"), [(0, False), (10, False), (11, True), (500, True)])
def test_surge_means_more_than_ten_new_cases_in_the_window(cases: int, surge: bool) -> None:
    policy = EscalationPolicy()
    assert policy.surge(cases) is surge
    assert policy.surge_window == timedelta(minutes=15)


def test_the_policy_from_default_settings_is_the_product_default() -> None:
    policy = policy_from(load_settings(_env_file=None))
    default = EscalationPolicy()
    assert policy.urgent == default.urgent
    assert policy.high == default.high
    assert policy.claim_lapse == default.claim_lapse
    assert (policy.surge_cases, policy.surge_window) == (default.surge_cases, default.surge_window)
    assert policy.digest_every == default.digest_every


def test_configured_minutes_keep_the_audiences_of_each_step() -> None:
    settings = load_settings(
        _env_file=None,
        escalation_urgent_minutes="0,2,10,20",
        escalation_high_minutes="0,30",
        claim_lapse_minutes=10,
        surge_cases=3,
    )
    policy = policy_from(settings)
    assert schedule(policy.urgent) == [
        (0, frozenset({P})),
        (2, frozenset({P, S})),
        (10, EVERYONE),
        (20, EVERYONE),
    ]
    assert schedule(policy.high) == [(0, frozenset()), (30, frozenset({P}))]
    assert policy.claim_lapse == timedelta(minutes=10)
    assert policy.surge(4)
    assert not policy.surge(3)


# -- card button data --------------------------------------------------------------------------


def test_button_data_round_trips_and_fits_telegrams_64_bytes() -> None:
    codec = CallbackCodec(b"k" * 32)
    for action in ClaimAction:
        code = new_case_code()
        data = codec.encode(action, code)
        assert len(data.encode()) <= 64
        assert data.startswith(CallbackCodec.prefix())
        assert codec.decode(data) == (action, code)


def test_button_data_of_another_key_or_altered_in_any_place_is_refused() -> None:
    codec = CallbackCodec(b"k" * 32)
    code = new_case_code()
    data = codec.encode(ClaimAction.TAKE, code)
    assert CallbackCodec(b"j" * 32).decode(data) is None
    for i in range(len(data)):
        for replacement in "AK0tZ":
            altered = data[:i] + replacement + data[i + 1 :]
            if altered != data:
                assert codec.decode(altered) is None, altered
    for junk in ("", "K", data + "A", data[:-1], "x" * 64, "1:2:3"):
        assert codec.decode(junk) is None


def test_button_data_names_a_code_the_way_the_case_stores_it() -> None:
    codec = CallbackCodec(b"k" * 32)
    code = new_case_code()
    action, decoded = codec.decode(codec.encode(ClaimAction.DETAILS, code)) or (None, "")
    assert action is ClaimAction.DETAILS
    assert decoded == code
    assert decoded.count("-") == 2
