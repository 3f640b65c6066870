"""The SMS budget's rules (rules.budget): sliding windows, the portal's day, the payer's
open top-ups."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from rules.budget import (
    DAY,
    PACE,
    SHORT,
    BudgetRefused,
    Limits,
    calendar_day,
    check_open_top_ups,
    check_portal,
    free_at,
)
from rules.dates import day_start, local
from tests.helpers import kyiv

NOW = kyiv(2026, 11, 25, 10, 7, 30)
LIFETIME = timedelta(minutes=10)


def test_a_window_with_room_frees_at_once():
    assert free_at([NOW - timedelta(minutes=1)] * 4, ((SHORT, 5),), NOW) is None


def test_a_full_window_frees_when_its_oldest_moment_leaves():
    moments = [NOW - timedelta(minutes=minutes) for minutes in (9, 8, 3, 2, 1)]
    assert free_at(moments, ((SHORT, 5),), NOW) == NOW + timedelta(minutes=1)


def test_the_latest_of_two_full_windows_counts():
    moments = [NOW - timedelta(hours=hours) for hours in (20, 10)] + [NOW]
    assert free_at(moments, ((SHORT, 5), (DAY, 3)), NOW) == NOW + timedelta(hours=4)


@given(st.lists(st.integers(0, 3 * 600), max_size=40), st.integers(1, 8))
def test_taking_only_what_free_at_allows_never_overfills_any_window(offsets, limit):
    """Events asked for at any moments, each taken only when free_at says so: no window
    of the length ever holds more than the limit (the fixed windows let 2x through)."""
    windows = ((SHORT, limit),)
    taken = []
    for offset in sorted(offsets):
        moment = NOW + timedelta(seconds=offset)
        if free_at(taken, windows, moment) is None:
            taken.append(moment)
    for start in taken:
        assert sum(start <= moment < start + SHORT for moment in taken) <= limit


@given(st.lists(st.integers(0, 3 * 600), min_size=1, max_size=40), st.integers(1, 8))
def test_an_event_at_the_moment_free_at_names_is_taken(offsets, limit):
    windows = ((SHORT, limit),)
    moments = [NOW + timedelta(seconds=offset) for offset in offsets]
    last = max(moments)
    frees = free_at(moments, windows, last)
    if frees is not None:
        assert frees > last
        assert free_at(moments, windows, frees) is None


def test_the_portals_day_refuses_until_midnight():
    check_portal(50_000, 50_000, NOW)
    with pytest.raises(BudgetRefused) as refused:
        check_portal(5, 4, NOW, code="strangers")
    assert (refused.value.code, refused.value.until) == ("strangers", kyiv(2026, 11, 26))


def test_strangers_get_a_share_of_the_portals_day():
    assert Limits(portal_day=50_000, strangers_share=10).strangers_day == 5_000


def test_a_second_top_up_to_another_number_or_after_payment_goes():
    check_open_top_ups([], 7, NOW, LIFETIME)  # the first was paid: nothing open
    check_open_top_ups([(8, NOW)], 7, NOW, LIFETIME)  # another number, open a moment ago


def test_a_new_code_for_the_same_open_top_up_waits_a_minute():
    with pytest.raises(BudgetRefused) as refused:
        check_open_top_ups([(7, NOW - timedelta(seconds=20))], 7, NOW, LIFETIME)
    assert (refused.value.code, refused.value.until) == ("pace", NOW + timedelta(seconds=40))
    check_open_top_ups([(7, NOW - PACE)], 7, NOW, LIFETIME)


def test_a_payer_holds_three_open_top_ups_at_most():
    opened = [(target, NOW - timedelta(minutes=minutes)) for target, minutes in
              ((1, 6), (2, 4), (3, 2))]
    with pytest.raises(BudgetRefused) as refused:
        check_open_top_ups(opened, 4, NOW, LIFETIME)
    assert (refused.value.code, refused.value.until) == ("open", NOW + timedelta(minutes=4))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                   timezones=st.just(timezone.utc)))
def test_a_calendar_day_holds_its_moment_and_is_kyivs(now):
    start, end = calendar_day(now)
    assert start <= now < end
    assert local(start).time() == local(end).time() == time(0, 0)
    assert timedelta(hours=23) <= end - start <= timedelta(hours=25)


@pytest.mark.parametrize("day,hours", [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25),
                                       (date(2026, 11, 25), 24)])
def test_the_calendar_days_of_the_clock_changes(day, hours):
    start, end = calendar_day(day_start(day) + timedelta(hours=12))
    assert (start, end - start) == (day_start(day), timedelta(hours=hours))
