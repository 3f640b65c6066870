"""In a real browser on a 360×640 phone, with JavaScript on and off, a subscriber goes from
the dashboard's month figure to that month's report, reads its totals on the first screen,
changes the period behind the folded forms, and exports a span of days. Debian's chromium,
never a downloaded one; skipped without it."""
import csv
import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD
from tests.test_expenses import NOVEMBER, NOVEMBER_SPENT, OCTOBER, add_records, sheet_decimal

PHONE = {"width": 360, "height": 640}  # as tests/browser/conftest.py


@pytest.fixture
def live(app, subscriber, app_url):
    add_records(app, subscriber, NOVEMBER + OCTOBER)
    return app_url


@pytest.fixture
def phone(browser, live, mode):
    """A phone's tab in English whose script errors and Content-Security-Policy refusals
    fail the test."""
    context = browser.new_context(java_script_enabled=(mode == "js"), base_url=live,
                                  viewport=PHONE, locale="en-GB", accept_downloads=True,
                                  extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert not problems, problems


def spent_total(page):
    return Decimal(page.get_attribute("#spent-total", "value"))


def shows_total(page, value):
    """Waits for the report to show `value` spent (htmx swaps it in a moment later)."""
    expect(page.locator("#spent-total")).to_have_attribute("value", value)


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def assert_first_screen(page):
    """The totals start on the first screen, the period forms are folded, nothing scrolls
    sideways (the page, or the records' own region) and the chart's labels are 12 px or
    more. Measured once the stylesheet is in (test_every_page.first_screen_problems)."""
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")
    totals = box(page, "#totals")
    assert 0 < totals["y"] < PHONE["height"], totals
    assert box(page, "#spent-total")["y"] < totals["y"] + totals["height"]
    assert page.get_attribute("#period", "open") is None
    assert not page.is_visible("#month") and not page.is_visible("#from")
    assert box(page, "#period")["y"] > totals["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("(() => { const r = document.querySelector('#records .scroll');"
                         " return !r || r.scrollWidth <= r.clientWidth; })()")
    sizes = page.evaluate("Array.from(document.querySelectorAll('.chart text')).map(t =>"
                          " t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize))")
    assert sizes and min(sizes) >= 12, sizes


def change_period(page):
    """Unfold "Change the period" (a <details>: no script needed)."""
    page.click("#period summary")
    assert page.is_visible("#month")


@pytest.mark.parametrize("mode", ["js", "nojs"])
def test_a_month_on_a_phone_its_totals_first_and_the_period_behind_a_fold(phone, mode):
    page = phone
    page.goto("/login")
    page.fill("#password-login", "067 123 45 67")
    page.fill("#password", PASSWORD)
    page.click("#password-signin button[type=submit]")
    page.click("a[href='/expenses?month=2026-11']")  # the dashboard's "This month"
    page.wait_for_url("**/expenses?month=2026-11")
    shows_total(page, f"{NOVEMBER_SPENT / 100:.2f}")
    assert_first_screen(page)
    assert page.is_visible("text=03.11.2026 09:15:02.125")  # to the millisecond

    page.click("a[rel=prev]")
    page.wait_for_url("**/expenses?month=2026-10")
    shows_total(page, "6.50")
    assert_first_screen(page)

    change_period(page)
    page.fill("#month", "2026-10")
    page.select_option("#month-type", "calls")
    page.click("text=Show the month")
    page.wait_for_url("**/expenses?month=2026-10&type=calls")
    shows_total(page, "1.50")
    assert page.get_attribute("#period", "open") is None  # folded again

    change_period(page)
    page.fill("#from", "2026-11-01")
    page.fill("#to", "2026-11-03")
    assert page.input_value("#span-type") == "calls"  # the filter stays as chosen
    page.select_option("#span-type", "")
    page.click("text=Show the days")
    page.wait_for_url("**/expenses?from=2026-11-01&to=2026-11-03**")
    shows_total(page, "170.30")
    assert_first_screen(page)
    with page.expect_download() as download:
        page.click("text=Download CSV")
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))[1:]
    assert sum(sheet_decimal(row[5]) for row in rows) == spent_total(page)
    with page.expect_download() as download:
        page.click("text=Download PDF")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"

    change_period(page)
    page.fill("#from", "2026-10-01")
    page.fill("#to", "2026-11-20")
    page.click("text=Show the days")
    # Refused: the forms come back open, so the marked field and its message show.
    expect(page.locator("#to")).to_have_attribute("aria-invalid", "true")
    assert page.get_attribute("#period", "open") == ""
    assert page.is_visible("#to-error")
    assert "no later than 30.10.2026" in page.inner_text("#to-error")
