"""The SMS budget: how many of the SMS that anyone can make the portal send without paying
(sign-in codes, temporary passwords, top-up codes, codes to add a number) may go, to whom,
from where, and when the next one may.

Counts are kept in fixed windows (ten minutes, a calendar day). Receipts and notices of
money moves are not counted: they follow what someone paid for or asked for."""
from dataclasses import dataclass
from datetime import timedelta

PACE = timedelta(minutes=1)  # one SMS of a kind to a number a minute
SHORT = timedelta(minutes=10)
DAY = timedelta(days=1)

# The kinds of SMS the budget counts; a kind is an action, never one payment or one code.
KINDS = ("sign-in", "password", "top-up", "add-number")


@dataclass(frozen=True)
class Limits:
    """`per_number_*`: SMS of every kind to one number; `per_address_*`: asked for from one
    client address (carrier NAT puts thousands of subscribers behind one, so these are
    generous); `portal_day`: the whole portal's SMS of these kinds in a day."""

    per_number_short: int = 5
    per_number_day: int = 12
    per_address_short: int = 300
    per_address_day: int = 5000
    portal_day: int = 50_000


class BudgetRefused(Exception):
    """`code`: 'pace' (this kind went to this number less than a minute ago), 'number',
    'address' or 'portal' (a count is spent); `until`: when the next SMS may go."""

    def __init__(self, code, until):
        super().__init__(code)
        self.code, self.until = code, until


def window_start(now, length):
    """The start of the fixed window of `length` (a divisor of a day) that holds `now`."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + ((now - midnight) // length) * length


def check_counts(counts, limits, now):
    """`counts`: {(scope, window): SMS counted in the window holding `now`, this one
    included}, scope 'number' | 'address' | 'portal', window SHORT | DAY. Raises
    BudgetRefused for the first count past its limit, with the end of its window."""
    allowed = {("number", SHORT): limits.per_number_short, ("number", DAY): limits.per_number_day,
               ("address", SHORT): limits.per_address_short,
               ("address", DAY): limits.per_address_day, ("portal", DAY): limits.portal_day}
    for (scope, window), count in counts.items():
        if count > allowed[(scope, window)]:
            raise BudgetRefused(scope, window_start(now, window) + window)
