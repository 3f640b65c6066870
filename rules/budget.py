"""The SMS budget: how many SMS may go, to whom, from where, and when the next one may
(docs/sms-budgets.md).

- Codes and passwords anyone can make the portal send without paying (`KINDS`: sign-in
  codes, temporary passwords, top-up codes, codes to add a number, welcome SMS) count per
  number, per client address and for the whole portal.
- A top-up code to a payer phone no subscriber has (a stranger's phone) counts again in
  the strangers' own, tighter, budget: per phone, per address, and a share of the portal's
  daily total that strangers can never pass.
- Notices (receipts, transfer notices, alerts, autopay, state changes) count per
  recipient: `notices_per_hour` an hour; the rest are folded into one summary SMS. The
  low-balance alert goes at most `alerts_per_day` a day to a number.

Windows slide: a limit of n in a window of t means no t ever holds more than n, on any
number of servers (the moments are kept, not counts of fixed windows). Only the portal's
daily total is a calendar day (the staff console shows "today")."""
from dataclasses import dataclass
from datetime import timedelta

from .dates import day_start, local_day

PACE = timedelta(minutes=1)  # one SMS of a kind to a number a minute
SHORT = timedelta(minutes=10)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# The kinds of SMS the code budget counts; a kind is an action, never one payment or one code.
KINDS = ("sign-in", "password", "top-up", "add-number", "welcome")
# A payer may hold this many top-ups waiting for their code (open payments) at once.
OPEN_TOP_UPS_PER_PAYER = 3


@dataclass(frozen=True)
class Limits:
    """`per_number_*`: codes of every kind to one number; `per_address_*`: asked for from
    one client address (carrier NAT puts thousands of subscribers behind one, so these are
    generous); `portal_day`: the whole portal's codes in a calendar day.
    `stranger_*`: top-up codes to a payer phone no subscriber has, per phone and per
    address; `strangers_share`: the percentage of `portal_day` those may ever use.
    `notices_per_hour`: notices to one phone; `alerts_per_day`: low-balance alerts to one
    number."""

    per_number_short: int = 5
    per_number_day: int = 12
    per_address_short: int = 300
    per_address_day: int = 5000
    portal_day: int = 50_000
    stranger_short: int = 3
    stranger_day: int = 6
    stranger_address_short: int = 10
    stranger_address_day: int = 30
    strangers_share: int = 10
    notices_per_hour: int = 10
    alerts_per_day: int = 1

    def windows(self, scope):
        """The sliding windows of a scope: ((length, limit), ...)."""
        return {
            "number": ((SHORT, self.per_number_short), (DAY, self.per_number_day)),
            "address": ((SHORT, self.per_address_short), (DAY, self.per_address_day)),
            "stranger": ((SHORT, self.stranger_short), (DAY, self.stranger_day)),
            "stranger-address": ((SHORT, self.stranger_address_short),
                                 (DAY, self.stranger_address_day)),
            "notice": ((HOUR, self.notices_per_hour),),
            "alert": ((DAY, self.alerts_per_day),),
        }[scope]

    @property
    def strangers_day(self):
        """Strangers' codes the portal sends in a calendar day at most."""
        return self.portal_day * self.strangers_share // 100


class BudgetRefused(Exception):
    """`code`: 'pace' (this kind went to this number less than a minute ago), 'open' (the
    payer has as many top-ups waiting for their code as they may), or a spent scope:
    'number', 'address', 'stranger', 'stranger-address', 'portal', 'strangers'; `until`:
    when the next SMS may go."""

    def __init__(self, code, until):
        super().__init__(code)
        self.code, self.until = code, until


def calendar_day(now):
    """The Kyiv calendar day that holds `now`: (its first instant, the next day's first)."""
    today = local_day(now)
    return day_start(today), day_start(today + timedelta(days=1))


def free_at(moments, windows, now):
    """When one more event may happen, given the `moments` of the earlier ones (any
    order) and the sliding `windows` ((length, limit), ...): None when it may now, else the
    moment enough of them have left every full window."""
    latest = None
    for length, limit in windows:
        inside = sorted(moment for moment in moments if moment > now - length)
        if len(inside) >= limit:
            frees = inside[len(inside) - limit] + length
            latest = frees if latest is None else max(latest, frees)
    return latest


def check_portal(sent_today, limit, now, code="portal"):
    """BudgetRefused(`code`) when `sent_today` (this SMS included) passes the calendar
    day's `limit`, until the next midnight."""
    if sent_today > limit:
        raise BudgetRefused(code, calendar_day(now)[1])


def check_open_top_ups(open_payments, target, now, lifetime):
    """The payer budget of a card top-up: `open_payments` are (target, created_at) of the
    payer's payments still waiting for their code (created within `lifetime`). A payment
    paid or ended counts nothing, so a second top-up after the first is paid, or to another
    number, goes; a new code for the same target waits `PACE` after the last, and a payer
    holds at most OPEN_TOP_UPS_PER_PAYER open at once. BudgetRefused 'pace' or 'open'."""
    same = [created for paid_to, created in open_payments if paid_to == target]
    if same and max(same) + PACE > now:
        raise BudgetRefused("pace", max(same) + PACE)
    if len(open_payments) >= OPEN_TOP_UPS_PER_PAYER:
        oldest = sorted(created for _target, created in open_payments)
        raise BudgetRefused("open", oldest[len(open_payments) - OPEN_TOP_UPS_PER_PAYER]
                            + lifetime)
