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


def test_a_debit_below_sends_once_until_a_top_up_is_back():
    threshold, alerted, sent = 5000, False, []
    for balance, debit, topped_up in [(6000, True, False), (4000, True, False),
                                      (3000, True, False), (4500, False, True),
                                      (5000, False, True), (4999, True, False),
                                      (100, True, False)]:
        verdict = alerts_rules.after_change(threshold, alerted, balance, debit, topped_up)
        alerted = verdict.alerted
        sent.append(verdict.send)
    assert sent == [False, True, False, False, False, True, False]


def test_money_moved_in_and_out_again_re_arms_nothing():
    """1 UAH back and forth between two numbers: a transfer in takes the balance back above
    the threshold, the next transfer out below it again; one SMS in twenty cycles."""
    threshold, alerted, sent = 5000, False, 0
    for _cycle in range(20):
        for balance, debit in ((4950, True), (5050, False)):
            verdict = alerts_rules.after_change(threshold, alerted, balance, debit)
            alerted, sent = verdict.alerted, sent + verdict.send
    assert sent == 1


@given(thresholds, st.booleans(), money, st.booleans(), st.booleans())
def test_the_verdict(threshold, alerted, balance, debit, topped_up):
    verdict = alerts_rules.after_change(threshold, alerted, balance, debit, topped_up)
    below = threshold is not None and balance < threshold
    assert verdict.send == (debit and below and not alerted)  # only a debit, only once
    # Only a top-up at or above it clears the flag.
    assert verdict.alerted == (threshold is not None and (
        (below and (alerted or debit)) or (not below and alerted and not topped_up)))
    if verdict.send:
        assert not alerts_rules.after_change(threshold, verdict.alerted, balance - 1, True).send


@given(st.integers(alerts_rules.THRESHOLD_MIN, alerts_rules.THRESHOLD_MAX), money,
       st.lists(st.tuples(st.integers(0, 10**6), st.booleans()), max_size=30))
def test_one_sms_for_each_time_the_balance_goes_below(threshold, start, changes):
    """Over any run of debits and top-ups, the SMS go exactly when a debit takes a balance
    that was at or above the threshold (or never told) below it."""
    alerted = alerts_rules.alerted_when_set(threshold, start)
    balance, sent, expected = start, 0, 0
    for amount, debit in changes:
        before = balance
        balance += -amount if debit else amount
        verdict = alerts_rules.after_change(threshold, alerted, balance, debit, not debit)
        alerted = verdict.alerted
        sent += verdict.send
        expected += debit and before >= threshold > balance
    assert sent == expected


def test_a_threshold_set_above_the_balance_sends_nothing_until_it_is_back():
    assert alerts_rules.alerted_when_set(5000, 4000) is True
    assert alerts_rules.alerted_when_set(5000, 5000) is False
    assert alerts_rules.alerted_when_set(None, -100) is False
