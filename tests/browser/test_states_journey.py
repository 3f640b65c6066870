"""The states a number is in, in a real browser, with JavaScript and without: a number
blocked for debt is paid off from its dashboard and works again, a paused one resumes, a
SIM card is unblocked and blocked again. The demo copy does requests at once."""
import re

from playwright.sync_api import expect

from tests.browser.test_journeys import international

BLOCKED = {"js": ("0981234567", "120.50"), "nojs": ("0989990003", "50.00")}
PAUSED = {"js": "0961234567", "nojs": "0969990004"}
SIM_BLOCKED = {"js": "0972223344", "nojs": "0979990005"}  # Ольга's SIM is blocked


def sign_in_to(page, live_server, number):
    """Signed in by an SMS code, as the browser (its cookies) would be: the extra numbers
    of the journey without JavaScript have no password."""
    page.goto("/login")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    sent = len(live_server.sms(international(number)))
    assert page.request.post("/login/sms", form={"login": number, "csrf_token": token}).ok
    code = live_server.wait_for_sms(international(number), count=sent + 1)
    verified = page.request.post("/login/sms/verify", form={"login": number, "code": code,
                                                            "csrf_token": token},
                                 max_redirects=0)
    assert verified.status == 303, verified.text()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/$"))


def expect_amount_prefilled(page, due):
    """The amount due comes prefilled: its quick amount's radio ticked (the journey without
    JavaScript owes 50 ₴), or typed in the free field as a Ukrainian types it (the one with
    it owes 120,50 ₴)."""
    whole = due.removesuffix(".00")
    if whole in ("50", "100", "200"):
        expect(page.locator(f"input[name=amount][value='{whole}']")).to_be_checked()
        expect(page.locator("#amount")).to_have_value("")
    else:
        expect(page.locator("#amount")).to_have_value(due.replace(".", ","))


def click_and_wait(page, selector, url):
    page.click(selector)
    expect(page).to_have_url(re.compile(url))


def test_a_debt_paid_from_the_dashboard_unblocks_the_number(page, check, live_server, mode):
    number, due = BLOCKED[mode]
    sign_in_to(page, live_server, number)
    expect(page.locator("#state")).to_have_attribute("value", "debt_blocked")
    expect(page.locator("#next-step")).to_contain_text(due.replace(".", ","))
    check(page, "state-debt-blocked")
    page.click("#next-step a")
    expect(page).to_have_url(re.compile(r"/topup\?"))
    expect_amount_prefilled(page, due)
    page.fill("#card_number", "4111 1111 1111 1111")
    page.fill("#card_expiry", "08/29")
    page.fill("#card_holder", "HANNA BORHOVA")
    page.fill("#card_cvv", "123")
    page.click("#topup button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    page.fill("#code", live_server.wait_for_sms(international(number)))
    page.click("#topup-confirm button[type=submit]")
    expect(page.locator("#unblocked")).to_be_visible()
    check(page, "state-unblocked")
    page.goto("/")
    expect(page.locator("#state")).to_have_attribute("value", "active")
    expect(page.locator("#next-step")).to_have_count(0)


def test_a_paused_number_resumes_from_its_dashboard(page, check, live_server, mode):
    sign_in_to(page, live_server, PAUSED[mode])
    expect(page.locator("#state")).to_have_attribute("value", "suspended")
    check(page, "state-paused")
    click_and_wait(page, "#next-step button[type=submit]", r"/requests$")
    page.goto("/")
    expect(page.locator("#state")).to_have_attribute("value", "active")
    # Paused again, as it was: the journey runs once for each mode on the same demo copy.
    request(page, mode, "pause", "suspended")


def test_a_sim_card_blocked_and_unblocked(page, check, live_server, mode):
    """With JavaScript, Ольга's blocked SIM is unblocked and blocked again; without it, an
    active number's SIM is blocked and unblocked (each number signs in once a run: the SMS
    budget allows one sign-in code a minute)."""
    sign_in_to(page, live_server, SIM_BLOCKED[mode])
    start = "sim_blocked" if mode == "js" else "active"
    expect(page.locator("#state")).to_have_attribute("value", start)
    if start == "active":
        request(page, mode, "sim-block", "sim_blocked")
    check(page, "state-sim-blocked")
    page.goto("/transfer")  # a blocked SIM sends nothing: said before any form
    expect(page.locator("[role=alert]")).to_contain_text("SIM")
    expect(page.locator("#amount")).to_have_count(0)
    page.goto("/")
    click_and_wait(page, "#next-step button[type=submit]", r"/requests$")
    page.goto("/")
    expect(page.locator("#state")).to_have_attribute("value", "active")
    if start == "sim_blocked":
        request(page, mode, "sim-block", "sim_blocked")  # as it was, for the next run


def answer_yes(page, mode, url):
    """The confirmation step: the page's dialog with JavaScript, a page of its own without;
    nothing is done before its own button."""
    if mode == "js":
        expect(page.locator("#confirm-dialog")).to_be_visible()
        expect(page.locator("#confirm-dialog #confirm-title")).to_be_visible()
    else:
        expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    page.click(".confirmation button[type=submit]")


def request(page, mode, action, state):
    """Ask for `action` on /requests (its confirmation answered); the dashboard then shows
    the number in `state`."""
    page.goto("/requests")
    page.click(f"form[action='/requests/{action}'] button[type=submit]")
    answer_yes(page, mode, f"/requests/{action}")
    expect(page.locator("main [role=status]").first).to_be_visible()
    page.goto("/")
    expect(page.locator("#state")).to_have_attribute("value", state)
