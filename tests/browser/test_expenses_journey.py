"""In a real browser with JavaScript off, a subscriber reads, filters and exports a month
and a span of days of expenses. Debian's chromium, never a downloaded one; skipped
without it."""
import csv
import io
from decimal import Decimal

import pytest

from tests.helpers import PASSWORD
from tests.test_expenses import NOVEMBER, NOVEMBER_SPENT, OCTOBER, add_records


@pytest.fixture
def live(app, subscriber, app_url):
    add_records(app, subscriber, NOVEMBER + OCTOBER)
    return app_url


def spent_total(page):
    return Decimal(page.get_attribute("#spent-total", "value"))


def test_read_filter_and_export_with_javascript_off(live, browser):
    context = browser.new_context(java_script_enabled=False, base_url=live, locale="en-GB",
                                  extra_http_headers={"Accept-Language": "en"},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto("/login")
    page.fill("#password-login", "067 123 45 67")
    page.fill("#password", PASSWORD)
    page.click("#password-signin button[type=submit]")
    page.click("header summary")  # the menu
    page.click("nav >> text=Payments and expenses")
    assert spent_total(page) == Decimal(NOVEMBER_SPENT) / 100
    assert page.is_visible("text=03.11.2026 09:15:02.125")

    page.fill("#month", "2026-10")
    page.select_option("#month-type", "calls")
    page.click("text=Show the month")
    assert "month=2026-10" in page.url and "type=calls" in page.url
    assert spent_total(page) == Decimal("1.50")

    page.fill("#from", "2026-11-01")
    page.fill("#to", "2026-11-03")
    assert page.input_value("#span-type") == "calls"  # the filter stays as chosen
    page.select_option("#span-type", "")
    page.click("text=Show the days")
    assert spent_total(page) == Decimal("165.00") + Decimal("5.30")
    with page.expect_download() as download:
        page.click("text=Download CSV")
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))[1:]
    assert sum(Decimal(row[5]) for row in rows) == spent_total(page)
    with page.expect_download() as download:
        page.click("text=Download PDF")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"

    page.fill("#from", "2026-10-01")
    page.fill("#to", "2026-11-20")
    page.click("text=Show the days")
    assert page.get_attribute("#to", "aria-invalid") == "true"
    assert "at most 30 days" in page.inner_text("#to-error")
    context.close()
