"""Moved bonuses paying for a call, the bonus history and the tariff page, in a real
browser with JavaScript and without (issue 23): Олена's demo cabinet, read only."""
import re

from playwright.sync_api import expect

from tests.browser.test_journeys import DEMO_PASSWORD, OLENA, international, sign_in


def test_bonuses_spent_by_a_call_the_history_and_the_tariff(page, check, live_server, mode):
    sign_in(page, OLENA, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#bonus-balance")).to_have_attribute(
        "value", live_server.stored(international(OLENA), "bonus_balance"))
    page.click("a[href='/tariff']")
    expect(page).to_have_url(re.compile(r"/tariff$"))
    expect(page.locator("data.left[data-unit=min]")).to_have_count(1)
    expect(page.locator("data.left[data-unit=mb]")).to_have_count(1)
    expect(page.locator("meter")).to_have_count(2)
    check(page, "tariff")

    page.goto("/")
    page.click("a[href='/bonuses']")
    expect(page).to_have_url(re.compile(r"/bonuses$"))
    expect(page.locator("tr.bonus-spend")).to_have_count(1)
    expect(page.locator("#bonus-use li")).to_have_count(4)
    check(page, "bonus-history")
    page.click("a[rel=prev]")
    expect(page).to_have_url(re.compile(r"/bonuses\?month=2026-11$"))
    expect(page.locator("tr.bonus-move_in")).to_have_count(1)

    page.goto("/expenses")
    expect(page.locator("#paid-by-bonuses")).to_have_attribute("value", "7.50")

    page.goto("/")
    page.select_option("#number-switch", "10000001")
    page.click(".switcher button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/bonuses?month=2026-11")
    expect(page.locator("tr.bonus-accrual")).to_have_count(1)
    expect(page.locator("tr.bonus-move_out")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("*460#")
    check(page, "bonus-history-account")
