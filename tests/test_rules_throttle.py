from datetime import datetime, timedelta

from hypothesis import given, strategies as st

from rules.throttle import LOCKOUT, MAX_FAILURES, WINDOW, locked_until

T0 = datetime(2026, 11, 25, 10, 0)


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
