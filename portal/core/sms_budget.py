"""The SMS budget's counts (rules.budget, docs/sms-budgets.md), taken in the transaction of
the SMS they count: a refused or rolled-back SMS counts nothing.

Every count holds across workers and servers: a sliding window's moments are checked and
added under a lock of their key (models.RateEvent.take), the portal's calendar-day totals
in one atomic upsert (models.SmsCount). Keys are always taken in the same order (number,
stranger, address, stranger's address), so two SMS never wait for each other's keys."""
from datetime import timedelta

from flask import current_app

from models import HeldNotice, RateEvent, SmsCount, SmsPace, Subscription
from rules import budget as budget_rules
from . import security

DAY_MINUTES = budget_rules.DAY // timedelta(minutes=1)
PORTAL_KEY = f"portal:{DAY_MINUTES}"  # the portal's codes in a calendar day
STRANGERS_KEY = f"strangers:{DAY_MINUTES}"  # of which to strangers' phones


def limits():
    return current_app.config["SMS_LIMITS"]


def _take(scope, key, now):
    """Count one event of `key` in the sliding windows of `scope`, or BudgetRefused."""
    windows = limits().windows(scope)
    moments = RateEvent.take(key, now, windows)
    if moments is not None:
        raise budget_rules.BudgetRefused(scope, budget_rules.free_at(moments, windows, now))


def _day_count(key, now):
    return SmsCount.increase(key, budget_rules.calendar_day(now)[0])


def is_stranger(kind, to):
    """A top-up code to a payer phone that no subscription has."""
    return kind == "top-up" and Subscription.by_number(to) is None


def spend_code(kind, to, now):
    """Count one code or password of `kind` to `to`, or raise BudgetRefused (the caller's
    transaction then rolls every count back). A top-up's pace is its payer's open
    payments (portal/topup/service.py), not a minute per number."""
    if kind != "top-up":
        until = SmsPace.claim(f"{kind}:{to}", now, budget_rules.PACE)
        if until is not None:
            raise budget_rules.BudgetRefused("pace", until)
    stranger = is_stranger(kind, to)
    address = security.client_address()
    _take("number", f"to:{to}", now)
    if stranger:
        _take("stranger", f"stranger:{to}", now)
    if address:
        _take("address", f"ip:{address}", now)
        if stranger:
            _take("stranger-address", f"stranger-ip:{address}", now)
    budget_rules.check_portal(_day_count(PORTAL_KEY, now), limits().portal_day, now)
    if stranger:
        budget_rules.check_portal(_day_count(STRANGERS_KEY, now), limits().strangers_day,
                                  now, code="strangers")


def spend_notice(to, now, alert=False, summary=False):
    """Count one notice to `to` (an alert, also in the number's alerts of the day): True
    when it may go. A notice past the hour's budget is held for the summary SMS (a summary
    past it waits); an alert past the day's is dropped (the cabinet shows the balance)."""
    try:
        if alert:
            _take("alert", f"alert:{to}", now)
    except budget_rules.BudgetRefused:
        return False
    try:
        _take("notice", f"notice:{to}", now)
    except budget_rules.BudgetRefused:
        if not summary:
            HeldNotice.add(to, now)
        return False
    return True


def sent_today_by_portal(now):
    """The portal's codes today and its daily total (for the staff console)."""
    start = budget_rules.calendar_day(now)[0]
    return SmsCount.current(PORTAL_KEY, start), limits().portal_day


def forget_expired(now):
    """Counts no window holds any more."""
    RateEvent.forget_expired(now)
    SmsCount.forget_before(now - 2 * budget_rules.DAY)
