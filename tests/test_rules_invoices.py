"""The monthly invoice's rules: its figures are the report's Summary, and the balances
around them add up to the kopiyka."""
from datetime import date, timedelta

from hypothesis import given, strategies as st

from rules.expenses import SPENDING_GROUPS, TYPES, month_period, summarize
from rules.invoices import invoice_months, make_invoice, parse_invoice_month

OCTOBER = month_period(2026, 10)

ROWS = st.lists(st.tuples(st.integers(0, 30), st.sampled_from(TYPES),
                          st.integers(-10**9, 10**9)), max_size=40)


@given(rows=ROWS, balance_now=st.integers(-10**10, 10**10),
       amount_since=st.integers(-10**10, 10**10))
def test_the_balances_frame_the_months_figures_to_the_kopiyka(rows, balance_now,
                                                               amount_since):
    summary = summarize([(OCTOBER.start + timedelta(days=d), t, 1, a) for d, t, a in rows],
                        OCTOBER)
    invoice = make_invoice(OCTOBER, summary, balance_now, amount_since)
    # Whatever the records after the month did is undone from today's balance.
    assert invoice.closing == balance_now + amount_since
    # Opening, less the charges, plus what came in, less what went out: the closing one.
    assert invoice.opening - invoice.charged + invoice.paid_in - invoice.paid_out \
        == invoice.closing
    # The figures are the report's own.
    assert invoice.charges == {g: summary.by_group[g].amount for g in SPENDING_GROUPS}
    assert invoice.charged == summary.spending.amount
    assert invoice.closing - invoice.opening == summary.balance_change


@given(activated=st.dates(date(2000, 1, 1), date(2030, 12, 31)),
       today=st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_the_months_listed_are_closed_and_the_numbers_own(activated, today):
    months = invoice_months(activated, today)
    assert len(months) <= 12
    assert all(p.end < today.replace(day=1) for p in months)
    assert all(p.end >= activated.replace(day=1) for p in months)
    assert [p.start for p in months] == sorted((p.start for p in months), reverse=True)
    if months:
        newest = months[0]
        assert newest.next_month().start == today.replace(day=1)
    for period in months:
        assert parse_invoice_month(period.month, months) == period


def test_a_month_not_listed_is_refused():
    months = invoice_months(date(2026, 9, 15), date(2026, 11, 25))
    assert [p.month for p in months] == ["2026-10", "2026-09"]
    for text in ("2026-11", "2026-08", "2026-13", "garbage", ""):
        assert parse_invoice_month(text, months) is None
