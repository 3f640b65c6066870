"""The low-balance alert's rules: the threshold typed, and when a change of the balance
sends the one SMS."""
import pytest
from hypothesis import given, strategies as st

from rules import alerts as alerts_rules
from rules.alerts import ThresholdRefused

money = st.integers(-10**7, 10**7)
thresholds = st.one_of(st.none(), st.integers(alerts_rules.THRESHOLD_MIN, alerts_rules.THRESHOLD_MAX))


@pytest.mark.parametrize("text, kopiyky", [
    ("", None), ("   ", None), ("50", 5000), ("50,25", 5025), ("1", 100), ("5000", 500000),
])
def test_thresholds_typed(text, kopiyky):
    assert alerts_rules.parse_threshold(text) == kopiyky


@pytest.mark.parametrize("text, code", [
    ("abc", "format"), ("-5", "format"), ("10.555", "format"), ("0.99", "min"), ("0", "min"),
    ("5000.01", "max"),
])
def test_bad_thresholds(text, code):
    with pytest.raises(ThresholdRefused) as caught:
        alerts_rules.parse_threshold(text)
    assert caught.value.code == code


def test_a_debit_below_sends_once_until_the_balance_is_back():
    threshold, alerted, sent = 5000, False, []
    for balance, debit in [(6000, True), (4000, True), (3000, True), (4500, False),
                           (5000, False), (4999, True), (100, True)]:
        verdict = alerts_rules.after_change(threshold, alerted, balance, debit)
        alerted = verdict.alerted
        sent.append(verdict.send)
    assert sent == [False, True, False, False, False, True, False]


@given(thresholds, st.booleans(), money, st.booleans())
def test_the_verdict(threshold, alerted, balance, debit):
    verdict = alerts_rules.after_change(threshold, alerted, balance, debit)
    below = threshold is not None and balance < threshold
    assert verdict.send == (debit and below and not alerted)  # only a debit, only once
    assert verdict.alerted == (below and (alerted or debit))  # back at it clears the flag
    if verdict.send:
        assert not alerts_rules.after_change(threshold, verdict.alerted, balance - 1, True).send


@given(st.integers(alerts_rules.THRESHOLD_MIN, alerts_rules.THRESHOLD_MAX), money,
       st.lists(st.tuples(st.integers(0, 10**6), st.booleans()), max_size=30))
def test_one_sms_for_each_time_the_balance_goes_below(threshold, start, changes):
    """Over any run of debits and credits, the SMS go exactly when a debit takes a balance
    that was at or above the threshold (or never told) below it."""
    alerted = alerts_rules.alerted_when_set(threshold, start)
    balance, sent, expected = start, 0, 0
    for amount, debit in changes:
        before = balance
        balance += -amount if debit else amount
        verdict = alerts_rules.after_change(threshold, alerted, balance, debit)
        alerted = verdict.alerted
        sent += verdict.send
        expected += debit and before >= threshold > balance
    assert sent == expected


def test_a_threshold_set_above_the_balance_sends_nothing_until_it_is_back():
    assert alerts_rules.alerted_when_set(5000, 4000) is True
    assert alerts_rules.alerted_when_set(5000, 5000) is False
    assert alerts_rules.alerted_when_set(None, -100) is False
