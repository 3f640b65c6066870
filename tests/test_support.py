"""Online help over HTTP: the chat with an agent (with JavaScript off, and htmx polling),
rating, Home Internet faults and the technician visits, and the staff console's sign-in,
queue, answers, visit offers, look-ups and audit log."""
import re
from datetime import date

import pytest

import models
from tests.helpers import PASSWORD, STAFF_PASSWORD, START, field_error, kyiv, sms_to

HX = {"HX-Request": "true"}


def page(response):
    return response.get_data(as_text=True)


@pytest.fixture
def technicians(db):
    return [models.Technician.create(name=name) for name in ("Petro", "Ivan")]


@pytest.fixture
def home(factory, signed_in):
    """The signed-in subscriber's profile also holds a Home Internet account."""
    return factory.account(signed_in.profile_id, activated_on=date(2024, 3, 1))


def audit_events(app):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        return [(e.event, e.actor, e.subject) for e in
                models.AuditEvent.select().order_by(models.AuditEvent.id)]


def latest_chat(app):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        return models.Chat.select().order_by(models.Chat.id.desc()).first()


# The subscriber's page --------------------------------------------------------------------

def test_support_needs_sign_in(client):
    response = client.get("/support")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert client.post("/support/messages", data={"text": "hi"}).status_code == 303


def test_support_page_gives_numbers_and_safety_advice(client, signed_in):
    html = page(client.get("/support"))
    assert 'href="tel:466"' in html and "0 800 300 466" in html
    assert "Never tell anyone a code from our SMS" in html
    assert "Never open links in SMS from numbers you do not know" in html
    assert 'action="/support/messages"' in html


def test_a_whole_conversation_with_javascript_off(app, client, signed_in, agent_client, clock):
    response = client.post("/support/messages", data={"text": "  My internet is down \r\n"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/support")
    html = page(client.get(response.headers["Location"]))
    assert "My internet is down" in html
    assert "Refresh to see new answers" in html and 'data-hx-trigger="every 5s"' in html
    chat = latest_chat(app)
    assert chat.state == "open" and chat.waiting and chat.subscription_id == signed_in.id

    queue = page(agent_client.get("/staff"))
    assert f'href="/staff/chats/{chat.id}"' in queue and "needs an answer" in queue
    assert "My internet is down" in page(agent_client.get(f"/staff/chats/{chat.id}"))
    clock.advance(minutes=2)
    response = agent_client.post(f"/staff/chats/{chat.id}/messages",
                                 data={"text": "Please restart the router."})
    assert response.status_code == 303
    assert "Please restart the router." in page(client.get("/support"))
    assert not latest_chat(app).waiting

    response = agent_client.post(f"/staff/chats/{chat.id}/close")
    assert response.status_code == 303
    html = page(client.get("/support"))
    assert 'action="/support/rate"' in html and 'data-hx-trigger' not in html.split('id="conversation"')[1][:20]
    response = client.post("/support/rate", data={"score": "4"})
    assert response.status_code == 303
    chat = latest_chat(app)
    assert (chat.state, chat.score) == ("rated", 4)
    assert "You rated this conversation 4 of 5" in page(client.get("/support"))

    events = [event for event, _actor, _subject in audit_events(app)]
    for expected in ("chat_opened", "chat_message", "staff_login", "staff_chat_viewed",
                     "staff_chat_reply", "staff_chat_closed", "chat_rated"):
        assert expected in events


@pytest.mark.parametrize("text, message", [
    ("", "Type your message."),
    ("   ", "Type your message."),
    ("x" * 1001, "At most 1000 characters, you typed 1001."),
    ("bell\x07", "Remove the special characters"),
])
def test_bad_message(app, client, signed_in, text, message):
    response = client.post("/support/messages", data={"text": text})
    assert response.status_code == 422
    html = page(response)
    assert message in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="text-error"' in html
    assert latest_chat(app) is None


def test_message_needs_csrf(app, client, signed_in):
    assert client.post("/support/messages", data={"text": "hi"}, csrf=False).status_code == 400
    assert latest_chat(app) is None


def test_htmx_send_answers_the_chat_block(client, signed_in):
    response = client.post("/support/messages", data={"text": "Hello"}, headers=HX)
    assert response.status_code == 200
    html = page(response)
    assert html.strip().startswith('<section id="chat"') and "Hello" in html and "<html" not in html


def test_poll_answers_nothing_until_something_changes(app, client, signed_in, agent_client):
    client.post("/support/messages", data={"text": "Hello"})
    chat = latest_chat(app)
    html = page(client.get("/support"))
    poll = html.split('data-hx-get="')[1].split('"')[0].replace("&amp;", "&")
    assert client.get(poll, headers=HX).status_code == 204
    agent_client.post(f"/staff/chats/{chat.id}/messages", data={"text": "Hi, how can I help?"})
    response = client.get(poll, headers=HX)
    assert response.status_code == 200
    fragment = page(response)
    assert fragment.strip().startswith('<div id="conversation"') and "Hi, how can I help?" in fragment
    # Closing changes the state: the next poll shows the rating form and stops polling.
    new_poll = fragment.split('data-hx-get="')[1].split('"')[0].replace("&amp;", "&")
    assert client.get(new_poll, headers=HX).status_code == 204
    agent_client.post(f"/staff/chats/{chat.id}/close")
    fragment = page(client.get(new_poll, headers=HX))
    assert 'action="/support/rate"' in fragment and "data-hx-trigger" not in fragment


def test_a_message_after_closing_opens_a_new_chat(app, client, signed_in, agent_client):
    client.post("/support/messages", data={"text": "First"})
    first = latest_chat(app)
    agent_client.post(f"/staff/chats/{first.id}/close")
    client.post("/support/messages", data={"text": "Second"})
    second = latest_chat(app)
    assert second.id != first.id and second.state == "open"
    html = page(client.get("/support"))
    assert "Second" in html and "First" not in html


@pytest.mark.parametrize("score", ["", "0", "6", "abc", "4.5"])
def test_bad_score(app, client, signed_in, agent_client, score):
    client.post("/support/messages", data={"text": "Hi"})
    agent_client.post(f"/staff/chats/{latest_chat(app).id}/close")
    response = client.post("/support/rate", data={"score": score})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in page(response) and "Choose a score" in page(response)
    assert latest_chat(app).state == "closed"


def test_rating_an_open_chat_or_twice_is_refused(app, client, signed_in, agent_client):
    client.post("/support/messages", data={"text": "Hi"})
    response = client.post("/support/rate", data={"score": "5"})
    assert response.status_code == 409 and 'role="alert"' in page(response)
    agent_client.post(f"/staff/chats/{latest_chat(app).id}/close")
    assert client.post("/support/rate", data={"score": "5"}).status_code == 303
    response = client.post("/support/rate", data={"score": "1"})
    assert response.status_code == 409 and "rated this conversation already" in page(response)
    assert latest_chat(app).score == 5


def test_subscribers_see_only_their_own_chat(app, client, auth, factory, signed_in):
    client.post("/support/messages", data={"text": "Private words"})
    factory.subscriber(number="+380971112233", name="Other")
    auth.logout()
    auth.login("0971112233")
    html = page(client.get("/support"))
    assert "Private words" not in html
    client.post("/support/messages", data={"text": "Mine"})
    assert latest_chat(app).profile_id != signed_in.profile_id


# Faults and visits ------------------------------------------------------------------------

def report(client, home_account, **fields):
    data = {"account": home_account.number, "problem": "no_connection", "details": "",
            "since": "24.11.2026"}
    data.update(fields)
    return client.post("/support/fault", data=data)


def test_report_offer_another_confirm_with_javascript_off(app, client, auth, home, agent_client,
                                                         technicians, clock):
    assert "Report a fault and book a technician" in page(client.get("/support"))
    response = report(client, home)
    assert response.status_code == 303
    fault_url = response.headers["Location"]
    html = page(client.get(fault_url))
    assert "No internet at all" in html and "Reported, waiting for a visit offer" in html
    fault_id = int(fault_url.rsplit("/", 1)[1])

    assert f'href="/staff/faults/{fault_id}"' in page(agent_client.get("/staff"))
    staff_page = page(agent_client.get(f"/staff/faults/{fault_id}"))
    assert 'href="tel:+380671234567"' in staff_page  # the technician calls before coming
    # 10:00 now, two hours' lead: the first free time is today at 12:00.
    assert '<option value="2026-11-25T12:00">' in staff_page
    assert 'value="2026-11-25T11:00"' not in staff_page
    response = agent_client.post(f"/staff/faults/{fault_id}/offer", data={"slot": "2026-11-26T10:00"})
    assert response.status_code == 303
    told = sms_to(app, "+380671234567")[0]
    assert "майстер може прийти" in told and home.number in told and "http" not in told

    html = page(client.get(fault_url))
    assert "Confirm this time" in html and "Ask for another time" in html
    assert 'datetime="2026-11-26T10:00+02:00"' in html
    response = client.post(f"/support/faults/{fault_id}/another", data={"wish": " "})
    assert response.status_code == 422
    assert "Say which days and times suit you" in field_error(page(response), "wish")
    response = client.post(f"/support/faults/{fault_id}/another",
                           data={"wish": "weekdays  after 18:00"})
    assert response.status_code == 303
    html = page(client.get(fault_url))
    assert "You asked for another time" in html
    staff_page = page(agent_client.get(f"/staff/faults/{fault_id}"))
    assert "<q>weekdays after 18:00</q>" in staff_page  # the agent sees what suits
    # The declined time is free again, but it is not the first one offered.
    first = re.search(r'<option value="([^"]+)"', staff_page).group(1)
    assert first == "2026-11-25T12:00" and 'value="2026-11-26T10:00"' in staff_page
    assert staff_page.index('value="2026-11-26T10:00"') > staff_page.index(
        'value="2026-11-26T11:00"')

    agent_client.post(f"/staff/faults/{fault_id}/offer", data={"slot": "2026-11-27T14:00"})
    assert "you asked for another time (weekdays after 18:00)" in page(client.get(fault_url))
    assert client.post(f"/support/faults/{fault_id}/confirm").status_code == 303
    html = page(client.get(fault_url))
    assert 'data-state="visit_confirmed"' in html and 'datetime="2026-11-27T14:00+02:00"' in html

    clock.set(kyiv(2026, 11, 27, 15, 30))  # both sessions have long gone idle
    agent_client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD})
    auth.login()
    assert agent_client.post(f"/staff/faults/{fault_id}/resolve").status_code == 303
    assert 'data-state="resolved"' in page(client.get(fault_url))

    events = [event for event, _actor, _subject in audit_events(app)]
    for expected in ("fault_reported", "staff_fault_viewed", "staff_visit_offered",
                     "visit_another_asked", "visit_confirmed", "staff_fault_resolved"):
        assert expected in events
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        visits = list(models.Visit.select().order_by(models.Visit.id))
        assert [(v.state, v.held) for v in visits] == [("declined", None), ("done", True)]


@pytest.mark.parametrize("fields, field, message", [
    ({"problem": ""}, "problem", "Choose what is wrong."),
    ({"problem": "hacked"}, "problem", "Choose what is wrong."),
    ({"problem": "other", "details": ""}, "details", "Describe the problem"),
    ({"details": "x" * 501}, "details", "At most 500 characters"),
    ({"since": ""}, "since", "Type the date"),
    ({"since": "yesterday"}, "since", "Type the date"),
    ({"since": "2026-11-26"}, "since", "still ahead"),
    ({"since": "01.01.2020"}, "since", "was connected on 01.03.2024"),
    ({"account": "99999999"}, "account", "Choose one of your Home Internet accounts."),
])
def test_bad_fault_report(app, client, home, fields, field, message):
    response = report(client, home, **fields)
    assert response.status_code == 422
    assert message in field_error(page(response), field)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Fault.select().count() == 0


def test_fault_of_another_profiles_account_is_refused(app, client, home, factory):
    stranger = factory.subscriber(number="+380971112233", name="Other")
    foreign = factory.account(stranger.profile_id)
    response = report(client, foreign)
    assert response.status_code == 422
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Fault.select().count() == 0


def test_one_open_fault_per_account(client, home):
    assert report(client, home).status_code == 303
    response = report(client, home)
    assert response.status_code == 409 and "being handled already" in page(response)


def test_mobile_only_profile_cannot_report(client, signed_in):
    assert "your cabinet holds none" in page(client.get("/support/fault"))


def test_fault_pages_are_only_the_owners(app, client, auth, factory, home, agent_client, technicians):
    fault_url = report(client, home).headers["Location"]
    fault_id = int(fault_url.rsplit("/", 1)[1])
    agent_client.post(f"/staff/faults/{fault_id}/offer", data={"slot": "2026-11-26T10:00"})
    auth.logout()
    factory.subscriber(number="+380971112233", name="Other")
    auth.login("0971112233")
    assert client.get(fault_url).status_code == 404
    assert client.post(f"{fault_url}/confirm").status_code == 404
    assert client.post(f"{fault_url}/another").status_code == 404
    assert "2026" not in page(client.get("/support")).split("Home Internet not working?")[1][:200]


def test_an_expired_offer_cannot_be_confirmed(client, auth, home, agent_client, technicians,
                                              clock):
    fault_url = report(client, home).headers["Location"]
    fault_id = int(fault_url.rsplit("/", 1)[1])
    agent_client.post(f"/staff/faults/{fault_id}/offer", data={"slot": "2026-11-25T12:00"})
    clock.set(kyiv(2026, 11, 25, 12, 0))
    auth.login()  # the session idled out meanwhile
    response = client.post(f"{fault_url}/confirm")
    assert response.status_code == 409 and "has passed" in page(response)
    assert client.post(f"{fault_url}/another", data={"wish": "any evening"}).status_code == 303


def test_confirming_twice_is_refused(client, home, agent_client, technicians):
    fault_url = report(client, home).headers["Location"]
    fault_id = int(fault_url.rsplit("/", 1)[1])
    agent_client.post(f"/staff/faults/{fault_id}/offer", data={"slot": "2026-11-26T10:00"})
    assert client.post(f"{fault_url}/confirm").status_code == 303
    assert client.post(f"{fault_url}/confirm").status_code == 409
    assert client.post(f"{fault_url}/another").status_code == 409


# Technicians' days ------------------------------------------------------------------------

def make_fault(app, account, state="reported"):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        return models.Fault.create(subscription=account.id, problem="slow", since=START.date(),
                                   state=state, created_at=START, updated_at=START)


def test_a_technicians_day_holds_eight_visits(app, home, agent_client, db):
    models.Technician.create(name="Only one")
    faults = [make_fault(app, home) for _ in range(9)]
    thursday = [f"2026-11-26T{hour:02d}:00" for hour in (9, 10, 11, 12, 14, 15, 16, 17)]
    for fault, slot in zip(faults, thursday, strict=False):
        assert agent_client.post(f"/staff/faults/{fault.id}/offer", data={"slot": slot}).status_code == 303
    html = page(agent_client.get(f"/staff/faults/{faults[8].id}"))
    assert "2026-11-26T" not in html  # the full day is offered no more
    response = agent_client.post(f"/staff/faults/{faults[8].id}/offer",
                                 data={"slot": "2026-11-26T10:00"})
    assert response.status_code == 422 and "No technician is free" in page(response)
    assert models.Visit.select().where(models.Visit.held == True).count() == 8  # noqa: E712


@pytest.mark.parametrize("slot, message", [
    ("2026-11-25T11:00", "Too soon"),
    ("2026-11-24T10:00", "Too soon"),
    ("2026-11-26T13:00", "Visits start on the hour"),
    ("2026-11-26T08:00", "Visits start on the hour"),
    ("2026-11-26T10:30", "Visits start on the hour"),
    ("2026-11-29T10:00", "Visits start on the hour"),  # a Sunday
    ("2026-12-21T10:00", "within 14 days"),
    ("tomorrow", "Choose a time from the list"),
    ("0001-01-01T00:00", "Choose a time from the list"),  # before the calendar's start in UTC
    ("9999-12-31T10:00", "within 14 days"),
    ("", "Choose a time from the list"),
])
def test_visits_only_in_working_hours_and_ahead(app, home, agent_client, technicians, slot, message):
    fault = make_fault(app, home)
    response = agent_client.post(f"/staff/faults/{fault.id}/offer", data={"slot": slot})
    assert response.status_code == 422
    html = page(response)
    assert message in html and 'aria-invalid="true"' in html
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Visit.select().count() == 0


def test_offer_only_when_the_fault_waits_for_one(app, home, agent_client, technicians):
    fault = make_fault(app, home, state="visit_confirmed")
    response = agent_client.post(f"/staff/faults/{fault.id}/offer", data={"slot": "2026-11-26T10:00"})
    assert response.status_code == 409 and 'role="alert"' in page(response)


def test_an_offer_stands_when_the_sms_gateway_is_down(app, home, agent_client,
                                                      technicians, gateway_down):
    """The offer is made; its SMS waits in the outbox for the gateway (flask send-sms)."""
    fault = make_fault(app, home)
    response = agent_client.post(f"/staff/faults/{fault.id}/offer", data={"slot": "2026-11-26T10:00"})
    assert response.status_code == 303
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Visit.select().count() == 1
        assert models.Fault.get_by_id(fault.id).state == "visit_offered"
        message = models.SmsMessage.get()
        assert (message.state, message.retriable) == ("queued", True)


def test_rejecting_frees_the_slot(app, home, agent_client, technicians, db):
    fault = make_fault(app, home)
    agent_client.post(f"/staff/faults/{fault.id}/offer", data={"slot": "2026-11-26T10:00"})
    assert agent_client.post(f"/staff/faults/{fault.id}/reject", data={"confirmed": "yes"}).status_code == 303
    visit = models.Visit.get()
    assert (visit.state, visit.held) == ("cancelled", None)
    assert models.Fault.get_by_id(fault.id).state == "rejected"


# The staff console ------------------------------------------------------------------------

def test_staff_sign_in_form_when_signed_out(client):
    response = client.get("/staff")
    assert response.status_code == 200
    html = page(response)
    assert 'name="login"' in html and 'name="password"' in html and "Open chats" not in html


def test_a_subscriber_never_reaches_the_console(client, signed_in):
    html = page(client.get("/staff"))
    assert "Staff sign-in" in html and "Open chats" not in html
    for url in ("/staff/queue", "/staff/lookup?number=0671234567", "/staff/audit",
                "/staff/chats/1", "/staff/faults/1"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["Location"] == "/staff"
    assert client.post("/staff/chats/1/messages", data={"text": "x"}).status_code == 303
    # The subscriber's own password does not open the console either.
    response = client.post("/staff", data={"login": "0671234567", "password": PASSWORD})
    assert response.status_code == 422


def test_staff_sign_in_ends_the_subscriber_session(client, signed_in, make_staff):
    make_staff()
    assert client.get("/").status_code == 200
    assert client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD}).status_code == 303
    assert client.get("/").status_code == 303  # the agent is not the subscriber
    assert client.post("/support/messages", data={"text": "as a subscriber?"}).status_code == 303
    assert "Open chats" in page(client.get("/staff"))


def test_staff_sign_in_ends_a_remembered_subscriber_session(client, auth, subscriber, make_staff):
    make_staff()
    assert auth.login(remember=True).status_code == 303
    assert client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD}).status_code == 303
    assert client.get("/").status_code == 303
    assert client.get("/support").status_code == 303


def test_subscriber_sign_in_ends_the_staff_session(client, auth, subscriber, make_staff):
    make_staff()
    client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD})
    assert auth.login().status_code == 303
    assert "Open chats" not in page(client.get("/staff"))


@pytest.mark.parametrize("login, password", [
    ("olena", "Wrong-pass1"), ("nobody", STAFF_PASSWORD), ("", STAFF_PASSWORD), ("olena", ""),
])
def test_bad_staff_sign_in(client, make_staff, login, password):
    make_staff()
    response = client.post("/staff", data={"login": login, "password": password})
    assert response.status_code == 422
    html = page(response)
    assert 'aria-invalid="true"' in html
    assert "Open chats" not in page(client.get("/staff"))


def test_staff_sign_in_needs_csrf(client, make_staff):
    make_staff()
    response = client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD}, csrf=False)
    assert response.status_code == 400


def test_staff_session_ends_when_idle(agent_client, clock):
    assert "Open chats" in page(agent_client.get("/staff"))
    clock.advance(minutes=31)
    assert "Open chats" not in page(agent_client.get("/staff"))


def test_staff_sign_out(app, agent_client):
    assert agent_client.post("/staff/logout").status_code == 303
    assert "Open chats" not in page(agent_client.get("/staff"))
    assert ("staff_logout", "staff:olena", "") in audit_events(app)


def test_lookup_is_audited(app, agent_client, subscriber):
    response = agent_client.get("/staff/lookup?number=067+123+45+67")
    assert response.status_code == 200
    html = page(response)
    assert "Тест Тестенко" in html and '<data value="100.00">' in html
    response = agent_client.get("/staff/lookup?number=0501234567")
    assert response.status_code == 422 and 'aria-invalid="true"' in page(response)
    response = agent_client.get("/staff/lookup?number=0971112233")
    assert response.status_code == 422 and "No subscriber has this number" in page(response)
    lookups = [(subject, ) for event, actor, subject in audit_events(app) if event == "staff_lookup"]
    assert lookups == [("067 123 45 67",), ("0501234567",), ("0971112233",)]


def test_the_lookup_page_opens_empty_and_an_empty_search_is_refused(app, agent_client):
    response = agent_client.get("/staff/lookup")
    assert response.status_code == 200 and 'aria-invalid' not in page(response)
    response = agent_client.get("/staff/lookup?number=+")
    assert response.status_code == 422
    assert "Type a phone number or an account number" in field_error(page(response), "number")
    assert [event for event, _, _ in audit_events(app) if event == "staff_lookup"] == ["staff_lookup"]


def test_only_an_admin_reads_the_audit_log(app, agent_client, make_staff):
    assert agent_client.get("/staff/audit").status_code == 403
    assert "Audit log" not in page(agent_client.get("/staff"))
    make_staff("boss", "admin")
    admin = app.test_client()
    admin.post("/staff", data={"login": "boss", "password": STAFF_PASSWORD})
    html = page(admin.get("/staff/audit"))
    assert "staff:olena" in html and "Staff signed in" in html and "staff_login" in html
    html = page(admin.get("/staff/audit?actor=staff:boss"))
    assert "staff:olena" not in html.split("<tbody>")[1]
    html = page(admin.get("/staff/audit?subject=nothing:here"))
    assert "No events." in html
    assert ("staff_audit_read", "staff:boss", "") in audit_events(app)


def test_every_audit_event_has_a_label_for_the_log():
    import re
    from pathlib import Path

    from portal.staff.lookup import EVENT_LABELS
    source = "\n".join(path.read_text() for path in
                       (Path(__file__).parent.parent / "portal").rglob("*.py"))
    events = set(re.findall(r'audit\((?:staff, )?"([a-z_]+)"', source))
    assert len(events) > 20 and events <= set(EVENT_LABELS)


def test_the_audit_log_follows_one_case_page_by_page(app, client, home, agent_client, make_staff,
                                                    technicians):
    fault_url = report(client, home).headers["Location"]
    fault_id = int(fault_url.rsplit("/", 1)[1])
    for _ in range(60):
        agent_client.get(f"/staff/faults/{fault_id}")
    make_staff("boss", "admin")
    admin = app.test_client()
    admin.post("/staff", data={"login": "boss", "password": STAFF_PASSWORD})
    assert f'href="/staff/audit?subject=fault:{fault_id}"' in page(admin.get(f"/staff/faults/{fault_id}"))
    first = page(admin.get(f"/staff/audit?subject=fault:{fault_id}"))
    second = page(admin.get(f"/staff/audit?subject=fault:{fault_id}&page=2"))
    rows = first.split("<tbody>")[1].count("<tr>") + second.split("<tbody>")[1].count("<tr>")
    assert rows == 62  # reported, 61 views (the admin's own included), none lost between pages
    assert "fault_reported" in second and "Older" in first and "Older" not in second


def test_unknown_chat_or_fault_is_404(agent_client):
    assert agent_client.get("/staff/chats/999").status_code == 404
    assert agent_client.get("/staff/faults/999").status_code == 404
    assert agent_client.post("/staff/chats/999/close").status_code == 404


def test_agent_cannot_answer_a_closed_chat(app, client, signed_in, agent_client):
    client.post("/support/messages", data={"text": "Hi"})
    chat = latest_chat(app)
    agent_client.post(f"/staff/chats/{chat.id}/close")
    response = agent_client.post(f"/staff/chats/{chat.id}/messages", data={"text": "late"})
    assert response.status_code == 409
    assert agent_client.post(f"/staff/chats/{chat.id}/close").status_code == 409


def test_bad_reply(app, client, signed_in, agent_client):
    client.post("/support/messages", data={"text": "Hi"})
    chat = latest_chat(app)
    response = agent_client.post(f"/staff/chats/{chat.id}/messages", data={"text": " "})
    assert response.status_code == 422 and 'aria-invalid="true"' in page(response)


# flask create-staff -----------------------------------------------------------------------

def create_staff(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["create-staff", *args], input=input)


def test_create_staff_asks_twice_and_signs_in(app, client):
    result = create_staff(app, "Olena.K", "--role", "admin",
                          input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Staff user olena.k (admin) created." in result.output
    assert STAFF_PASSWORD not in result.output
    response = client.post("/staff", data={"login": "olena.k", "password": STAFF_PASSWORD})
    assert response.status_code == 303
    assert "Audit log" in page(client.get("/staff"))
    assert ("staff_created", "cli", "staff:olena.k") in audit_events(app)


def test_create_staff_again_sets_a_new_password_and_ends_sessions(app, client):
    create_staff(app, "olena", "--role", "admin", input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD})
    result = create_staff(app, "olena", "--role", "agent", input="New-pass42\nNew-pass42\n")
    assert result.exit_code == 0 and "updated" in result.output
    assert "Open chats" not in page(client.get("/staff"))
    assert client.post("/staff", data={"login": "olena", "password": "New-pass42"}).status_code == 303
    assert client.get("/staff/audit").status_code == 403


def test_create_staff_repeats_the_question_when_the_two_differ(app):
    result = create_staff(app, "olena", "--role", "agent",
                          input=f"{STAFF_PASSWORD}\nOther-pass1\n{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert result.exit_code == 0
    assert "do not match" in result.output


@pytest.mark.parametrize("args, password, message", [
    (["olena", "--role", "agent"], "ab1", "at least 6 characters"),
    (["olena", "--role", "agent"], "abcdefgh", "at least two kinds"),
    (["olena", "--role", "agent"], "Paaass-1", "no character more than twice"),
    (["olena", "--role", "agent"], "Password1", "most common"),
    (["olena", "--role", "root"], STAFF_PASSWORD, "'root' is not one of"),
    (["olena"], STAFF_PASSWORD, "Missing option '--role'"),
    (["0671234567", "--role", "agent"], STAFF_PASSWORD, "LOGIN"),
    (["ab", "--role", "agent"], STAFF_PASSWORD, "LOGIN"),
])
def test_create_staff_refuses(app, args, password, message):
    result = create_staff(app, *args, input=f"{password}\n{password}\n")
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.StaffUser.select().count() == 0


# Demo data --------------------------------------------------------------------------------

def test_demo_data_shows_the_support_area(app, client):
    from portal.demo.data import DEMO_PASSWORD
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert runner.invoke(args=["demo-data"]).exit_code == 0  # safe to run again
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Technician.select().count() == 3
        assert models.StaffUser.select().count() == 2
        assert models.Chat.select().count() == 2
        assert models.Visit.select().count() == 1
        fault = models.Fault.get()
    client.post("/login", data={"login": "0671234567", "password": DEMO_PASSWORD})
    assert "Перезавантажте" in page(client.get("/support"))
    html = page(client.get(f"/support/faults/{fault.id}"))
    assert "Confirm this time" in html
    assert client.post(f"/support/faults/{fault.id}/confirm").status_code == 303
    staff = app.test_client()
    assert staff.post("/staff", data={"login": "admin", "password": DEMO_PASSWORD}).status_code == 303
    assert "visit_confirmed" in page(staff.get("/staff/audit"))


def test_staff_pages_fit_the_budgets(app):
    """The console's pages, signed in as the demo admin, keep the page-size and query
    budgets of every other page."""

    from portal.demo.data import DEMO_PASSWORD
    from tests.test_budgets import PAGE_BUDGET, QUERY_BUDGET, QueryCounter, gzipped_size
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    staff = app.test_client()
    staff.post("/staff", data={"login": "admin", "password": DEMO_PASSWORD})
    for _ in range(60):  # a busy audit log: a full page of it
        staff.get("/staff/lookup?number=0671234567")
    urls = ["/staff", "/staff/audit", "/staff/lookup?number=0671234567", "/staff/chats/1",
            "/staff/faults/1", "/staff/lookup/sms?number=0671234567"]
    for url in urls:
        with QueryCounter(models.db.obj) as counter:
            response = staff.get(url)
        assert response.status_code == 200, url
        assert gzipped_size(response.get_data()) <= PAGE_BUDGET, url
        assert len(counter.statements) <= QUERY_BUDGET, (url, counter.statements)


def test_a_flood_of_messages_waits(app, client, signed_in, clock):
    for number in range(20):
        assert client.post("/support/messages", data={"text": f"line {number}"}).status_code == 303
    response = client.post("/support/messages", data={"text": "one too many"})
    assert response.status_code == 429
    assert "You can send the next message at 10:10" in page(response)
    assert 'role="alert"' in page(response)
    clock.advance(minutes=10)
    assert client.post("/support/messages", data={"text": "later"}).status_code == 303


# The request archive and the staff's processing of SIM blocks and pauses ----------------------

def test_faults_show_in_the_request_archive(app, client, home, agent_client, technicians):
    fault_url = report(client, home, problem="slow").headers["Location"]
    html = page(client.get("/requests"))
    assert f'<a href="{fault_url}">Home Internet fault: Internet is slow</a>' in html
    assert "Reported, waiting for a visit offer" in html and "state-pending" in html
    fault_id = int(fault_url.rsplit("/", 1)[1])
    agent_client.post(f"/staff/faults/{fault_id}/offer", data={"slot": "2026-11-26T10:00"})
    assert "confirm it or ask for another time" in page(client.get("/requests"))
    agent_client.post(f"/staff/faults/{fault_id}/reject", data={"confirmed": "yes"})
    html = page(client.get("/requests"))
    assert "Closed without a visit" in html and "state-rejected" in html


def test_the_archive_shows_only_the_profiles_own_faults(app, client, auth, factory, home):
    report(client, home)
    auth.logout()
    factory.subscriber(number="+380971112233", name="Other")
    auth.login("0971112233")
    assert "Home Internet fault" not in page(client.get("/requests"))


def test_agent_does_a_waiting_sim_block_now_and_the_look_up_shows_it(app, client, signed_in, agent_client):
    assert client.post("/requests/sim-block", data={"confirmed": "yes"}).status_code == 303
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        request_id = models.ServiceRequest.get().id
    queue = page(agent_client.get("/staff"))
    assert "Temporary SIM card block" in queue
    assert f'href="/staff/requests/{request_id}"' in queue
    # A subscriber cannot do it, even their own.
    assert client.post(f"/staff/requests/{request_id}/process").status_code == 303
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.ServiceRequest.get_by_id(request_id).state == "pending"
    assert agent_client.post(f"/staff/requests/{request_id}/process").status_code == 303
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.ServiceRequest.get_by_id(request_id).state == "done"
    assert "Temporary SIM card block" not in page(agent_client.get("/staff"))
    assert '<data id="request-state" value="sim_blocked">' in page(client.get("/requests"))
    assert ("staff_request_processed", "staff:olena", f"request:{request_id}") in audit_events(app)
    html = page(agent_client.get("/staff/lookup?number=0671234567"))
    assert "Temporary SIM card block: Done" in html


def test_processing_an_unknown_request_is_404(agent_client):
    assert agent_client.post("/staff/requests/999/process").status_code == 404


def test_processing_needs_csrf(app, client, signed_in, agent_client):
    client.post("/requests/sim-block", data={"confirmed": "yes"})
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        request_id = models.ServiceRequest.get().id
    assert agent_client.post(f"/staff/requests/{request_id}/process", csrf=False).status_code == 400


def test_technicians_from_the_command_line(app, home, agent_client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["add-technician", "  Petro   Savchuk "])
    assert result.exit_code == 0 and "Technician 1: Petro Savchuk." in result.output
    assert runner.invoke(args=["add-technician", "x"]).exit_code != 0
    fault = make_fault(app, home)
    assert agent_client.post(f"/staff/faults/{fault.id}/offer",
                             data={"slot": "2026-11-26T10:00"}).status_code == 303
    listing = runner.invoke(args=["technicians"]).output
    assert "1\tPetro Savchuk\t1 visits ahead" in listing
    assert runner.invoke(args=["technicians", "--retire", "1"]).exit_code == 0
    assert "retired" in runner.invoke(args=["technicians"]).output
    assert runner.invoke(args=["technicians", "--retire", "7"]).exit_code != 0
    second = make_fault(app, home)
    assert "No technician is free in the next two weeks." in page(agent_client.get(f"/staff/faults/{second.id}"))
