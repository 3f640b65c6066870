from datetime import timedelta

from hypothesis import given, strategies as st

from rules.throttle import LOCKOUT, MAX_FAILURES, WINDOW, Burst, GrowingDelay, locked_until
from tests.helpers import kyiv

T0 = kyiv(2026, 11, 25, 10, 0)


def minutes(*values):
    return [T0 + timedelta(minutes=m) for m in values]


def test_ten_failures_in_fifteen_minutes_lock_for_fifteen():
    failures = minutes(*range(10))
    assert locked_until(failures[:9], T0 + timedelta(minutes=9)) is None
    assert locked_until(failures, T0 + timedelta(minutes=9)) == T0 + timedelta(minutes=24)
    assert locked_until(failures, T0 + timedelta(minutes=24)) is None


def test_failures_spread_out_do_not_lock():
    assert locked_until(minutes(*range(0, 40, 4)), T0 + timedelta(minutes=40)) is None


@given(st.lists(st.integers(0, 120), max_size=30), st.integers(0, 200))
def test_lock_needs_a_dense_run(offsets, now_offset):
    failures = minutes(*offsets)
    now = T0 + timedelta(minutes=now_offset)
    until = locked_until(failures, now)
    if until is not None:
        assert now < until <= max(failures) + LOCKOUT
        last = until - LOCKOUT
        run = [t for t in failures if last - WINDOW <= t <= last]
        assert len(run) >= MAX_FAILURES
    if len(failures) < MAX_FAILURES:
        assert until is None


# Growing delays (a staff account) and a burst of a client address ---------------------------

def test_growing_delays_double_past_the_free_failures_up_to_an_hour():
    rule = GrowingDelay()
    assert [rule.delay(n).total_seconds() / 60 for n in range(1, 14)] == [
        0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_a_growing_delay_runs_from_the_latest_failure():
    rule = GrowingDelay()
    failures = minutes(*range(7))  # the 7th failure waits 2 minutes
    assert rule.locked_until(failures, T0 + timedelta(minutes=7)) == T0 + timedelta(minutes=8)
    assert rule.locked_until(failures, T0 + timedelta(minutes=8)) is None
    assert rule.locked_until(failures[:5], T0 + timedelta(minutes=5)) is None


def test_a_growing_delay_forgets_after_a_day():
    rule = GrowingDelay()
    failures = minutes(*range(12))
    assert rule.locked_until(failures, T0 + timedelta(hours=24, minutes=11, seconds=1)) is None


@given(st.lists(st.integers(0, 3000), max_size=60), st.integers(0, 3000))
def test_a_growing_delay_never_waits_more_than_an_hour_after_the_latest(offsets, now_offset):
    rule = GrowingDelay()
    now = T0 + timedelta(minutes=now_offset)
    failures = [at for at in minutes(*offsets) if at <= now]
    until = rule.locked_until(failures, now)
    if until is not None:
        assert now < until <= max(failures) + timedelta(hours=1)


def test_a_burst_is_the_account_throttle_with_its_own_figures():
    rule = Burst(max_failures=3, window=timedelta(hours=1), lockout=timedelta(hours=1))
    assert rule.locked_until(minutes(0, 10), T0 + timedelta(minutes=10)) is None
    assert rule.locked_until(minutes(0, 10, 50), T0 + timedelta(minutes=50)) == T0 + timedelta(
        minutes=110)
    assert rule.relevant_since(T0) == T0 - timedelta(hours=2)
