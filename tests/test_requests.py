"""The archive of requests, the SIM block, the Home Internet pause, and their processing."""
import re
from decimal import Decimal

import pytest

import models
from portal.demo.loading import load_demo_data
from tests.helpers import connect_service, staff_secret


def page(response):
    return response.get_data(as_text=True)


def requests_of(subscription):
    return list(models.ServiceRequest.select().where(
        models.ServiceRequest.subscription == subscription.id).order_by(models.ServiceRequest.id))


def process(app):
    result = app.test_cli_runner().invoke(args=["process-requests"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def account(factory, signed_in):
    """A Home Internet account in the signed-in profile."""
    return factory.account(signed_in.profile)


def test_the_archive_needs_a_sign_in(client):
    assert "/login" in client.get("/requests").headers["Location"]


def test_an_empty_archive_offers_what_an_active_number_may_ask(client, signed_in):
    html = page(client.get("/requests"))
    assert "No requests yet." in html
    assert 'action="/requests/sim-block"' in html and 'action="/requests/pause"' in html
    assert "/requests/resume" not in html and "/requests/sim-unblock" not in html
    assert '<data id="request-state" value="active">Active</data>' in html


def test_sim_block_is_pending_for_thirty_minutes_then_done(app, client, signed_in, clock, db):
    response = client.post("/requests/sim-block", data={"confirmed": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/requests"
    (pending,) = requests_of(signed_in)
    assert (pending.kind, pending.state) == ("sim_block", "pending")
    assert pending.due_at == clock.now().replace(minute=30)
    html = page(client.get("/requests"))
    assert "It will be done by 10:30" in html and "Pending" in html
    assert "Temporary SIM card block: pending" in page(client.get("/"))

    clock.advance(minutes=29)
    assert "0 done, 0 rejected" in process(app)
    assert requests_of(signed_in)[0].state == "pending"
    clock.advance(minutes=1)
    assert "1 done, 0 rejected" in process(app)
    (done,) = requests_of(signed_in)
    assert done.state == "done" and done.finished_at == clock.now()

    assert 'id="sim-blocked"' in page(client.get("/"))
    html = page(client.get("/requests"))
    assert '<data id="request-state" value="sim_blocked">' in html
    assert 'action="/requests/sim-unblock"' in html and 'action="/requests/sim-block"' not in html
    assert "Done" in html


def test_sim_unblock_after_a_block(app, client, signed_in, clock):
    client.post("/requests/sim-block", data={"confirmed": "yes"})
    clock.advance(minutes=30)
    process(app)
    assert client.post("/requests/sim-unblock").status_code == 303
    clock.advance(minutes=30)
    process(app)
    assert [(r.kind, r.state) for r in requests_of(signed_in)] == [
        ("sim_block", "done"), ("sim_unblock", "done")]
    assert 'id="sim-blocked"' not in page(client.get("/"))


def test_a_second_request_while_one_is_pending_is_refused(client, signed_in):
    client.post("/requests/sim-block", data={"confirmed": "yes"})
    response = client.post("/requests/sim-block", data={"confirmed": "yes"})
    html = page(response)
    assert response.status_code == 409 and 'role="alert"' in html
    assert "already waiting to be done" in html
    assert len(requests_of(signed_in)) == 1


def test_unblocking_a_sim_that_is_not_blocked_is_refused(client, signed_in):
    response = client.post("/requests/sim-unblock")
    assert response.status_code == 409 and "not blocked" in page(response)
    assert requests_of(signed_in) == []


def test_demo_mode_does_requests_at_once(demo_app, client, signed_in):
    assert client.post("/requests/sim-block", data={"confirmed": "yes"}).status_code == 303
    assert requests_of(signed_in)[0].state == "done"
    assert "Your request is done." in page(client.get("/requests"))
    assert 'id="sim-blocked"' in page(client.get("/"))


def test_the_command_does_every_pending_request_in_demo_mode(app, client, signed_in):
    client.post("/requests/sim-block", data={"confirmed": "yes"})
    app.config["DEMO"] = True
    assert "1 done" in process(app)


def test_pause_and_resume_home_internet(app, client, account, clock):
    # No `db` fixture here: its app context would keep `g` (the selected number) across requests.
    client.post("/numbers/select", data={"number": account.number})
    assert 'action="/requests/pause"' in page(client.get("/requests"))
    assert client.post("/requests/pause", data={"confirmed": "yes"}).status_code == 303
    clock.advance(minutes=30)
    process(app)
    assert models.Subscription.get_by_id(account.id).status == "suspended"
    assert 'action="/requests/resume"' in page(client.get("/requests"))
    assert client.post("/requests/resume", data={"number": account.number}).status_code == 303
    clock.advance(minutes=30)
    process(app)
    assert models.Subscription.get_by_id(account.id).status == "active"
    html = page(client.get("/requests"))
    assert "Pause the service" in html and "Resume the service" in html


def test_a_paused_mobile_number_resumes(app, client, factory, auth, clock, db):
    """A number paused at the subscriber's request (the demo's 096) is no dead end: the
    dashboard offers Resume, and it works again."""
    paused = factory.subscriber(number="+380961234567", status="suspended")
    auth.login("0961234567")
    html = page(client.get("/"))
    assert '<data id="state" value="suspended">' in html
    assert 'action="/requests/resume"' in html
    assert client.post("/requests/resume", data={"number": paused.number}).status_code == 303
    clock.advance(minutes=30)
    process(app)
    models.db.connect(reuse_if_open=True)
    assert models.Subscription.get_by_id(paused.id).status == "active"
    assert client.post("/requests/pause", data={"confirmed": "yes"}).status_code == 303  # and pauses again


def test_resuming_what_is_not_paused_is_refused(client, signed_in):
    response = client.post("/requests/resume")
    assert response.status_code == 409 and "not paused" in page(response)


@pytest.mark.parametrize("action", ["sim_block", "Pause", "connect", "pause/x"])
def test_only_the_four_deferred_requests_have_a_url(client, signed_in, action):
    assert client.post(f"/requests/{action}").status_code == 404
    assert models.ServiceRequest.select().count() == 0


def test_a_sim_block_is_for_mobile_numbers(client, account):
    response = client.post("/requests/sim-block", data={"confirmed": "yes", "number": account.number})
    assert response.status_code == 409 and requests_of(account) == []


def test_a_request_no_longer_possible_is_rejected_with_its_reason(app, client, account,
                                                                  clock, db):
    client.post("/requests/pause", data={"confirmed": "yes", "number": account.number})
    models.Subscription.update(status="debt_blocked").where(
        models.Subscription.id == account.id).execute()
    clock.advance(minutes=30)
    assert "0 done, 1 rejected" in process(app)
    (rejected,) = requests_of(account)
    assert (rejected.state, rejected.reason) == ("rejected", "state:debt_blocked")
    assert models.Subscription.get_by_id(account.id).status == "debt_blocked"
    html = page(client.get("/requests"))
    assert "Rejected" in html and "in the state “Blocked for debt”" in html


def test_processing_twice_does_a_request_once(app, client, signed_in, clock):
    from portal.orders.service import process as process_one
    client.post("/requests/sim-block", data={"confirmed": "yes"})
    (pending,) = requests_of(signed_in)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert process_one(pending.id, clock.now()) == "done"
        assert process_one(pending.id, clock.now()) is None


def test_the_archive_holds_the_whole_profile_and_no_one_else(client, signed_in, factory,
                                                              account, auth):
    connect_service(client, "who-called")
    client.post("/requests/pause", data={"confirmed": "yes", "number": account.number})
    html = page(client.get("/requests"))
    assert "Connect the service “Who called”" in html and "Pause the service" in html
    assert account.number in html
    factory.subscriber(number="+380681234567", name="Чужий")
    auth.logout()
    auth.login("0681234567")
    html = page(client.get("/requests"))
    assert "No requests yet." in html and "Who called" not in html


def test_demo_data_holds_a_history_and_loads_twice(demo_app, db, client):
    load_demo_data()
    load_demo_data()
    olena = models.Subscription.by_number("+380671234567")
    assert [r.kind for r in requests_of(olena)] == ["tariff_switch", "service_connect"]
    assert models.ServiceConnection.codes(olena) == {"who-called"}
    client.post("/login", data={"login": "0671234567", "password": "Demo-2026"})
    html = page(client.get("/requests"))
    assert "Switch the tariff from “Free Kyivstar” to “Smart”" in html


def test_home_internet_faults_show_in_the_archive(client, account, clock):
    from datetime import date
    models.Fault.create(subscription=account.id, problem="slow", since=date(2026, 11, 24),
                        created_at=clock.now(), updated_at=clock.now())
    html = page(client.get("/requests"))
    assert "Home Internet fault: Internet is slow" in html
    assert 'href="/support/faults/' in html and "Pending" not in html  # its own finer state


# Staff ----------------------------------------------------------------------------------------

@pytest.fixture
def agent(app):
    from portal.core.security import hash_password
    from tests.helpers import START
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.StaffUser.create(
            totp_secret=staff_secret(), login="agent1", role="agent", password_hash=hash_password("Staff-pass9"),
                                created_at=START, password_changed_at=START)
    browser = app.test_client()
    assert browser.post("/staff", data={"login": "agent1", "password": "Staff-pass9"}
                        ).status_code == 303
    return browser


def test_staff_see_pending_requests_and_can_do_one_now(app, client, signed_in, agent, clock):
    client.post("/requests/sim-block", data={"confirmed": "yes"})
    (pending,) = requests_of(signed_in)
    queue = page(agent.get("/staff"))
    assert "Temporary SIM card block" in queue and f"/staff/requests/{pending.id}" in queue
    html = page(agent.get(f"/staff/requests/{pending.id}"))
    assert 'data-state="pending"' in html and "Do it now" in html
    response = agent.post(f"/staff/requests/{pending.id}/process")
    assert response.status_code == 303
    assert requests_of(signed_in)[0].state == "done"
    assert 'data-state="done"' in page(agent.get(f"/staff/requests/{pending.id}"))
    assert "Temporary SIM card block" not in page(agent.get("/staff"))
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.AuditEvent.select().where(
            models.AuditEvent.event == "staff_request_processed").count() == 1


def test_subscribers_never_reach_the_staff_request_pages(client, signed_in):
    client.post("/requests/sim-block", data={"confirmed": "yes"})
    (pending,) = requests_of(signed_in)
    assert client.get(f"/staff/requests/{pending.id}").headers["Location"].endswith("/staff")
    client.post(f"/staff/requests/{pending.id}/process")
    assert requests_of(signed_in)[0].state == "pending"


def test_staff_request_pages_404_for_unknown_or_immediate_requests(client, signed_in, agent):
    connect_service(client, "who-called")
    (done,) = requests_of(signed_in)
    assert agent.get(f"/staff/requests/{done.id}").status_code == 404
    assert agent.get("/staff/requests/999").status_code == 404
    assert agent.post("/staff/requests/999/process").status_code == 404


def test_the_archive_pages_through_every_request_once(app, client, signed_in, clock):
    """75 requests and changes, most of them at the same moments: the older pages hold
    each exactly once, newest first (the cursor breaks ties by source, then by id)."""
    from datetime import timedelta
    moments = [clock.now() - timedelta(hours=hours) for hours in (1, 2, 3)]
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        for n in range(70):
            models.ServiceRequest.create(subscription=signed_in.id, kind="sim_block",
                                         state="done", fee=(n + 1) * 100,
                                         created_at=moments[n % 3], finished_at=moments[n % 3])
        for _ in range(5):
            models.AuditEvent.create(event="nickname_changed", profile=signed_in.profile_id,
                                     subject=signed_in.number, at=moments[0])
    fees, url, pages = [], "/requests", 0
    while url:
        html = page(client.get(url))
        pages += 1
        archive = html.split('id="archive-title"')[1]
        fees += [int(Decimal(value) * 100) for value in
                 re.findall(r'<data value="([0-9.]+)">', archive)]
        assert archive.count('<li class="card">') <= 50
        found = re.search(r'href="(/requests\?older=[^"]+)">Older requests', archive)
        url = found.group(1).replace("&amp;", "&") if found else None
        if pages > 1:
            assert 'href="/requests">Newest requests' in archive
    assert pages == 2
    assert sorted(fees) == [(n + 1) * 100 for n in range(70)]  # each once, none lost
    assert html.count("Change the nickname of a number") + page(client.get("/requests")).count(
        "Change the nickname of a number") == 5


@pytest.mark.parametrize("cursor", ["x", "2026-11-25T10:00:00~1", "2026-11-25T10:00:00~a~1"])
def test_a_bad_archive_cursor_is_refused(client, signed_in, cursor):
    assert client.get("/requests", query_string={"older": cursor}).status_code == 400
