"""The SMS budget's rule (rules.budget): which count refuses, and until when."""
from datetime import datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from rules.budget import DAY, SHORT, BudgetRefused, Limits, check_counts, window_start

NOW = datetime(2026, 11, 25, 10, 7, 30)
LIMITS = Limits(per_number_short=5, per_number_day=12, per_address_short=300,
                per_address_day=5000, portal_day=50_000)


def counts(**given):
    base = {("number", SHORT): 1, ("number", DAY): 1, ("address", SHORT): 1,
            ("address", DAY): 1, ("portal", DAY): 1}
    for key, value in given.items():
        scope, window = key.split("_")
        base[(scope, SHORT if window == "short" else DAY)] = value
    return base


def test_within_every_limit_nothing_is_refused():
    check_counts(counts(number_short=5, number_day=12, address_short=300, portal_day=50_000),
                 LIMITS, NOW)


@pytest.mark.parametrize("over, code, until", [
    ({"number_short": 6}, "number", datetime(2026, 11, 25, 10, 10)),
    ({"number_day": 13}, "number", datetime(2026, 11, 26)),
    ({"address_short": 301}, "address", datetime(2026, 11, 25, 10, 10)),
    ({"address_day": 5001}, "address", datetime(2026, 11, 26)),
    ({"portal_day": 50_001}, "portal", datetime(2026, 11, 26)),
])
def test_a_spent_count_refuses_until_its_window_ends(over, code, until):
    with pytest.raises(BudgetRefused) as refused:
        check_counts(counts(**over), LIMITS, NOW)
    assert (refused.value.code, refused.value.until) == (code, until)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
       st.sampled_from([SHORT, DAY, timedelta(hours=1)]))
def test_a_window_holds_its_moment(now, length):
    start = window_start(now, length)
    assert start <= now < start + length
    assert window_start(start, length) == start
