"""Offers (/offers): the services and the catalogue's promotions the number on show may
take, a promotion connected at its price through the review step (its terms checked again
at confirmation, under the lock, once per key), the dashboard's top three. Both databases."""
from datetime import date

import pytest

import models
from portal.core import catalogue
from rules.offers import Promotion, available, parse_promotions, refusal
from tests.helpers import burst, page, review_key


def fresh(subscription):
    return models.Subscription.get_by_id(subscription.id)


def test_offers_list_the_promotions_and_services_the_number_may_take(client, signed_in):
    html = page(client.get("/offers"))
    assert "5 GB at half price" in html and "37.50" in html
    assert "Winter roaming −30%" in html and "Ringback tune with no connection fee" in html
    assert "Static IP address" not in html  # a Home Internet promotion
    assert "Freedom line" in html and 'action="/services/freedom-line/connect"' in html
    assert 'action="/offers/extra-5gb-half/connect"' in html


def test_a_promotion_connects_its_service_at_its_price(client, signed_in, db):
    review = client.post("/offers/extra-5gb-half/connect")
    html = page(review)
    assert review.status_code == 200 and "Charged now" in html
    assert '<data value="62.50" id="balance-after">' in html  # 100.00 − 37.50
    done = client.post("/offers/extra-5gb-half/connect", data={"key": review_key(html)})
    assert done.status_code == 303 and done.headers["Location"] == "/offers"
    assert fresh(signed_in).balance == 10000 - 3750
    request = models.ServiceRequest.get()
    assert (request.subject, request.fee) == ("extra-5gb", 3750)
    assert models.ServiceConnection.get().service_id == "extra-5gb"
    html = page(client.get("/offers"))
    assert "The promotion “5 GB at half price” is connected." in html
    assert 'action="/offers/extra-5gb-half/connect"' not in html


def test_a_confirmation_sent_three_times_at_once_charges_once(client, signed_in, db):
    key = review_key(page(client.post("/offers/extra-5gb-half/connect")))
    models.db.close()
    results = burst(3, lambda _index: client.post("/offers/extra-5gb-half/connect",
                                                  data={"key": key}).status_code)
    assert results == [303, 303, 303]
    models.db.connect(reuse_if_open=True)
    assert fresh(signed_in).balance == 10000 - 3750
    assert models.ServiceRequest.select().count() == 1


def test_the_terms_are_checked_again_at_confirmation(client, signed_in, clock, auth, db):
    html = page(client.post("/offers/ringback-free-start/connect"))
    clock.advance(days=40)  # the promotion ended on 31.12.2026
    auth.login()
    response = client.post("/offers/ringback-free-start/connect", data={"key": review_key(html)})
    assert response.status_code == 409
    assert "not available for this number now" in page(response)
    assert models.ServiceConnection.select().count() == 0
    assert fresh(signed_in).balance == 10000


def test_not_enough_money_for_the_promotion_price(client, factory, auth, db):
    factory.subscriber(balance=1000)
    assert auth.login().status_code == 303
    response = client.post("/offers/extra-5gb-half/connect")
    assert response.status_code == 409 and "Not enough money" in page(response)


def test_a_promotion_of_another_tariff_or_kind_or_none_at_all(client, factory, signed_in):
    assert client.post("/offers/static-ip-free/connect").status_code == 409
    assert client.post("/offers/no-such/connect").status_code == 404
    models.Subscription.update(tariff="free-50").where(
        models.Subscription.id == signed_in.id).execute()
    assert client.post("/offers/extra-5gb-half/connect").status_code == 409


def test_the_dashboard_shows_the_top_three_without_a_query(app, client, signed_in):
    html = page(client.get("/"))
    assert 'href="/offers"' in html and "Promotions for you" in html
    shown = html.split('id="offers-panel"')[1].split("</section>")[0]
    assert shown.count("<li>") == 3


def test_the_offers_page_needs_a_sign_in(client):
    assert client.get("/offers").status_code in (302, 303)
    assert client.post("/offers/extra-5gb-half/connect").status_code in (302, 303, 400)


# Rules ---------------------------------------------------------------------------------------

PROMO = Promotion("p", "mobile", "extra-5gb", 100, date(2026, 11, 1), date(2026, 11, 30),
                  ("smart",), names={"uk": "П"}, conditions={"uk": "У"})


@pytest.mark.parametrize("kind, tariff, today, code", [
    ("mobile", "smart", date(2026, 11, 1), None),
    ("mobile", "smart", date(2026, 11, 30), None),
    ("mobile", "smart", date(2026, 10, 31), "not_yet"),
    ("mobile", "smart", date(2026, 12, 1), "over"),
    ("mobile", "unlim", date(2026, 11, 5), "tariff"),
    ("home_internet", "fast", date(2026, 11, 5), "kind"),
])
def test_who_may_take_a_promotion(kind, tariff, today, code):
    assert refusal(PROMO, kind, tariff, today) == code


def test_available_leaves_out_what_is_connected_and_keeps_the_order():
    other = Promotion("q", "mobile", "ringback", 0, date(2026, 1, 1), date(2027, 1, 1))
    assert available([PROMO, other], "mobile", "smart", date(2026, 11, 5)) == [PROMO, other]
    assert available([PROMO, other], "mobile", "smart", date(2026, 11, 5),
                     connected={"extra-5gb"}) == [other]
    assert available([PROMO, other], "mobile", "smart", date(2026, 11, 5), limit=1) == [PROMO]


@pytest.mark.parametrize("change, message", [
    ({"connects": "static-ip"}, "connects no mobile service"),
    ({"ends_on": date(2026, 1, 1)}, "in order"),
    ({"price": -1}, "0 or more"),
    ({"colour": "red"}, "unknown ['colour']"),
])
def test_a_bad_promotion_in_the_catalogue_is_refused(change, message):
    entry = {"code": "x", "kind": "mobile", "connects": "extra-5gb", "price": 1,
             "starts_on": date(2026, 11, 1), "ends_on": date(2026, 11, 30), "name_uk": "Х",
             "conditions_uk": "У", **change}
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_promotions([entry], {"extra-5gb": "mobile", "static-ip": "home_internet"})


def test_the_catalogue_promotions_are_read_at_start(app):
    with app.app_context():
        codes = [p.code for p in catalogue.promotions()]
    assert codes == ["extra-5gb-half", "static-ip-free", "ringback-free-start",
                     "winter-roaming"]
