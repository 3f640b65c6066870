"""Services and tariffs: the pages, connecting and disconnecting, switching the tariff."""
import re

import pytest

import models
from tests.helpers import connect_service, review_key

STRANGER = "+380681234567"


def page(response):
    return response.get_data(as_text=True)


def fresh(db, subscription):
    return models.Subscription.get_by_id(subscription.id)


def requests_of(subscription):
    return list(models.ServiceRequest.select().where(
        models.ServiceRequest.subscription == subscription.id).order_by(models.ServiceRequest.id))


@pytest.fixture
def stranger(factory):
    return factory.subscriber(number=STRANGER, name="Чужий", balance=50000)


# Services -----------------------------------------------------------------------------------

def test_services_need_a_sign_in(client):
    response = client.get("/services")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def test_services_page_lists_available_services_with_prices(client, signed_in):
    html = page(client.get("/services"))
    assert "Who called" in html and "Notify about me" in html
    assert '<data value="75.00">' in html  # Extra 5 GB
    assert "Static IP address" not in html  # a Home Internet service
    assert "No services connected." in html


def test_service_page_in_full_and_404_for_an_unknown_code(client, signed_in):
    html = page(client.get("/services/who-called"))
    assert "as soon as your phone is back on the network" in html
    assert 'action="/services/who-called/connect"' in html
    assert client.get("/services/no-such-service").status_code == 404


def test_connect_a_free_service(client, signed_in, db):
    response = connect_service(client, "who-called")
    assert response.status_code == 303 and response.headers["Location"] == "/services"
    assert models.ServiceConnection.codes(signed_in) == {"who-called"}
    (done,) = requests_of(signed_in)
    assert (done.kind, done.subject, done.state, done.fee) == (
        "service_connect", "who-called", "done", 0)
    assert fresh(db, signed_in).balance == 10000
    assert models.LedgerEntry.select().count() == 0 and models.UsageRecord.select().count() == 0
    html = page(client.get("/services"))
    assert "The service “Who called” is connected." in html
    assert 'action="/services/who-called/disconnect"' in html


def test_connecting_a_paid_service_charges_its_fee_through_the_ledger(client, signed_in, db):
    assert connect_service(client, "extra-5gb").status_code == 303
    assert fresh(db, signed_in).balance == 10000 - 7500
    (entry,) = models.LedgerEntry.select()
    (done,) = requests_of(signed_in)
    assert (entry.kind, entry.balance_change, entry.balance_after, entry.reference) == (
        "service_fee", -7500, 2500, f"request:{done.id}")
    assert done.fee == 7500
    assert "Extra 5 GB" in page(client.get("/requests"))
    (record,) = models.UsageRecord.select()
    assert (record.type, record.counterpart, record.amount) == ("service", "Додаткові 5 ГБ", 7500)
    assert '<data value="75.00"' in page(client.get("/expenses?type=services"))


def test_a_paid_service_is_reviewed_before_anything_is_charged(client, signed_in, db):
    review = client.post("/services/extra-5gb/connect")
    html = page(review)
    assert review.status_code == 200 and "Confirm and connect" in html
    assert "Charged now" in html and '<data value="75.00">' in html
    assert '<data value="25.00" id="balance-after">' in html
    assert fresh(db, signed_in).balance == 10000 and requests_of(signed_in) == []
    key = review_key(html)
    for _ in range(3):  # the confirmation sent again: one charge
        assert client.post("/services/extra-5gb/connect",
                           data={"key": key}).headers["Location"] == "/services"
    assert fresh(db, signed_in).balance == 2500 and len(requests_of(signed_in)) == 1


def test_a_forged_review_key_is_refused(client, signed_in, db):
    assert client.post("/services/extra-5gb/connect", data={"key": "x" * 40}).status_code == 400
    assert fresh(db, signed_in).balance == 10000


def test_a_short_balance_is_refused_clearly_and_changes_nothing(client, factory, auth, db):
    poor = factory.subscriber(balance=1000)
    auth.login()
    response = client.post("/services/roaming-week/connect")
    html = page(response)
    assert response.status_code == 409
    assert 'role="alert"' in html and "Not enough money" in html and "140.00" in html
    assert fresh(db, poor).balance == 1000
    assert requests_of(poor) == [] and models.LedgerEntry.select().count() == 0
    assert models.ServiceConnection.codes(poor) == set()


@pytest.mark.parametrize("code, message", [
    ("static-ip", "This is not available for this number."),
    ("who-called", "This service is connected already."),
])
def test_connect_refusals(client, signed_in, db, code, message):
    connect_service(client, "who-called")
    response = client.post(f"/services/{code}/connect")
    assert response.status_code == 409 and message in page(response)
    assert len(requests_of(signed_in)) == 1


@pytest.mark.parametrize("fields, message", [
    ({"status": "suspended"}, "paused at your request. Resume it first"),
    ({"status": "debt_blocked", "balance": -5000}, "blocked for debt. Top it up by 50.00"),
    ({"status": "active"}, "SIM card of this number is blocked at your request. Unblock it first"),
])
def test_a_paused_or_blocked_number_cannot_connect(client, factory, auth, db, fields, message):
    subscriber = factory.subscriber(**fields)
    if "SIM" in message:
        models.Subscription.update(sim_blocked=True).where(
            models.Subscription.id == subscriber.id).execute()
    auth.login()
    response = client.post("/services/who-called/connect")
    assert response.status_code == 409 and message in page(response)
    assert requests_of(subscriber) == []


def test_disconnect_is_free_and_recorded(client, signed_in, db):
    connect_service(client, "ringback")
    balance = fresh(db, signed_in).balance
    response = client.post("/services/ringback/disconnect", data={"confirmed": "yes"})
    assert response.status_code == 303
    assert models.ServiceConnection.codes(signed_in) == set()
    assert fresh(db, signed_in).balance == balance
    assert [r.kind for r in requests_of(signed_in)] == ["service_connect", "service_disconnect"]
    assert "Disconnect the service “Ringback tune”" in page(client.get("/requests"))


def test_disconnecting_what_is_not_connected_is_refused(client, signed_in):
    response = client.post("/services/ringback/disconnect", data={"confirmed": "yes"})
    assert response.status_code == 409 and "not connected" in page(response)


def test_unknown_service_codes_are_404(client, signed_in):
    assert client.post("/services/nope/connect").status_code == 404
    assert client.post("/services/nope/disconnect").status_code == 404


def test_htmx_gets_a_redirect_or_the_fragment(client, signed_in):
    headers = {"HX-Request": "true"}
    connect_service(client, "ringback")
    response = client.post("/services/ringback/disconnect", data={"confirmed": "yes"}, headers=headers)
    assert response.headers["HX-Redirect"] == "/services"
    response = client.post("/services/ringback/disconnect", data={"confirmed": "yes"}, headers=headers)
    html = page(response)
    assert response.status_code == 409 and html.lstrip().startswith('<div id="services">')
    assert "<html" not in html


def test_a_post_without_the_csrf_token_is_refused(client, signed_in, db):
    assert client.post("/services/who-called/connect", csrf=False).status_code == 400
    assert models.ServiceConnection.codes(signed_in) == set()


def test_the_form_may_name_another_number_of_the_profile(client, signed_in, factory, db):
    second = factory.subscriber(number="+380971112233", profile=signed_in.profile,
                                payment="contract", tariff="unlim", balance=20000)
    response = connect_service(client, "extra-5gb", number="097 111 22 33")
    assert response.status_code == 303
    assert models.ServiceConnection.codes(second) == {"extra-5gb"}
    assert models.ServiceConnection.codes(signed_in) == set()
    assert fresh(db, second).balance == 12500


# Never a number outside the profile ---------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/services/who-called/connect", "/services/who-called/disconnect",
    "/tariffs/free-50/switch", "/requests/sim-block", "/requests/sim-unblock",
    "/requests/pause", "/requests/resume",
])
@pytest.mark.parametrize("number", [STRANGER, "0681234567", "99999999", "garbage"])
def test_no_route_acts_on_a_number_outside_the_profile(client, signed_in, stranger, db,
                                                       url, number):
    models.ServiceConnection.create(subscription=stranger, service="who-called",
                                    connected_at=stranger.activated_on)
    response = client.post(url, data={"number": number})
    assert response.status_code == 404
    assert requests_of(stranger) == [] and requests_of(signed_in) == []
    assert fresh(db, stranger).tariff_id == "smart" and fresh(db, stranger).balance == 50000
    assert models.ServiceConnection.codes(stranger) == {"who-called"}


def test_pages_show_only_the_current_number_of_the_profile(client, signed_in, stranger):
    connect_service(client, "who-called")
    for url in ("/services", "/services/who-called", "/tariffs", "/tariffs/free-50/switch",
                "/requests"):
        html = page(client.get(url))
        assert "+380 67 123 45 67" in html and "+380 68 123 45 67" not in html, url


# Tariffs ------------------------------------------------------------------------------------

def test_tariffs_of_the_number_s_kind_with_the_current_one_marked(client, signed_in):
    html = page(client.get("/tariffs"))
    assert "Free 50" in html and "Business Pro" in html and "Fast" not in html
    assert html.count("Your tariff") == 1
    assert 'href="/tariffs/free-50/switch"' in html and 'href="/tariffs/smart/switch"' not in html
    assert 'href="/tariffs/unlim/switch"' not in html and "For contract subscribers only." in html


@pytest.mark.parametrize("language", ["uk", "en", "ru"])
def test_a_tariff_is_described_by_the_period_its_fee_is_shown_for(language):
    """The tariffs page shows each fee a month (`monthly_fee`): no description may name
    another period, as Smart's "paid every 4 weeks" once did."""
    from portal.core import catalogue
    other_periods = re.compile(r"week|тиж|недел|\b28\b", re.IGNORECASE)
    tariffs = catalogue.load()["tariffs"]
    assert {tariff["code"] for tariff in tariffs} >= {"smart", "fast"}
    for tariff in tariffs:
        assert not other_periods.search(tariff[f"description_{language}"]), tariff["code"]


def test_the_smart_tariff_says_its_price_a_month(client, signed_in):
    html = page(client.get("/tariffs"))
    card = html[html.index('id="tariff-smart"'):html.index('id="tariff-unlim"')]
    assert "Paid monthly." in card and 'A month: <data value="165.00">' in card


def test_a_home_internet_account_sees_its_own_tariffs(client, signed_in, factory):
    factory.account(signed_in.profile)
    account = models.Subscription.get(models.Subscription.kind == "home_internet")
    client.post("/numbers/select", data={"number": account.number})
    html = page(client.get("/tariffs"))
    assert "Ultra" in html and "Smart" not in html


def test_switch_is_confirmed_first(client, signed_in, db):
    html = page(client.get("/tariffs/free-50/switch"))
    assert "Confirm the switch" in html and 'action="/tariffs/free-50/switch"' in html
    assert fresh(db, signed_in).tariff_id == "smart"
    assert client.get("/tariffs/nope/switch").status_code == 404
    assert client.post("/tariffs/nope/switch").status_code == 404


def test_switch_changes_the_tariff_and_is_archived(client, signed_in, db):
    response = client.post("/tariffs/free-50/switch")
    assert response.status_code == 303 and response.headers["Location"] == "/tariffs"
    assert fresh(db, signed_in).tariff_id == "free-50"
    (done,) = requests_of(signed_in)
    assert (done.kind, done.subject, done.previous, done.state) == (
        "tariff_switch", "free-50", "smart", "done")
    assert "Your tariff is now “Free 50”." in page(client.get("/tariffs"))
    assert "Switch the tariff from “Smart” to “Free 50”" in page(client.get("/requests"))


def test_at_most_one_switch_a_day(client, auth, signed_in, clock, db):
    client.post("/tariffs/free-50/switch")
    clock.advance(hours=23, minutes=59)
    auth.login()  # the session idled out meanwhile
    response = client.post("/tariffs/free-35/switch")
    assert response.status_code == 409 and "once a day" in page(response)
    assert "26.11.2026 10:00" in page(response)
    assert "Confirm the switch" not in page(client.get("/tariffs/free-35/switch"))
    clock.advance(minutes=1)
    assert client.post("/tariffs/free-35/switch").status_code == 303
    assert fresh(db, signed_in).tariff_id == "free-35"


@pytest.mark.parametrize("code, message", [
    ("smart", "You are on this tariff already."),
    ("ultra", "This tariff is for another kind of subscription."),
    ("unlim", "another payment type"),
])
def test_switch_refusals(client, signed_in, db, code, message):
    response = client.post(f"/tariffs/{code}/switch")
    assert response.status_code == 409 and message in page(response)
    assert 'role="alert"' in page(response)
    assert fresh(db, signed_in).tariff_id == "smart" and requests_of(signed_in) == []


def test_a_switch_that_costs_is_charged_through_the_ledger(client, factory, auth, db):
    contract = factory.subscriber(payment="contract", tariff="unlim", balance=6000)
    auth.login()
    assert client.post("/tariffs/business-pro/switch").status_code == 303
    assert fresh(db, contract).balance == 1000
    (entry,) = models.LedgerEntry.select()
    assert (entry.kind, entry.balance_change) == ("tariff_fee", -5000)
    (record,) = models.UsageRecord.select()
    assert (record.type, record.counterpart, record.amount) == (
        "service", "Перехід на тариф «Бізнес Про»", 5000)


def test_a_switch_that_costs_more_than_the_balance_is_refused(client, factory, auth, db):
    contract = factory.subscriber(payment="contract", tariff="unlim", balance=4999)
    auth.login()
    response = client.post("/tariffs/business-pro/switch")
    assert response.status_code == 409 and "Not enough money" in page(response)
    assert fresh(db, contract).tariff_id == "unlim" and fresh(db, contract).balance == 4999


def test_concurrent_paid_connections_never_overdraw(app, factory, db):
    """Two browsers of one cabinet connect two paid services at the same moment; the
    balance covers only one of them: one is refused and nothing is overdrawn."""
    import threading
    subscriber = factory.subscriber(balance=8000)
    browsers = []
    for _ in range(2):
        browser = app.test_client()
        assert browser.post("/login", data={"login": "0671234567",
                                            "password": "Test-pass7"}).status_code == 303
        browsers.append(browser)
    barrier, statuses = threading.Barrier(2), []

    keys = [review_key(page(browser.post(f"/services/{code}/connect")))
            for browser, code in zip(browsers, ("extra-5gb", "ringback"), strict=True)]
    models.db.close()

    def connect(browser, code, key):
        barrier.wait()
        statuses.append(browser.post(f"/services/{code}/connect",
                                     data={"key": key}).status_code)
        models.db.close()

    threads = [threading.Thread(target=connect, args=(browser, code, key))
               for browser, code, key in zip(browsers, ("extra-5gb", "ringback"), keys, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [303, 409]
    balance = fresh(db, subscriber).balance
    charged = -sum(e.balance_change for e in models.LedgerEntry.select())
    assert balance >= 0 and balance == 8000 - charged
    assert len(requests_of(subscriber)) == 1
