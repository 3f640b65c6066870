"""The profile's journeys in a real browser, with JavaScript and without: a free SMS with
its count, adding a number with a code and removing it, the PUK1 after the password, shops."""
import re

from playwright.sync_api import expect

PETRO = "0681234567"  # business contract; signs in with the demo password
# Numbers added to Петро's cabinet and removed again: one for each mode, as a new code for
# the same number waits a minute.
ADDED = {"js": ("0391234567", "+380 39 123 45 67"), "nojs": ("0961234567", "+380 96 123 45 67")}
DEMO_PASSWORD = "Demo-2026"


def sign_in(page):
    page.goto("/login")
    page.fill("#password-login", PETRO)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#password-signin button[type=submit]")
    expect(page.locator("#balance")).to_be_visible()


def test_free_sms_counts_and_goes(page, check, live_server, mode):
    sign_in(page)
    page.goto("/sms")
    page.fill("#to", "067 222 33 44")
    text = "Добрий день! " * 5  # 65 Cyrillic characters and the sender's number: 2 SMS
    # The live count shows only where a script keeps it up to date.
    expect(page.locator("#sms-count")).to_be_visible(visible=mode == "js")
    expect(page.locator("[data-sms-nojs]")).to_be_visible(visible=mode == "nojs")
    if mode == "js":
        page.locator("#text").press_sequentially(text)
        expect(page.locator('[data-sms="characters"]')).to_have_text("65")
        expect(page.locator('[data-sms="parts"]')).to_have_text("2")
        expect(page.locator('[data-sms="encoding"]')).to_contain_text("UCS-2")
    else:
        page.fill("#text", text)
    check(page, "sms-form")
    page.click("#sms-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/sms$"))
    expect(page.locator(".notice")).to_be_visible()
    check(page, "sms-sent")
    sent = live_server.sms("+380672223344")
    assert sent and sent[0] == "+380681234567: " + text


def test_add_and_remove_a_number(page, check, live_server, mode):
    sign_in(page)
    page.goto("/profile")
    check(page, "profile")
    number, shown = ADDED[mode]
    page.fill("#number", number)
    page.click("#add-number button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    check(page, "profile-add-code")
    code = live_server.wait_for_sms("+380" + number[1:])
    page.fill("#code", code)
    page.click("#add-number button[type=submit]")
    expect(page).to_have_url(re.compile(r"/profile$"))
    expect(page.locator(".notice")).to_be_visible()
    expect(page.locator("#numbers")).to_contain_text(shown)
    page.click(f'#numbers form[action="/profile/numbers/remove"]:has(input[value="+380{number[1:]}"]) '
               'button')
    expect(page.locator("#numbers .confirm")).to_contain_text(shown)
    check(page, "profile-remove-confirm")
    page.click("#numbers .confirm button")
    expect(page).to_have_url(re.compile(r"/profile$"))
    expect(page.locator(".notice")).to_be_visible()
    expect(page.locator("#numbers")).not_to_contain_text(shown)
    check(page, "profile-removed")


def test_puk_after_the_password_and_shops(page, check, mode):
    sign_in(page)
    page.goto("/device")
    expect(page.locator("#puk1")).to_have_count(0)
    page.fill("#password", "wrong-Pass1")
    page.click("#puk button[type=submit]")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#puk button[type=submit]")
    expect(page.locator("#puk1")).to_have_text(re.compile(r"^\d{8}$"))
    check(page, "device-puk")

    page.goto("/shops")
    page.fill("#shop-query", "львів")
    if mode == "nojs":
        page.click("form[role=search] button[type=submit]")
    expect(page.locator("#shop-results")).to_contain_text("Свободи")
    expect(page.locator("#shop-results")).not_to_contain_text("Хрещатик")
    check(page, "shops")
