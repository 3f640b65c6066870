"""What the cabinet gives beyond the operator's guide, in a real browser, with JavaScript
and without: the SMS in the cabinet's language, a self-service credit, a low-balance alert
and a personal token that opens the balance API (and stops opening it once revoked)."""
import json
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.browser.test_journeys import international
from tests.browser.test_states_journey import click_and_wait, sign_in_to

NUMBER = {"js": "0771234567", "nojs": "0679990006"}  # Марія; a number of the journey's own


def api(live_server, token):
    request = urllib.request.Request(live_server.url + "/api/v1/balance",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_language_credit_alert_and_token(page, check, live_server, mode):
    number = NUMBER[mode]
    sign_in_to(page, live_server, number)
    # The cabinet's language, chosen in the footer, is the language of its SMS.
    click_and_wait(page, "footer button[value=en]", r"/$")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto("/credit")
    check(page, "credit")
    page.click("#credit button[type=submit]")
    expect(page.locator("#credit-owed")).to_be_visible()
    check(page, "credit-taken")
    taken = live_server.wait_for_sms(international(number), pattern=r"(A credit of \S+)")
    assert taken.startswith("A credit of 20.00")
    page.goto("/")
    expect(page.locator("main")).to_contain_text("20.00")

    page.goto("/settings")
    page.fill("#threshold", "15")
    page.click("#alert-card button[type=submit]")
    expect(page.locator("#alert-card")).to_contain_text("15.00")
    check(page, "alert-set")

    page.goto("/profile/tokens")
    page.fill("#name", "widget on my phone")
    page.click("#tokens form button[type=submit]")
    token = page.locator("#token").inner_text().strip()
    assert token.startswith("pk_")
    check(page, "token-made")
    status, body = api(live_server, token)
    assert status == 200
    (shown,) = [row for row in body["numbers"] if row["number"] == international(number)]
    assert shown["state"] == "active" and shown["balance"] == live_server.stored(
        international(number))
    page.goto("/profile/tokens")
    page.click("#tokens form[action$='/revoke'] button[type=submit]")
    page.click(".confirmation button[type=submit]")  # the question first (a dialog with JS)
    expect(page.locator("#token")).to_have_count(0)
    assert api(live_server, token)[0] == 401
