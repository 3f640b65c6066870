"""What the expenses area gives other areas: the dashboard's spending panel; and the
monthly invoice of a contract number, made of the report's own figures."""
from datetime import timedelta

import models
from models import UsageDay
from models.usage import Report
from rules import invoices as invoice_rules
from rules.expenses import (
    SPENDING_TYPES,
    TYPES,
    Period,
    dashboard_periods,
    summarize,
)
from ..core import clock


def spending_panel(subscription):
    """Spending of the last two months and the last two days."""
    periods = dashboard_periods(clock.today())
    span = Period(periods[0][1].start, periods[-1][1].end, False)
    spent = Report(subscription, span, SPENDING_TYPES).amounts_in(
        [period for _key, period in periods])
    return {"figures": [(key, period, amount)
                        for (key, period), amount in zip(periods, spent, strict=True)]}


def report_summary(subscription, period, types=TYPES):
    """The expenses report's totals of `period`: the page, its files and the invoice."""
    return summarize(Report(subscription, period, types).totals_by_day_and_type(), period)


def invoice_months(subscription):
    """The closed months a contract number has invoices for (none for a prepaid one)."""
    if subscription.payment != invoice_rules.CONTRACT:
        return []
    return invoice_rules.invoice_months(subscription.activated_on, clock.today())


def month_invoice(subscription, period):
    """The invoice of one month: its figures, the balance when it began and ended. Read in
    one transaction, so the balance and the records agree."""
    with models.db.atomic():
        balance_now = models.Subscription.select(models.Subscription.balance).where(
            models.Subscription.id == subscription.id).scalar()
        summary = report_summary(subscription, period)
        amount_since = UsageDay.amount_of(subscription, TYPES, period.end + timedelta(days=1),
                                          clock.today() + timedelta(days=1))
    return invoice_rules.make_invoice(period, summary, balance_now, amount_since)
