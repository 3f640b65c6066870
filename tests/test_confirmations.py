"""The confirmation step before what a subscriber cannot take back alone or what costs money
(portal/core/confirmation.py): a page with JavaScript off, the dialog's block for htmx;
nothing happens until the question is answered."""
import re

import pytest

import models
from tests.helpers import START, connect_service, page

HTMX = {"HX-Request": "true"}


def resent_fields(html):
    """The hidden fields the confirmation's form sends back."""
    form = re.search(r'<div class="confirmation">.*?<form method="post" action="([^"]+)">'
                     r'(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                             form.group(2)))
    fields.pop("csrf_token")
    return form.group(1), fields


def count(model, *where):
    return model.select().where(*where).count() if where else model.select().count()


@pytest.mark.parametrize("url, asks, yes", [
    ("/requests/sim-block", "Block the SIM card of +380 67 123 45 67?", "Yes, block the SIM card"),
    ("/requests/pause", "Pause +380 67 123 45 67?", "Yes, pause"),
])
def test_a_sim_block_and_a_pause_ask_first(client, signed_in, db, url, asks, yes):
    response = client.post(url, data={"number": signed_in.number})
    assert response.status_code == 200
    html = page(response)
    assert f"<h1 id=\"confirm-title\">{asks}</h1>" in html and yes in html
    assert 'href="/requests" data-dialog-close>Cancel</a>' in html
    assert count(models.ServiceRequest) == 0  # nothing asked of the network yet
    action, fields = resent_fields(html)
    assert (action, fields) == (url, {"number": signed_in.number, "confirmed": "yes"})
    response = client.post(action, data=fields)
    assert response.status_code == 303 and count(models.ServiceRequest) == 1


def test_with_htmx_the_question_goes_into_the_pages_dialog(client, signed_in, db):
    response = client.post("/requests/sim-block", data={"number": signed_in.number},
                           headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#confirm-dialog"
    assert response.headers["HX-Reswap"] == "innerHTML"
    html = page(response)
    assert not html.startswith("<!doctype") and '<h2 id="confirm-title">' in html
    assert count(models.ServiceRequest) == 0
    assert '<dialog id="confirm-dialog"></dialog>' in page(client.get("/requests"))


def test_a_refused_request_is_refused_before_the_question(client, factory, auth, db):
    factory.subscriber(status="suspended")
    auth.login()
    response = client.post("/requests/pause")
    assert response.status_code == 409 and "paused already" in page(response)
    assert "confirm-title" not in page(response)


def test_disconnecting_a_paid_service_asks_and_says_what_reconnecting_costs(client, signed_in,
                                                                            db):
    assert connect_service(client, "ringback").status_code == 303  # a fee of 10 UAH
    response = client.post("/services/ringback/disconnect", data={"number": signed_in.number})
    html = page(response)
    assert response.status_code == 200 and "Yes, disconnect" in html
    assert "Connecting it again costs 10.00 ₴." in html.replace("\u00a0", " ")
    assert count(models.ServiceConnection, models.ServiceConnection.service == "ringback") == 1
    action, fields = resent_fields(html)
    assert client.post(action, data=fields).status_code == 303
    assert count(models.ServiceConnection, models.ServiceConnection.service == "ringback") == 0


def test_a_free_service_goes_at_once(client, signed_in, db):
    connect_service(client, "who-called")
    response = client.post("/services/who-called/disconnect", data={"number": signed_in.number})
    assert response.status_code == 303
    assert count(models.ServiceConnection) == 0


def test_signing_out_everywhere_asks_first(client, signed_in, db):
    response = client.post("/profile/sessions/end-all")
    assert response.status_code == 200 and "Yes, sign out everywhere" in page(response)
    assert client.get("/").status_code == 200  # still signed in
    action, fields = resent_fields(page(response))
    assert client.post(action, data=fields).headers["Location"] == "/login"
    assert client.get("/").status_code == 303


def test_revoking_a_token_asks_first_and_a_strangers_token_is_still_404(client, signed_in, db):
    client.post("/profile/tokens", data={"name": "kitchen tablet"})
    row = models.ApiToken.get()
    response = client.post(f"/profile/tokens/{row.id}/revoke")
    assert response.status_code == 200
    assert "Revoke the token “kitchen tablet”?" in page(response)
    assert count(models.ApiToken) == 1
    assert client.post(f"/profile/tokens/{row.id + 1}/revoke").status_code == 404
    action, fields = resent_fields(page(response))
    assert client.post(action, data=fields).status_code == 303 and count(models.ApiToken) == 0


def test_staff_closing_a_fault_without_a_visit_asks_first(app, factory, signed_in,
                                                          agent_client, db):
    account = factory.account(signed_in.profile_id)
    fault = models.Fault.create(subscription=account.id, problem="slow", since=START.date(),
                                state="reported", created_at=START, updated_at=START)
    response = agent_client.post(f"/staff/faults/{fault.id}/reject")
    assert response.status_code == 200
    assert "Yes, close without a visit" in page(response)
    assert models.Fault.get_by_id(fault.id).state == "reported"
    action, fields = resent_fields(page(response))
    assert agent_client.post(action, data=fields).status_code == 303
    assert models.Fault.get_by_id(fault.id).state == "rejected"


def test_a_switch_into_the_free_family_says_home_internet_bonuses_end(client, signed_in):
    html = page(client.get("/tariffs/free-50/switch"))
    assert 'id="bonuses-end"' in html and "no Home Internet bonuses" in html
    assert 'id="bonuses-end"' not in page(client.get("/tariffs/unlim/switch"))

