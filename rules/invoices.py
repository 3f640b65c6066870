"""The monthly invoice of a contract number: the month's figures are the expenses report's
own Summary (so the two agree to the kopiyka), framed by the balance before and after.

The balance after a month is rolled back from the balance the portal holds now: every
record after the month changed it by its own amount, so the balance at the month's end is
today's balance less what those records did. The balance before the month is that less the
month's own change."""
from dataclasses import dataclass
from datetime import date

from .expenses import SPENDING_GROUPS, balance_change, month_period

CONTRACT = "contract"
MONTHS_LISTED = 12  # the closed months /invoices offers, newest first


@dataclass(frozen=True)
class Invoice:
    period: object  # rules.expenses.Period of the month
    opening: int  # kopiyky, the balance when the month began
    charges: dict  # spending group -> kopiyky charged (a refund makes it less)
    paid_in: int  # top-ups and transfers received
    paid_out: int  # transfers to other numbers
    closing: int  # the balance when the month ended

    @property
    def charged(self):
        return sum(self.charges.values())


def closing_balance(balance_now, amount_since):
    """The balance at a moment, given the balance now and the feed amounts since then."""
    return balance_now - balance_change(amount_since)


def make_invoice(period, summary, balance_now, amount_since):
    """The month's invoice: `summary` is the expenses report's Summary of `period`,
    `amount_since` what the records after the month sum to (feed amounts)."""
    closing = closing_balance(balance_now, amount_since)
    return Invoice(
        period=period,
        opening=closing - summary.balance_change,
        charges={group: summary.by_group[group].amount for group in SPENDING_GROUPS},
        paid_in=summary.paid_in,
        paid_out=summary.paid_out,
        closing=closing,
    )


def invoice_months(activated_on, today, count=MONTHS_LISTED):
    """The closed months a contract number has invoices for, newest first: from the month
    before `today` back `count` months, none before the month it was activated in."""
    year, month = today.year, today.month
    months = []
    while len(months) < count:
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        period = month_period(year, month)
        if period.end < date(activated_on.year, activated_on.month, 1):
            break
        months.append(period)
    return months


def parse_invoice_month(text, months):
    """'2026-10' -> its Period when it is one of `months`, else None."""
    return next((period for period in months if period.month == text), None)
