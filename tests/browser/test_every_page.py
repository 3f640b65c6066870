"""axe-core, the phone checks and a phone-sized screenshot for every page of the app, found
in its URL map, so a page added later is checked without editing this file: signed out,
signed in on the richest demo cabinet, and as the demo staff admin, with JavaScript on and
off. Pages whose URL takes an argument are reached by the journeys instead."""
import re

import pytest
from playwright.sync_api import expect

from portal import create_app
from tests.browser.phone import ARTIFACTS, PHONE

NOT_PAGES = {"static", "set_language", "auth.logout", "demo.sms_json"}


@pytest.fixture(scope="module")
def page_paths(tmp_path_factory):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('map') / 'x.db'}",
                      "SECRET_KEY": "url-map", "DEMO": True})
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments
                  and rule.endpoint not in NOT_PAGES
                  and not re.search(r"\.[a-z]+$", rule.rule))  # files: the journeys fetch them


def visit_all(page, check, paths, who):
    seen = set()
    for path in paths:
        response = page.goto(path)
        final = page.url.split("?")[0]
        if final in seen or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen.add(final)
        check(page, f"page-{who}-{re.sub(r'[^a-z0-9]+', '-', path).strip('-') or 'home'}")
    return seen


def first_screen_problems(page):
    """What keeps the dashboard's first 360x640 screen from its job: the balance in its
    upper half, a Top up control on it."""
    # Measured once the stylesheet is in: a box read while it still loads is the unstyled
    # page's (CI once saw the balance at x=8, y=350: the browser's default margins).
    page.wait_for_load_state("load")
    problems = []
    balance = page.locator("#balance").bounding_box()
    if balance is None or balance["y"] + balance["height"] > PHONE["height"] / 2:
        problems.append(f"the balance is not in the upper half of the first screen: {balance}")
    top_ups = [box for box in (link.bounding_box() for link in
                               page.locator("a[href^='/topup']").all())
               if box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]]
    if not top_ups:
        problems.append("no Top up control on the first screen")
    return problems


def test_every_page_signed_out(page, check, page_paths, mode):
    assert len(visit_all(page, check, page_paths, "guest")) >= 5


# The signed-in pages in two halves, each a test of its own: the longest browser test
# otherwise (35 s), left for last on one worker while the other waits.
@pytest.mark.parametrize("half", [0, 1])
def test_every_page_signed_in(page, check, page_paths, mode, half):
    page.goto("/login")
    page.fill("#password-login", "0671234567")
    page.fill("#password", "Demo-2026")
    page.click("#password-signin button[type=submit]")
    expect(page.locator("#balance")).to_be_visible()
    assert first_screen_problems(page) == []
    page.screenshot(path=str(ARTIFACTS / f"{mode}-dashboard-first-screen.png"), caret="initial")
    seen = visit_all(page, check, page_paths[half::2], "olena")
    assert len(seen) >= 5, seen


def test_the_first_screen_check_fails_on_a_balance_below_the_fold(page, mode):
    page.set_content('<p style="height:400px">x</p><data id="balance" value="1">1</data>'
                     '<a href="/topup" style="display:block;margin-top:700px">Top up</a>')
    assert len(first_screen_problems(page)) == 2


def test_every_staff_page(page, check, page_paths, mode):
    staff_paths = [path for path in page_paths if path.startswith("/staff")]
    assert staff_paths
    page.goto("/staff")
    page.fill("#login", "admin")
    page.fill("#password", "Demo-2026")
    # The demo prints its staff's current code for trainers (README, "Demo").
    page.fill("#code", re.search(r"\d{6}", page.text_content("#demo-totp")).group(0))
    page.click("#staff-signin button[type=submit]")
    expect(page.locator("#staff-signin")).to_have_count(0)
    visit_all(page, check, staff_paths, "staff")
