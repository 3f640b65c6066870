"""The home-screen widget in a real browser: installable (the manifest), read without
JavaScript, and with it offline: the service worker shows the last figures and their
moment, no other signed-in page, and nothing once the subscriber signs out."""
import re

from playwright.sync_api import expect

from tests.browser.test_journeys import sign_in

LOGIN = ("0672223344", "Demo-2026")  # Тарас: a cabinet no other journey changes


def test_the_widget_reads_and_works_offline(page, context, check, mode):
    sign_in(page, *LOGIN)
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/widget")
    balance = page.locator("#balance").get_attribute("value")
    assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", balance)
    expect(page.locator("#bonus-balance")).to_be_visible()
    taken = page.locator("main time").get_attribute("datetime")
    expect(page.locator("head link[rel=manifest]")).to_have_attribute(
        "href", "/manifest.webmanifest")
    check(page, "widget")
    if mode == "nojs":
        return  # read without scripts; a service worker needs them
    # The worker installs, takes the page over, and keeps the widget's next load.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    context.set_offline(True)
    page.goto("/widget")
    expect(page.locator("#balance")).to_have_attribute("value", balance)
    expect(page.locator("main time")).to_have_attribute("datetime", taken)
    # Any other page offline: the public offline page, never a kept signed-in one.
    page.goto("/expenses")
    expect(page.locator("h1")).to_have_text("Немає зв’язку")
    expect(page.locator("#balance")).to_have_count(0)
    context.set_offline(False)
    page.goto("/")
    page.click("header summary")
    page.click("header form[action='/logout'] button[type=submit]")  # sign out: the kept widget goes too
    expect(page).to_have_url(re.compile(r"/login$"))
    context.set_offline(True)
    page.goto("/widget")
    expect(page.locator("#balance")).to_have_count(0)
    context.set_offline(False)
