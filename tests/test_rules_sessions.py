"""When a signed-in session ends by itself (rules.sessions), for subscribers and staff."""
from datetime import timedelta

from hypothesis import given, strategies as st

from rules.sessions import ENDED, LIVE, TOUCH, SessionRule, check_session
from tests.helpers import kyiv

SIGNED_IN = kyiv(2026, 11, 25, 10, 0)
IDLE = SessionRule(idle=timedelta(minutes=30))
REMEMBERED = SessionRule(lifetime=timedelta(days=30))
STAFF = SessionRule(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))


def test_idle_session_ends_after_thirty_quiet_minutes():
    seen = SIGNED_IN + timedelta(hours=5)
    assert check_session(IDLE, SIGNED_IN, seen, seen + timedelta(minutes=30)) == TOUCH
    assert check_session(IDLE, SIGNED_IN, seen, seen + timedelta(minutes=30, seconds=1)) == ENDED


def test_a_remembered_session_lasts_thirty_days_however_quiet():
    assert check_session(REMEMBERED, SIGNED_IN, SIGNED_IN, SIGNED_IN + timedelta(days=29)) == TOUCH
    assert check_session(REMEMBERED, SIGNED_IN, SIGNED_IN,
                         SIGNED_IN + timedelta(days=30, seconds=1)) == ENDED


def test_a_staff_session_ends_after_a_shift_however_busy():
    now = SIGNED_IN + timedelta(hours=12, seconds=1)
    assert check_session(STAFF, SIGNED_IN, now - timedelta(seconds=5), now) == ENDED


def test_last_seen_is_written_at_most_once_a_minute():
    seen = SIGNED_IN + timedelta(minutes=3)
    assert check_session(IDLE, SIGNED_IN, seen, seen + timedelta(seconds=60)) == LIVE
    assert check_session(IDLE, SIGNED_IN, seen, seen + timedelta(seconds=61)) == TOUCH


@given(idle=st.integers(0, 7200), age=st.integers(0, 200_000), rule=st.sampled_from(
    [IDLE, REMEMBERED, STAFF]))
def test_a_session_ends_exactly_when_a_limit_is_passed(idle, age, rule):
    now = SIGNED_IN + timedelta(seconds=age)
    seen = now - timedelta(seconds=min(idle, age))
    verdict = check_session(rule, SIGNED_IN, seen, now)
    over = ((rule.idle is not None and now - seen > rule.idle)
            or (rule.lifetime is not None and now - SIGNED_IN > rule.lifetime))
    assert (verdict == ENDED) == over
