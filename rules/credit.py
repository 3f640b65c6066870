"""Self-service credit ("promised payment"): who may take one, how much, what a payment
repays, and when an unpaid one is charged.

A prepaid mobile number of a person, with us for at least 90 days and in a state that
allows it (rules.states CREDIT), takes one credit a calendar month, never a second while
one is open. The amounts offered grow with the number's average monthly spending over the
last three whole months (the catalogue's tiers). The money goes on the balance at once;
the next money paid in repays it first, and whatever is still owed after its last day is
charged from the balance, even below zero.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from . import states
from .dates import add_months, month_start

MIN_AGE_DAYS = 90  # with us at least this long
TERM_DAYS = 7  # to repay it: the last day is the day it was taken plus this many
SPENDING_MONTHS = 3  # whole months the average spending is taken over


@dataclass(frozen=True)
class Tier:
    """`amount` is offered to a number whose average monthly spending is `spending` or
    more (kopiyky both)."""

    spending: int
    amount: int


def parse_tiers(entries):
    """The catalogue's `[[credit.tiers]]` (dicts of `spending`, `amount`) -> Tiers, by
    spending. ValueError for an empty list, a bad figure, or amounts that do not grow with
    spending (a richer number is never offered less)."""
    tiers = []
    for entry in entries:
        if set(entry) != {"spending", "amount"}:
            raise ValueError(f"credit tier {entry!r}: needs exactly spending and amount")
        spending, amount = entry["spending"], entry["amount"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (spending, amount)):
            raise ValueError(f"credit tier {entry!r}: whole kopiyky")
        if spending < 0 or amount <= 0:
            raise ValueError(f"credit tier {entry!r}: spending >= 0, amount > 0")
        tiers.append(Tier(spending, amount))
    tiers.sort(key=lambda tier: tier.spending)
    if not tiers:
        raise ValueError("the catalogue needs at least one credit tier")
    amounts = [tier.amount for tier in tiers]
    if amounts != sorted(set(amounts)) or len({t.spending for t in tiers}) != len(tiers):
        raise ValueError("credit tiers: each a higher spending and a larger amount")
    return tuple(tiers)


def spending_window(today):
    """The days the average is taken over: from the first day of the month three whole
    months back up to (not including) the first day of this month."""
    end = month_start(today)
    return add_months(end, -SPENDING_MONTHS), end


def average_spending(total):
    """Spending (kopiyky) of the window -> the monthly average; refunds never make it
    negative."""
    return max(0, total) // SPENDING_MONTHS


def offered_amounts(tiers, average):
    """The amounts a number spending `average` a month may take, smallest first: every
    tier it reaches, and the smallest whatever it spent."""
    return [tier.amount for index, tier in enumerate(tiers)
            if index == 0 or average >= tier.spending]


@dataclass(frozen=True)
class Applicant:
    """What the rules need of a number asking for a credit."""

    kind: str
    customer: str
    payment: str
    state: str
    activated_on: date
    last_granted_on: date | None = None  # the day its latest credit was taken
    has_open: bool = False  # a credit not repaid yet


@dataclass(frozen=True)
class CreditRefused(Exception):
    """Why not. `code`: 'kind' (not a mobile number), 'customer' (a business's), 'payment'
    (a contract), 'state' (its state forbids it: `state`), 'open' (one is open), 'month'
    (one was taken this month), 'young' (not 90 days with us yet), 'amount' (not one of
    the offered amounts). `on`: the first day a credit is possible as far as the dates go
    (None when no date makes it possible)."""

    code: str
    state: str = ""
    on: date | None = None


def first_possible_day(applicant, today):
    """The first day from `today` on that the calendar rules allow: 90 days after the
    activation, and the month after the latest credit's."""
    day = applicant.activated_on + timedelta(days=MIN_AGE_DAYS)
    if applicant.last_granted_on is not None:
        day = max(day, add_months(month_start(applicant.last_granted_on), 1))
    return max(day, today)


def check(applicant, today):
    """Raise the CreditRefused that stops `applicant` taking a credit on `today`, if any:
    what never changes first, then the state, an open credit, and the calendar."""
    if applicant.kind != "mobile":
        raise CreditRefused("kind")
    if applicant.customer != "individual":
        raise CreditRefused("customer")
    if applicant.payment != "prepaid":
        raise CreditRefused("payment")
    refused = states.refusal(states.CREDIT, applicant.state)
    if refused is not None:
        raise CreditRefused("state", state=applicant.state)
    on = first_possible_day(applicant, today)
    if applicant.has_open:
        raise CreditRefused("open", on=on if on > today else None)
    if on > today:
        taken_this_month = (applicant.last_granted_on is not None
                            and month_start(applicant.last_granted_on) == month_start(today))
        raise CreditRefused("month" if taken_this_month else "young", on=on)


def check_amount(amount, offered):
    if amount not in offered:
        raise CreditRefused("amount")


def last_day(granted_on):
    """The last day to repay a credit taken on `granted_on`: it is charged the day after."""
    return granted_on + timedelta(days=TERM_DAYS)


def last_day_charged_on(today):
    """Credits still owed whose last day is this one or earlier are charged on `today`:
    a credit is charged the day after its last day."""
    return today - timedelta(days=1)


@dataclass(frozen=True)
class Repayment:
    repaid: int  # taken from the payment for the credit
    owed: int  # still owed on the credit after it
    kept: int  # of the payment, what stays on the balance


def repayment(owed, paid):
    """A payment of `paid` to a number owing `owed` on its credit repays it first."""
    repaid = min(max(owed, 0), max(paid, 0))
    return Repayment(repaid, owed - repaid, paid - repaid)
