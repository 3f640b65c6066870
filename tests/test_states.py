"""Every subscriber state in every action, over HTTP: each route refuses each state that
forbids it, says why and what to do, and writes nothing; the dashboard shows the state and
its next step; paying off a debt lifts the block at once."""
from datetime import date

import pytest

import models
from tests.helpers import PASSWORD, confirmed_top_up, field_error, page, review_key, sms_to

OWN = "+380671234567"
FRIEND = "+380681234567"
REASONS = {
    "suspended": "paused at your request. Resume it first",
    "debt_blocked": "blocked for debt. Top it up by",
    "sim_blocked": "SIM card of this number is blocked at your request. Unblock it first",
    "closed": "This number is closed",
}


def put_in_state(subscription, state):
    """The feed's status, or the portal's SIM block, that makes `state`."""
    fields = {"sim_blocked": True} if state == "sim_blocked" else {"status": state}
    if state == "debt_blocked":
        fields["balance"] = -12050
    models.Subscription.update(**fields).where(models.Subscription.id == subscription.id).execute()
    models.ServiceInterruption.track(subscription.id, state, date(2026, 11, 20))


@pytest.fixture
def friend(factory):
    return factory.subscriber(number=FRIEND, balance=0, name="Друг")


@pytest.fixture
def own(factory, db):
    return factory.subscriber(number=OWN, balance=50000)


@pytest.fixture
def signed(client, own):
    assert client.post("/login", data={"login": OWN, "password": PASSWORD}).status_code == 303
    return own


def unchanged(subscription, balance):
    fresh = models.Subscription.get_by_id(subscription.id)
    return fresh.balance == balance and models.LedgerEntry.select().count() == 0


# The number acting is in a state that forbids it ------------------------------------------

@pytest.mark.parametrize("state", ["suspended", "debt_blocked", "sim_blocked", "closed"])
@pytest.mark.parametrize("page_url, post_url, data, field, made", [
    ("/transfer", "/transfer", {"target": FRIEND, "amount": "10"}, "amount", models.Transfer),
    ("/sms", "/sms/send", {"to": FRIEND, "text": "Привіт"}, "text", models.FreeSms),
])
def test_sending_is_refused_before_the_form_and_at_it(client, signed, friend, state, page_url,
                                                      post_url, data, field, made):
    put_in_state(signed, state)
    html = page(client.get(page_url))
    assert REASONS[state] in html and f'name="{field}"' not in html
    response = client.post(post_url, data=data)
    assert response.status_code == 409 and REASONS[state] in page(response)
    assert made.select().count() == 0 and sms_to(client.application, FRIEND) == []


@pytest.mark.parametrize("state", ["suspended", "debt_blocked", "sim_blocked", "closed"])
@pytest.mark.parametrize("url", ["/services/extra-5gb/connect", "/tariffs/free-50/switch"])
def test_services_and_tariffs_are_refused(client, signed, state, url):
    put_in_state(signed, state)
    response = client.post(url)
    assert response.status_code == 409 and REASONS[state] in page(response)
    assert models.ServiceRequest.select().count() == 0
    assert unchanged(signed, -12050 if state == "debt_blocked" else 50000)


def test_only_a_closed_number_cannot_drop_a_service(client, signed, db):
    models.ServiceConnection.create(subscription=signed, service="ringback",
                                    connected_at=signed.activated_on)
    for state in ("suspended", "debt_blocked", "sim_blocked"):
        put_in_state(signed, state)
        assert client.post("/services/ringback/disconnect", data={"confirmed": "yes"}).status_code == 303
        models.ServiceConnection.create(subscription=signed, service="ringback",
                                        connected_at=signed.activated_on)
    put_in_state(signed, "closed")
    response = client.post("/services/ringback/disconnect", data={"confirmed": "yes"})
    assert response.status_code == 409 and REASONS["closed"] in page(response)


@pytest.mark.parametrize("url, state, message", [
    ("/requests/pause", "suspended", "paused already"),
    ("/requests/pause", "debt_blocked", REASONS["debt_blocked"]),
    ("/requests/pause", "sim_blocked", REASONS["sim_blocked"]),
    ("/requests/pause", "closed", REASONS["closed"]),
    ("/requests/resume", "active", "not paused"),
    ("/requests/resume", "debt_blocked", "not paused"),
    ("/requests/resume", "sim_blocked", REASONS["sim_blocked"]),
    ("/requests/sim-block", "sim_blocked", "blocked already"),
    ("/requests/sim-block", "closed", REASONS["closed"]),
    ("/requests/sim-unblock", "active", "not blocked"),
    ("/requests/sim-unblock", "suspended", "not blocked"),
    ("/requests/sim-unblock", "closed", REASONS["closed"]),
])
def test_requests_a_state_does_not_allow(client, signed, url, state, message):
    if state != "active":
        put_in_state(signed, state)
    response = client.post(url)
    assert response.status_code == 409 and message in page(response)
    assert models.ServiceRequest.select().count() == 0


@pytest.mark.parametrize("state", ["active", "suspended", "debt_blocked"])
def test_a_sim_block_protects_in_any_state_but_closed(client, signed, state):
    put_in_state(signed, state)
    assert client.post("/requests/sim-block", data={"confirmed": "yes"}).status_code == 303


# The number on the other end is in a state that forbids it --------------------------------

@pytest.mark.parametrize("state, refused", [("suspended", False), ("debt_blocked", False),
                                            ("sim_blocked", False), ("closed", True)])
def test_money_may_be_sent_to_any_number_but_a_closed_one(client, signed, friend, state,
                                                          refused):
    put_in_state(friend, state)
    response = client.post("/transfer", data={"target": FRIEND, "amount": "10"})
    if refused:
        assert response.status_code == 422
        assert "+380 68 123 45 67 is closed" in field_error(page(response), "target")
    else:
        assert response.status_code == 200 and "Confirm the transfer" in page(response)


# What a number that cannot receive (paused at its owner's request, its SIM blocked, closed)
# is refused: a free SMS and bonuses (their form, the field naming the number).
TO_FRIEND = {
    "free SMS": ("/sms/send", {"to": FRIEND, "text": "Привіт"}, "to"),
    "bonuses": ("/bonuses/transfer", {"target": FRIEND, "amount": "10"}, "target"),
}


@pytest.mark.parametrize("state", ["suspended", "debt_blocked", "sim_blocked", "closed"])
@pytest.mark.parametrize("what", TO_FRIEND)
def test_sms_and_bonuses_go_only_to_a_number_that_receives(client, signed, friend, factory,
                                                           what, state):
    url, data, field = TO_FRIEND[what]
    factory.account(signed.profile, bonus_balance=30000)  # the bonuses to move
    put_in_state(friend, state)
    response = client.post(url, data=data)
    if state in ("suspended", "sim_blocked", "closed"):
        assert response.status_code == 422
        assert "+380 68 123 45 67" in field_error(page(response), field)
    else:  # the review, or the SMS sent
        assert response.status_code in (200, 303) and field_error(page(response), field) is None


@pytest.mark.parametrize("state", ["suspended", "closed"])
def test_a_paused_or_closed_account_moves_no_bonuses(client, signed, friend, factory, state):
    account = factory.account(signed.profile, bonus_balance=30000)
    put_in_state(account, state)
    response = client.post("/bonuses/transfer", data={"number": account.number,
                                                      "target": FRIEND, "amount": "10"})
    assert response.status_code == 409
    assert ("paused at your request" if state == "suspended" else "is closed") in page(response)


def test_a_closed_number_is_not_topped_up(client, friend):
    put_in_state(friend, "closed")
    response = client.post("/topup", data={"target": FRIEND, "amount": "10",
                                           "payer_phone": "0501234567"})
    assert response.status_code == 422
    assert "+380 68 123 45 67 is closed" in field_error(page(response), "target")


def test_a_closed_number_is_not_added_to_a_cabinet(client, signed, friend):
    put_in_state(friend, "closed")
    response = client.post("/profile/numbers/add", data={"number": FRIEND})
    assert response.status_code == 422 and "closed" in field_error(page(response), "number")
    assert sms_to(client.application, FRIEND) == []


# The dashboard: the state and its one next step --------------------------------------------

@pytest.mark.parametrize("state, step", [
    ("active", None), ("suspended", 'action="/requests/resume"'),
    ("debt_blocked", 'href="/topup?target=%2B380671234567&amp;amount=120.50"'),
    ("sim_blocked", 'action="/requests/sim-unblock"'), ("closed", None),
])
def test_the_dashboard_shows_the_state_and_its_next_step(client, signed, state, step):
    if state != "active":
        put_in_state(signed, state)
    html = page(client.get("/"))
    assert f'<data id="state" value="{state}">' in html
    if step:
        assert step in html and 'id="next-step"' in html
    else:
        assert 'id="next-step"' not in html
    # One top-up beside the balance: "Pay 120.50 ₴" replaces the plain one when in debt;
    # none for a closed number (issue 25).
    assert html.count('href="/topup?target=%2B380671234567') == (state != "closed")
    if state == "debt_blocked":
        assert '<data value="120.50">120.50\u00a0₴</data> to unblock the number' in html


def test_the_top_up_page_takes_the_amount_the_dashboard_offers(client, signed):
    html = page(client.get("/topup?target=%2B380671234567&amount=120.50"))
    # The number as pages print numbers (the form takes any common form of it).
    assert 'value="120.50"' in html and 'value="+380 67 123 45 67"' in html


# Paying a debt off lifts the block ---------------------------------------------------------

def top_up(client, app, target, amount, payer="+380501112233"):
    return confirmed_top_up(app, client, target, amount, payer, payer_phone=payer)


def test_a_card_top_up_that_pays_the_debt_lifts_the_block(app, client, friend, clock):
    put_in_state(friend, "debt_blocked")
    done = top_up(client, app, FRIEND, "100")  # 120.50 owed: not enough
    assert models.Subscription.get_by_id(friend.id).status == "debt_blocked"
    assert "works again" not in page(client.get(done.headers["Location"]))
    clock.advance(minutes=1)
    done = top_up(client, app, FRIEND, "20.50")
    fresh = models.Subscription.get_by_id(friend.id)
    assert (fresh.status, fresh.balance) == ("active", 0)
    assert 'id="unblocked"' in page(client.get(done.headers["Location"]))
    # The money events' order (portal/money_events.py): the block is lifted, then the receipt.
    assert "+380 68 123 45 67 знову працює: борг сплачено" in sms_to(app, FRIEND)[1]
    assert "поповнено на 20,50" in sms_to(app, FRIEND)[0]
    lifted = models.LedgerEntry.get(models.LedgerEntry.kind == "debt_unblock")
    assert lifted.balance_change == 0 and lifted.reference.startswith("payment:")
    (gap,) = models.ServiceInterruption.select()
    assert gap.end is not None  # the days blocked end: bonuses and reports see them


def test_money_received_that_pays_the_debt_lifts_the_block(client, signed, friend):
    put_in_state(friend, "debt_blocked")
    review = page(client.post("/transfer", data={"target": FRIEND, "amount": "200"}))
    assert client.post("/transfer", data={"number": OWN, "target": FRIEND, "amount": "200",
                                          "key": review_key(review)}).status_code == 303
    fresh = models.Subscription.get_by_id(friend.id)
    assert (fresh.status, fresh.balance) == ("active", 7950)


def test_the_feed_stays_the_authority(app, client, friend, tmp_path):
    put_in_state(friend, "debt_blocked")
    top_up(client, app, FRIEND, "200")
    assert models.Subscription.get_by_id(friend.id).status == "active"
    from portal.feeds.service import import_subscriber_file
    feed = tmp_path / "feed.csv"
    feed.write_text("number,kind,name,tariff,payment,customer,status,balance,bonus_balance,"
                    "activated_on\n0681234567,mobile,Друг,smart,prepaid,individual,"
                    "debt_blocked,-5.00,0,2022-01-01\n")
    import_subscriber_file(feed, app.config["CLOCK"])
    assert models.Subscription.get_by_id(friend.id).state == "debt_blocked"
