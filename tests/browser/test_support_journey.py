"""In a real browser with JavaScript off: a subscriber and an agent, each in a browser of
their own, hold a whole conversation and book a technician's visit, and the admin's audit
log shows every step. Debian's chromium, never a downloaded one; skipped without it."""
import pytest

import models
from portal.core.security import hash_password
from tests.helpers import PASSWORD, START, staff_secret, totp_code

STAFF_PASSWORD = "Staff-pass9"


@pytest.fixture
def live(app, factory, app_url):
    subscriber = factory.subscriber()
    factory.account(subscriber.profile_id)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.Technician.create(name="Petro")
        for login, role in (("olena", "agent"), ("boss", "admin")):
            models.StaffUser.create(login=login, role=role, password_hash=hash_password(STAFF_PASSWORD),
                                    created_at=START, password_changed_at=START,
                                    totp_secret=staff_secret())
        models.db.close()
    return app_url


def new_page(browser, base):
    context = browser.new_context(java_script_enabled=False, base_url=base, locale="en-GB",
                                  extra_http_headers={"Accept-Language": "en"})
    return context.new_page()


def staff_sign_in(browser, base, login):
    page = new_page(browser, base)
    page.goto("/staff")
    page.fill("#login", login)
    page.fill("#password", STAFF_PASSWORD)
    page.fill("#code", totp_code(START))  # the app's clock stands at START
    page.click("#staff-signin button[type=submit]")
    return page


def test_conversation_and_visit_with_javascript_off(live, browser):
    subscriber = new_page(browser, live)
    subscriber.goto("/login")
    subscriber.fill("#password-login", "067 123 45 67")
    subscriber.fill("#password", PASSWORD)
    subscriber.click("#password-signin button[type=submit]")
    subscriber.click("header summary")  # the menu
    subscriber.click("text=Online help")
    subscriber.fill("#text", "My Home Internet is down since yesterday.")
    subscriber.click("#chat button[type=submit]")
    assert "My Home Internet is down since yesterday." in subscriber.inner_text("#conversation")

    agent = staff_sign_in(browser, live, "olena")
    agent.click("#queue a[href^='/staff/chats/']")
    assert "My Home Internet is down" in agent.inner_text("#conversation")
    agent.fill("#text", "Sorry about that. Please report the fault: we will send a technician.")
    agent.click("#reply form:first-of-type button")

    subscriber.click("text=Refresh to see new answers")
    assert "we will send a technician" in subscriber.inner_text("#conversation")

    subscriber.click("text=Report a fault and book a technician")
    subscriber.check("input[name=problem][value=no_connection]")
    subscriber.fill("#since", "2026-11-24")
    subscriber.click("#fault-form button[type=submit]")
    assert "waiting for a visit offer" in subscriber.inner_text("#fault-state")

    agent.goto("/staff")
    agent.click("#queue a[href^='/staff/faults/']")
    agent.select_option("#slot", "2026-11-26T10:00")
    agent.click("text=Offer this time")
    assert "Visit offered" in agent.inner_text("#fault-state")

    subscriber.reload()
    subscriber.click("text=Confirm this time")
    assert subscriber.get_attribute("#fault-state", "data-state") == "visit_confirmed"

    agent.goto("/staff")
    agent.click("#queue a[href^='/staff/chats/']")
    agent.click("text=Close the chat and ask for a score")

    subscriber.click("text=Back to online help")
    subscriber.check("input[name=score][value='5']")
    subscriber.click("text=Rate")
    assert "You rated this conversation 5 of 5" in subscriber.inner_text("#conversation")

    admin = staff_sign_in(browser, live, "boss")
    admin.click("text=Audit log")
    log = admin.inner_text("table.audit")
    for event in ("chat_opened", "chat_message", "staff_login", "staff_chat_reply",
                  "fault_reported", "staff_visit_offered", "visit_confirmed",
                  "staff_chat_closed", "chat_rated"):
        assert event in log
