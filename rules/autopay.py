"""Autopay's rules: what a subscriber may set, the operator's monthly caps, and when a rule
is due. Pure: amounts in kopiyky, days and months come in as parameters."""
from dataclasses import dataclass

from .money import TOPUP_MAX, TOPUP_MIN

THRESHOLD_MAX = 5_000_00  # no one keeps a prepaid balance target above this
LAST_DAY = 28  # every month has a 28th: a monthly rule never skips a month


@dataclass(frozen=True)
class Caps:
    """The operator's caps on automatic top-ups of one number in a calendar month."""
    count: int = 3
    total: int = 3_000_00


@dataclass
class AutopayRefused(ValueError):
    """A rule the subscriber may not set: `field` ('threshold', 'day', 'amount') and
    `code` ('min', 'max'), with `limit`."""
    field: str
    code: str
    limit: int


def check_rule(amount, caps, threshold=None, day=None):
    """A rule of `amount` kopiyky when the balance falls below `threshold`, or on `day`."""
    if threshold is not None:
        if threshold < 0:
            raise AutopayRefused("threshold", "min", 0)
        if threshold > THRESHOLD_MAX:
            raise AutopayRefused("threshold", "max", THRESHOLD_MAX)
    if day is not None:
        if day < 1:
            raise AutopayRefused("day", "min", 1)
        if day > LAST_DAY:
            raise AutopayRefused("day", "max", LAST_DAY)
    if amount < TOPUP_MIN:
        raise AutopayRefused("amount", "min", TOPUP_MIN)
    most = min(TOPUP_MAX, caps.total)
    if amount > most:
        raise AutopayRefused("amount", "max", most)


def within_caps(caps, count, total, amount):
    """Whether one more automatic top-up of `amount` fits the month that already has
    `count` of them adding up to `total`."""
    return count + 1 <= caps.count and total + amount <= caps.total


def below(threshold, balance):
    """A threshold rule fires when a debit leaves the balance below its threshold."""
    return balance < threshold


def monthly_due(day, today, last_month):
    """A monthly rule is due from its day on, once a month (`last_month` 'YYYY-MM' is the
    month it last ran)."""
    return today.day >= day and last_month != month_key(today)


def month_key(day):
    return f"{day.year:04d}-{day.month:02d}"
