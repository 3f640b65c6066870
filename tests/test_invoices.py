"""Issue 23 item 5: monthly invoices of a contract number at /invoices, each a PDF whose
figures agree with the expenses report of that month to the kopiyka."""
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

import models
from tests.helpers import kyiv, month_of_usage, page

# The test clock is 2026-11-25 10:00: October is the newest closed month.
OCTOBER = month_of_usage(2026, 10, 31)
NOVEMBER = [(kyiv(2026, 11, 1, 0, 0), "call_out", "+380501112233", 60, 150),
            (kyiv(2026, 11, 20, 10, 0), "topup", "card", 1, -5000)]
SEPTEMBER = [(kyiv(2026, 9, 30, 23, 59, 59), "call_out", "+380501112233", 60, 700)]
BALANCE = 123456  # kopiyky, as the billing holds it now


@pytest.fixture
def contract(app, factory, auth):
    subscription = factory.subscriber(payment="contract", customer="business",
                                      name="ТОВ «Ромашка»", balance=BALANCE,
                                      activated_on=date(2026, 8, 20))
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        with models.db.atomic():
            models.UsageRecord.insert_rows(
                [(subscription.id, *row) for row in SEPTEMBER + OCTOBER + NOVEMBER])
    assert auth.login().status_code == 303
    return subscription


def pdf_text(response):
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)


def figure(text, label):
    """The amount printed after `label` in the PDF ('1 234,56' or '1,234.56' in English)."""
    match = re.search(re.escape(label) + r"\s*(-?[0-9][0-9,]*\.[0-9]{2})", text)
    assert match, (label, text)
    return Decimal(match.group(1).replace(",", ""))


def page_figure(html, element_id):
    return Decimal(re.search(rf'<data value="(-?[0-9.]+)" id="{element_id}">', html).group(1))


def test_the_list_offers_the_closed_months_since_activation(client, contract):
    html = page(client.get("/invoices"))
    links = re.findall(r'href="/invoices/([0-9-]+)\.pdf"', html)
    assert links == ["2026-10", "2026-09", "2026-08"]
    assert '<a href="/invoices">Monthly invoices</a>' in page(client.get("/expenses"))


def test_an_invoice_agrees_with_the_expenses_report_to_the_kopiyka(client, contract):
    response = client.get("/invoices/2026-10.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="invoice-380671234567-2026-10.pdf"')
    text = pdf_text(response)
    report = page(client.get("/expenses?month=2026-10"))
    assert "Invoice for October 2026" in text and "Business customer: ТОВ «Ромашка»" in text
    for label, element_id in (("Calls", "spent-calls"), ("SMS", "spent-sms"),
                              ("Internet", "spent-internet"),
                              ("Subscription fee", "spent-subscription"),
                              ("Services", "spent-services"), ("Charged in all", "spent-total"),
                              ("Paid in (top-ups and transfers received)", "paid-in"),
                              ("Transferred to other numbers", "paid-out")):
        assert figure(text, label) == page_figure(report, element_id), label
    opening, closing = figure(text, "Opening balance"), figure(text, "Closing balance")
    assert closing - opening == page_figure(report, "balance-change")
    # The balance when October ended: today's, less what November's records did to it.
    assert closing == Decimal(BALANCE + 150 - 5000) / 100
    assert opening == Decimal(BALANCE + 150 - 5000 - (20000 + 1234 - 2501 - 16500 - 450 - 80
                                                      - 1001 - 999 + 333 - 5399)) / 100


def test_months_chain_one_closing_is_the_next_opening(client, contract):
    september = pdf_text(client.get("/invoices/2026-09.pdf"))
    october = pdf_text(client.get("/invoices/2026-10.pdf"))
    assert figure(september, "Closing balance") == figure(october, "Opening balance")
    assert figure(september, "Calls") == Decimal("7.00")


def test_an_individual_contract_names_the_subscriber(client, factory, auth):
    factory.subscriber(payment="contract", customer="individual")
    auth.login()
    text = pdf_text(client.get("/invoices/2026-10.pdf"))
    assert "Subscriber: Тест Тестенко" in text and "Business customer" not in text


@pytest.mark.parametrize("month", ["2026-11", "2026-12", "2026-07", "2026-13", "abcdefg",
                                   "2026-1", "0000-00"])
def test_a_month_without_an_invoice_is_404(client, contract, month):
    assert client.get(f"/invoices/{month}.pdf").status_code == 404


def test_a_prepaid_number_has_no_invoices(client, signed_in):
    html = page(client.get("/invoices"))
    assert "Monthly invoices are made for contract numbers" in html
    assert ".pdf" not in html and "Monthly invoices</a>" not in page(client.get("/expenses"))
    assert client.get("/invoices/2026-10.pdf").status_code == 404


def test_invoices_need_a_sign_in(client):
    assert client.get("/invoices").status_code == 303
    assert client.get("/invoices/2026-10.pdf").status_code == 303


def test_only_the_number_on_show_is_invoiced(client, contract, factory):
    """Another cabinet's contract number is never reachable: the URL names no number."""
    factory.subscriber(number="+380971112233", payment="contract", name="Чужий")
    text = pdf_text(client.get("/invoices/2026-10.pdf"))
    assert "+380 67 123 45 67" in text and "Чужий" not in text
