"""The low-balance alert: a subscriber's threshold for a number, and when a change of its
balance sends the one SMS.

A debit that leaves the balance below the threshold sends it, unless one was sent already
and no top-up has put the balance back at or above the threshold since: the number keeps
an "alerted" flag, raised by the SMS (or by setting a threshold the balance is already
below: the subscriber sees the balance as they set it) and cleared only by a top-up (or
the billing's feed) that leaves the balance at or above the threshold. Money moved in by a
transfer, a credit or a refund does not clear it: 1 UAH moved back and forth between two
numbers re-arms nothing. At most one alert a day goes to a number whatever re-arms it (the
SMS budget, rules.budget).
"""
from dataclasses import dataclass

from .amounts import AmountError, parse_uah

THRESHOLD_MIN = 1_00  # kopiyky
THRESHOLD_MAX = 5_000_00


@dataclass(frozen=True)
class ThresholdRefused(ValueError):
    """`code`: 'format' (not an amount), 'min', 'max' (out of bounds: `limit`)."""

    code: str
    limit: int = 0


def parse_threshold(text):
    """The form's text -> kopiyky, or None (empty: the alert is off)."""
    if not (text or "").strip():
        return None
    try:
        threshold = parse_uah(text)
    except AmountError:
        raise ThresholdRefused("format") from None
    if threshold < THRESHOLD_MIN:
        raise ThresholdRefused("min", THRESHOLD_MIN)
    if threshold > THRESHOLD_MAX:
        raise ThresholdRefused("max", THRESHOLD_MAX)
    return threshold


def alerted_when_set(threshold, balance):
    """The flag of a threshold just set: raised when the balance is below it already."""
    return threshold is not None and balance < threshold


@dataclass(frozen=True)
class Verdict:
    send: bool  # send the alert now
    alerted: bool  # the flag after this change


def after_change(threshold, alerted, balance, debit, topped_up=False):
    """The balance is now `balance` after a debit (`debit`) or a credit (`topped_up` when
    it was a top-up): whether the SMS goes, and the flag after it."""
    if threshold is None:
        return Verdict(False, False)
    if balance >= threshold:
        return Verdict(False, alerted and not topped_up)
    if debit and not alerted:
        return Verdict(True, True)
    return Verdict(False, alerted)
