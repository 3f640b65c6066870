"""The console in the staff member's language (issue 25 item 5): states, requests, chats,
faults and visits in words, never their codes, and a fault from the staff's side."""
import re

import pytest

import models
from portal.core import catalogue
from tests.helpers import START

STATE_CODES = {"active", "suspended", "debt_blocked", "sim_blocked", "closed", "open", "rated",
               "reported", "visit_offered", "another_asked", "visit_confirmed", "resolved",
               "rejected", "offered", "confirmed", "declined", "done", "cancelled", "pending",
               "service_connect", "service_disconnect", "tariff_switch"}


def visible_text(response):
    """What a reader sees: the tags (and their attributes) taken out."""
    return re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))


def codes_in(text, codes):
    return sorted(code for code in codes if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text))


@pytest.fixture
def console(app):
    """The demo data, the admin signed in, and every console page about it."""
    from portal.demo.data import DEMO_PASSWORD
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    staff = app.test_client()
    assert staff.post("/staff", data={"login": "admin", "password": DEMO_PASSWORD}).status_code == 303
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        numbers = [s.number for s in models.Subscription.select()]
        urls = (["/staff"] + [f"/staff/lookup?number={n.replace('+380', '0')}" for n in numbers]
                + [f"/staff/faults/{f.id}" for f in models.Fault.select()]
                + [f"/staff/chats/{c.id}" for c in models.Chat.select()])
        models.db.close()
    return staff, urls


@pytest.mark.parametrize("language", ["en", "ru"])
def test_console_pages_print_no_state_or_catalogue_code(console, language):
    staff, urls = console
    data = catalogue.load()
    catalogue_codes = {entry["code"] for section in ("tariffs", "services")
                       for entry in data[section]}
    # In English a state's code is also a plain word ("open"): there only the codes that
    # no sentence has; in Russian any of them is a code left untranslated.
    codes = catalogue_codes | STATE_CODES
    if language == "en":
        codes = {code for code in codes if "-" in code or "_" in code}
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    for url in urls:
        response = staff.get(url)
        assert response.status_code == 200, url
        assert codes_in(visible_text(response), codes) == [], url


def test_a_sim_blocked_number_reads_sim_blocked_not_active(app, agent_client, factory):
    blocked = factory.subscriber()
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.Subscription.update(sim_blocked=True).where(
            models.Subscription.id == blocked.id).execute()
    agent_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    text = visible_text(agent_client.get("/staff/lookup?number=0671234567"))
    assert "SIM-blocked by the subscriber" in text and "Active" not in text


@pytest.mark.parametrize(("language", "staff_words", "subscriber_words"), [
    ("en", "The subscriber asked for another time", "You asked for another time"),
    ("uk", "Абонент попросив інший час", "Ви попросили інший час"),
])
def test_the_fault_page_speaks_from_the_staff_side(app, agent_client, factory, language,
                                                   staff_words, subscriber_words):
    account = factory.account(factory.subscriber().profile_id)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        fault = models.Fault.create(subscription=account.id, problem="slow", since=START.date(),
                                    state="another_asked", created_at=START, updated_at=START)
    agent_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    text = visible_text(agent_client.get(f"/staff/faults/{fault.id}"))
    assert staff_words in text and subscriber_words not in text
    queue = visible_text(agent_client.get("/staff"))
    assert staff_words in queue and subscriber_words not in queue
