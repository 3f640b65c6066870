"""The self-service credit's rules: who may take one and from when, the amounts by
spending, what a payment repays, and when an unpaid one is charged."""
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, strategies as st

from rules import credit as credit_rules, states as states_rules
from rules.credit import Applicant, CreditRefused, Tier

TODAY = date(2026, 11, 25)
TIERS = (Tier(0, 2000), Tier(10000, 5000), Tier(25000, 10000))
days = st.dates(date(2020, 1, 1), date(2030, 12, 31))


def applicant(**changes):
    fields = dict(kind="mobile", customer="individual", payment="prepaid", state="active",
                  activated_on=date(2022, 1, 1), last_granted_on=None, has_open=False)
    return Applicant(**{**fields, **changes})


def refusal(who, today=TODAY):
    with pytest.raises(CreditRefused) as caught:
        credit_rules.check(who, today)
    return caught.value


# Eligibility ---------------------------------------------------------------------------

def test_a_prepaid_person_with_us_long_enough_may_take_one():
    assert credit_rules.check(applicant(), TODAY) is None


@pytest.mark.parametrize("changes, code, on", [
    (dict(kind="home_internet"), "kind", None),
    (dict(customer="business"), "customer", None),
    (dict(payment="contract"), "payment", None),
    (dict(state="suspended"), "state", None),
    (dict(state="sim_blocked"), "state", None),
    (dict(state="closed"), "state", None),
    # taken on the 3rd of this month and still open: repaid, it is possible next month
    (dict(has_open=True, last_granted_on=date(2026, 11, 3)), "open", date(2026, 12, 1)),
    # taken on 28 October, still open (its last day is 4 November): once it is repaid
    (dict(has_open=True, last_granted_on=date(2026, 10, 28)), "open", None),
    (dict(last_granted_on=date(2026, 11, 1)), "month", date(2026, 12, 1)),
    (dict(activated_on=date(2026, 10, 1)), "young", date(2026, 12, 30)),
])
def test_every_reason_and_when_it_becomes_possible(changes, code, on):
    refused = refusal(applicant(**changes))
    assert (refused.code, refused.on) == (code, on)
    if code == "state":
        assert refused.state == changes["state"]


def test_a_debt_blocked_number_may_take_one_as_a_way_out():
    assert states_rules.refusal(states_rules.CREDIT, states_rules.DEBT_BLOCKED) is None
    assert credit_rules.check(applicant(state=states_rules.DEBT_BLOCKED), TODAY) is None


def test_a_credit_of_last_month_repaid_leaves_this_month_free():
    assert credit_rules.check(applicant(last_granted_on=date(2026, 10, 31)), TODAY) is None


def test_ninety_days_to_the_day():
    activated = TODAY - timedelta(days=90)
    assert credit_rules.check(applicant(activated_on=activated), TODAY) is None
    refused = refusal(applicant(activated_on=activated + timedelta(days=1)))
    assert (refused.code, refused.on) == ("young", TODAY + timedelta(days=1))


@given(st.sampled_from(states_rules.STATES), st.sampled_from(["mobile", "home_internet"]),
       st.sampled_from(["individual", "business"]), st.sampled_from(["prepaid", "contract"]),
       days, st.one_of(st.none(), days), st.booleans(), days)
def test_refused_exactly_when_a_rule_says_so(state, kind, customer, payment, activated,
                                              last, has_open, today):
    assume(last is None or last <= today)
    who = applicant(state=state, kind=kind, customer=customer, payment=payment,
                    activated_on=activated, last_granted_on=last, has_open=has_open)
    month_ok = last is None or (last.year, last.month) < (today.year, today.month)
    allowed = (kind == "mobile" and customer == "individual" and payment == "prepaid"
               and states_rules.refusal(states_rules.CREDIT, state) is None and not has_open
               and month_ok and today >= activated + timedelta(days=90))
    try:
        credit_rules.check(who, today)
    except CreditRefused as refused:
        assert not allowed
        if refused.on is not None:  # the day named is one the calendar rules allow
            assert refused.on > today
            later = applicant(activated_on=activated, last_granted_on=last)
            assert credit_rules.check(later, refused.on) is None
            assert refused.code in ("open", "month", "young")
    else:
        assert allowed


# Amounts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("average, amounts", [
    (0, [2000]), (9999, [2000]), (10000, [2000, 5000]), (24999, [2000, 5000]),
    (25000, [2000, 5000, 10000]), (10**9, [2000, 5000, 10000]),
])
def test_amounts_by_tier(average, amounts):
    assert credit_rules.offered_amounts(TIERS, average) == amounts


@given(st.integers(-10**9, 10**9), st.integers(-10**9, 10**9))
def test_more_spending_is_never_offered_less(first, second):
    low, high = sorted((credit_rules.average_spending(first), credit_rules.average_spending(second)))
    assert low >= 0
    offered_low = credit_rules.offered_amounts(TIERS, low)
    offered_high = credit_rules.offered_amounts(TIERS, high)
    assert offered_low[0] == 2000 and set(offered_low) <= set(offered_high)
    assert offered_high == sorted(offered_high)


def test_the_smallest_tier_is_offered_whatever_its_spending():
    tiers = (Tier(5000, 2000), Tier(20000, 5000))
    assert credit_rules.offered_amounts(tiers, 0) == [2000]


def test_the_average_is_over_three_whole_months():
    assert credit_rules.spending_window(TODAY) == (date(2026, 8, 1), date(2026, 11, 1))
    assert credit_rules.spending_window(date(2027, 1, 31)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert credit_rules.average_spending(30000) == 10000
    assert credit_rules.average_spending(-500) == 0


@pytest.mark.parametrize("entries", [
    [],
    [{"spending": 0}],
    [{"spending": 0, "amount": 2000, "extra": 1}],
    [{"spending": 0, "amount": "20"}],
    [{"spending": 0, "amount": 0}],
    [{"spending": 0, "amount": 5000}, {"spending": 100, "amount": 2000}],
    [{"spending": 0, "amount": 2000}, {"spending": 0, "amount": 5000}],
])
def test_bad_tiers_in_the_catalogue_are_refused(entries):
    with pytest.raises(ValueError):
        credit_rules.parse_tiers(entries)


def test_tiers_are_sorted_by_spending():
    tiers = credit_rules.parse_tiers([{"spending": 100, "amount": 5000},
                                {"spending": 0, "amount": 2000}])
    assert tiers == (Tier(0, 2000), Tier(100, 5000))


def test_an_amount_not_offered_is_refused():
    assert credit_rules.check_amount(5000, [2000, 5000]) is None
    with pytest.raises(CreditRefused) as caught:
        credit_rules.check_amount(10000, [2000, 5000])
    assert caught.value.code == "amount"


# Repayment and settlement -----------------------------------------------------------------

@given(st.integers(0, 10**7), st.integers(0, 10**7))
def test_a_payment_repays_the_credit_first(owed, paid):
    result = credit_rules.repayment(owed, paid)
    assert result.repaid == min(owed, paid)
    assert result.repaid + result.owed == owed and result.repaid + result.kept == paid
    assert result.owed >= 0 and result.kept >= 0
    assert min(result.owed, result.kept) == 0  # money stays on the balance only when repaid


@pytest.mark.parametrize("owed, paid, repaid, left, kept", [
    (5000, 10000, 5000, 0, 5000), (5000, 2000, 2000, 3000, 0), (5000, 5000, 5000, 0, 0),
    (0, 1000, 0, 0, 1000),
])
def test_what_a_top_up_repays_and_what_is_left(owed, paid, repaid, left, kept):
    assert credit_rules.repayment(owed, paid) == credit_rules.Repayment(repaid, left, kept)


@given(days)
def test_charged_on_the_eighth_day(granted):
    last = credit_rules.last_day(granted)
    assert last == granted + timedelta(days=7)
    assert credit_rules.last_day_charged_on(last) < last
    assert credit_rules.last_day_charged_on(last + timedelta(days=1)) == last
