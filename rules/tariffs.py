"""What a tariff includes each month (minutes, SMS, megabytes, or unlimited) and what of it
a number has used and has left, from the month's usage. Pure: the usage comes in as totals
by type and by where the call or message went."""
from dataclasses import dataclass

from .dates import add_months, month_start
from .numbers import OPERATOR_PREFIXES

MINUTES, SMS, MEGABYTES = "min", "sms", "mb"
UNITS = (MINUTES, SMS, MEGABYTES)
ALL, ON_NET, OFF_NET = "all", "on_net", "off_net"
SCOPES = (ALL, ON_NET, OFF_NET)
USAGE_TYPE = {MINUTES: "call_out", SMS: "sms_out", MEGABYTES: "internet"}


@dataclass(frozen=True)
class Allowance:
    """`amount` of `unit` a month (None: unlimited) for calls or messages within the
    network (`on_net`), to other networks (`off_net`) or anywhere (`all`)."""

    unit: str
    amount: int | None
    scope: str = ALL


@dataclass(frozen=True)
class Usage:
    """A month's usage of one type towards one prefix: `minutes` (each call rounded up to a
    whole minute), `kilobytes`, `count`."""

    type: str
    prefix: str  # the counterpart's first six characters: '+38067'
    minutes: int = 0
    kilobytes: int = 0
    count: int = 0


@dataclass(frozen=True)
class Left:
    allowance: Allowance
    used: int
    left: int | None  # None: unlimited


def is_on_net(prefix):
    return prefix.startswith("+380") and prefix[4:6] in OPERATOR_PREFIXES


def _counts(allowance, usage):
    if usage.type != USAGE_TYPE[allowance.unit]:
        return False
    if allowance.unit == MEGABYTES or allowance.scope == ALL:
        return True
    return is_on_net(usage.prefix) == (allowance.scope == ON_NET)


def used_and_left(allowances, usages):
    """Each allowance with what the month's `usages` used of it and what is left."""
    shown = []
    for allowance in allowances:
        counted = [usage for usage in usages if _counts(allowance, usage)]
        if allowance.unit == MINUTES:
            used = sum(usage.minutes for usage in counted)
        elif allowance.unit == SMS:
            used = sum(usage.count for usage in counted)
        else:
            used = sum(usage.kilobytes for usage in counted) // 1024
        left = None if allowance.amount is None else max(0, allowance.amount - used)
        shown.append(Left(allowance, used, left))
    return shown


def next_fee_date(today):
    """The monthly fee is charged on the first of each month."""
    return add_months(month_start(today), 1)
