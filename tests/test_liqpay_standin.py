"""The LiqPay stand-in's own behaviours, checked as a merchant would: its callbacks reach a
callback address over HTTP and are read with the portal's client (portal/topup/liqpay.py)."""
import json
from decimal import Decimal

import pytest

from portal.topup import liqpay
from rules import liqpay as rules
from tests.liqpay_standin import (
    APPROVED_CARD,
    DECLINED_CARD,
    FORGER_PRIVATE_KEY,
    SECURE_CARD,
    TEST_PRIVATE_KEY,
    TEST_PUBLIC_KEY,
    LiqPayStandIn,
    MerchantInbox,
    post,
    sign,
)

ORDER = "p-standin-1"


@pytest.fixture
def inbox():
    with MerchantInbox().serving() as inbox:
        yield inbox


@pytest.fixture
def merchant(liqpay_standin):
    return liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, liqpay_standin.url)


def checkout(merchant, inbox, order_id=ORDER, kopiyky=12050, save_card=False):
    return merchant.checkout(order_id=order_id, kopiyky=kopiyky, description="Top-up",
                             language="uk", result_url=f"{inbox.url}/result/{order_id}",
                             server_url=inbox.url, save_card=save_card)


def received(merchant, inbox):
    """The callbacks the inbox got, read by the portal's client."""
    return [merchant.callback(data, signature) for data, signature in inbox.received]


def test_its_signature_is_the_documented_one():
    """LiqPay's worked example (https://www.liqpay.ua/documentation/en/data_signature)."""
    data = ("eyJwdWJsaWNfa2V5IjoiaTAwMDAwMDAwIiwidmVyc2lvbiI6IjMiLCJhY3Rpb24iOiJwYXkiLCJh"
            "bW91bnQiOiIzIiwiY3VycmVuY3kiOiJVQUgiLCJkZXNjcmlwdGlvbiI6InRlc3QiLCJvcmRlcl9p"
            "ZCI6IjAwMDAwMSJ9")
    assert sign("a4825234f4bae72a0be04eafe9e8e2bada209255", data) == "wR+UZDC4jjeL/qUOvIsofIWpZh8="


# --- The checkout and the card page ------------------------------------------------------------

def test_an_approved_card(liqpay_standin, merchant, inbox):
    visit = liqpay_standin.pay(checkout(merchant, inbox).fields(), APPROVED_CARD)
    assert (visit.status, visit.location) == (303, f"{inbox.url}/result/{ORDER}")
    [notice] = received(merchant, inbox)  # sent before the browser was redirected
    assert (notice.order_id, notice.status, notice.outcome) == (ORDER, "success", rules.PAID)
    assert (notice.kopiyky, notice.currency, notice.card_mask) == (12050, "UAH", "424242*42")
    assert notice.card_token is None
    assert liqpay_standin.callbacks(ORDER)[0].http_status == 200


def test_the_amount_comes_back_as_a_json_number(liqpay_standin, merchant, inbox):
    liqpay_standin.pay(checkout(merchant, inbox, kopiyky=10000).fields())
    [notice] = received(merchant, inbox)
    assert notice.fields["amount"] == Decimal("100") and notice.kopiyky == 10000


def test_a_saved_card_brings_its_token(liqpay_standin, merchant, inbox):
    liqpay_standin.pay(checkout(merchant, inbox, save_card=True).fields())
    [notice] = received(merchant, inbox)
    assert notice.card_token == liqpay_standin.payment(ORDER).card_token
    assert notice.card_token and notice.card_mask == "424242*42"


def test_a_declined_card(liqpay_standin, merchant, inbox):
    visit = liqpay_standin.pay(checkout(merchant, inbox, save_card=True).fields(), DECLINED_CARD)
    assert visit.status == 303
    [notice] = received(merchant, inbox)
    assert (notice.outcome, notice.err_code, notice.card_token) == (rules.FAILED, "decline", None)


def test_3d_secure_waits_until_completed(liqpay_standin, merchant, inbox):
    liqpay_standin.pay(checkout(merchant, inbox).fields(), SECURE_CARD)
    assert merchant.status(ORDER).outcome == rules.PENDING
    liqpay_standin.complete(ORDER)
    assert [n.status for n in received(merchant, inbox)] == ["3ds_verify", "success"]
    assert merchant.status(ORDER).outcome == rules.PAID


def test_the_card_page_is_a_plain_form(liqpay_standin, merchant, inbox):
    page = post(liqpay_standin.checkout_url, checkout(merchant, inbox).fields())
    assert page.status == 200
    for name in ("card_number", "card_expiry", "card_cvv"):
        assert f'<label for="{name}">' in page.html and f'name="{name}"' in page.html
    assert '<form method="post" action="/api/3/checkout/card">' in page.html
    assert "120.50 UAH" in page.html


def test_not_a_test_card(liqpay_standin, merchant, inbox):
    visit = liqpay_standin.pay(checkout(merchant, inbox).fields(), "5555555555554444")
    assert visit.status == 400 and 'role="alert"' in visit.html
    assert liqpay_standin.payment(ORDER).status is None and not inbox.received


def test_the_card_page_decides_once(liqpay_standin, merchant, inbox):
    page = post(liqpay_standin.checkout_url, checkout(merchant, inbox).fields())
    session = page.html.split('name="session" value="')[1].split('"')[0]
    card = {"session": session, "card_number": APPROVED_CARD, "card_expiry": "12/30",
            "card_cvv": "123"}
    assert post(liqpay_standin.url + "/api/3/checkout/card", card).status == 303
    assert post(liqpay_standin.url + "/api/3/checkout/card", card).status == 409
    assert len(inbox.received) == 1


def refused_checkout(merchant, inbox, how):
    form = checkout(merchant, inbox).fields()
    params = json.loads(liqpay.base64.b64decode(form["data"]))
    if how == "another key":
        form["signature"] = sign(FORGER_PRIVATE_KEY, form["data"])
    elif how == "signature of other data":
        form["signature"] = checkout(merchant, inbox, kopiyky=1).signature
    elif how == "not base64":
        form["data"] = "{" + form["data"]
    else:
        params.update({"another public key": {"public_key": "i11111111"},
                       "version 2": {"version": 2}, "not pay": {"action": "hold"},
                       "a fraction of a kopiyka": {"amount": "1.005"},
                       "no amount": {"amount": None}, "zero": {"amount": "0"},
                       "no order_id": {"order_id": ""},
                       "no description": {"description": ""},
                       "a strange currency": {"currency": "XXX"}}[how])
        form = merchant.encode(params).fields()
    return form


@pytest.mark.parametrize("how,err_code", [
    ("another key", "invalid_signature"), ("signature of other data", "invalid_signature"),
    ("not base64", "invalid_data"), ("another public key", "public_key_not_found"),
    ("version 2", "invalid_data"), ("not pay", "invalid_data"),
    ("a fraction of a kopiyka", "invalid_data"), ("no amount", "invalid_data"),
    ("zero", "invalid_data"), ("no order_id", "order_id_empty"),
    ("no description", "invalid_data"), ("a strange currency", "invalid_data"),
])
def test_a_bad_checkout_is_refused(liqpay_standin, merchant, inbox, how, err_code):
    visit = liqpay_standin.pay(refused_checkout(merchant, inbox, how))
    assert visit.status == 400 and f'data-code="{err_code}"' in visit.html
    assert liqpay_standin.payments == {} and not inbox.received


# --- What a test does to callbacks ----------------------------------------------------------

def test_a_lost_callback_arrives_late(liqpay_standin, merchant, inbox):
    liqpay_standin.lose_callbacks(ORDER)
    assert liqpay_standin.pay(checkout(merchant, inbox).fields()).status == 303
    assert not inbox.received and liqpay_standin.callbacks(ORDER)[0].lost
    assert merchant.status(ORDER).outcome == rules.PAID  # reconciliation still learns it
    [late] = liqpay_standin.deliver_lost()
    assert late.http_status == 200
    assert [n.status for n in received(merchant, inbox)] == ["success"]


def test_losing_every_callback(liqpay_standin, merchant, inbox):
    liqpay_standin.lose_callbacks()
    liqpay_standin.pay(checkout(merchant, inbox).fields())
    liqpay_standin.complete(ORDER, "reversed")
    assert not inbox.received and len(liqpay_standin.callbacks()) == 2
    liqpay_standin.stop_losing()
    liqpay_standin.notify(ORDER)
    assert len(inbox.received) == 1


def test_a_callback_repeated(liqpay_standin, merchant, inbox):
    liqpay_standin.pay(checkout(merchant, inbox).fields())
    liqpay_standin.repeat(ORDER)
    assert len(inbox.received) == 2 and inbox.received[0] == inbox.received[1]


def test_the_same_callback_twice_at_once(liqpay_standin, merchant):
    with MerchantInbox(meet=2).serving() as inbox:  # answers 500 unless both are in at once
        liqpay_standin.lose_callbacks(ORDER)
        liqpay_standin.pay(checkout(merchant, inbox).fields())
        both = liqpay_standin.notify_together(ORDER, copies=2)
    assert [d.http_status for d in both] == [200, 200]
    assert inbox.received[0] == inbox.received[1]
    assert merchant.callback(*inbox.received[0]).outcome == rules.PAID


def test_success_after_failure(liqpay_standin, merchant, inbox):
    liqpay_standin.pay(checkout(merchant, inbox).fields(), DECLINED_CARD)
    liqpay_standin.notify(ORDER, "success")
    assert [n.outcome for n in received(merchant, inbox)] == [rules.FAILED, rules.PAID]
    assert liqpay_standin.payment(ORDER).statuses == ["failure", "success"]


def test_callbacks_reordered(liqpay_standin, merchant, inbox):
    liqpay_standin.lose_callbacks(ORDER)
    liqpay_standin.pay(checkout(merchant, inbox).fields(), SECURE_CARD)
    liqpay_standin.complete(ORDER)
    liqpay_standin.deliver_lost(ORDER, newest_first=True)
    assert [n.status for n in received(merchant, inbox)] == ["success", "3ds_verify"]


def test_reversed_after_success(liqpay_standin, merchant, inbox):
    liqpay_standin.pay(checkout(merchant, inbox).fields())
    liqpay_standin.reverse(ORDER)
    assert [n.outcome for n in received(merchant, inbox)] == [rules.PAID, rules.REVERSED]
    assert merchant.status(ORDER).outcome == rules.REVERSED


@pytest.mark.parametrize("how,refusal", [
    ("wrong_key", liqpay.BadSignature), ("other_data", liqpay.BadSignature),
    ("no_signature", liqpay.BadSignature), ("not_base64", liqpay.NotBase64),
    ("not_json_object", liqpay.NotJsonObject), ("huge", liqpay.TooLarge),
])
def test_forged_callbacks(liqpay_standin, merchant, inbox, how, refusal):
    liqpay_standin.lose_callbacks(ORDER)
    liqpay_standin.pay(checkout(merchant, inbox).fields(), DECLINED_CARD)
    forged = liqpay_standin.forge(ORDER, how, status="success")
    assert (forged.kind, forged.http_status) == (how, 200)
    [(data, signature)] = inbox.received
    if how == "no_signature":
        assert signature == ""
    with pytest.raises(refusal):
        merchant.callback(data, signature)
    assert liqpay_standin.payment(ORDER).status == "failure"  # forging changed nothing


@pytest.mark.parametrize("change,refusal", [
    ({"amount": Decimal("1.00")}, liqpay.AmountMismatch),
    ({"amount": "120.51"}, liqpay.AmountMismatch),
    ({"currency": "USD"}, liqpay.CurrencyMismatch),
])
def test_genuine_signature_other_money(liqpay_standin, merchant, inbox, change, refusal):
    liqpay_standin.lose_callbacks(ORDER)
    liqpay_standin.pay(checkout(merchant, inbox).fields())
    liqpay_standin.stop_losing()
    liqpay_standin.notify(ORDER, **change)
    notice = merchant.callback(*inbox.received[0])
    with pytest.raises(refusal):
        notice.require_order(12050)


def test_genuine_signature_another_order_or_merchant(liqpay_standin, merchant, inbox):
    liqpay_standin.pay(checkout(merchant, inbox).fields())
    liqpay_standin.notify(ORDER, order_id="p-nobody-knows")
    liqpay_standin.notify(ORDER, public_key="i11111111")
    assert merchant.callback(*inbox.received[1]).order_id == "p-nobody-knows"
    with pytest.raises(liqpay.ForeignMerchant):
        merchant.callback(*inbox.received[2])


def test_what_the_merchant_answered_is_kept(liqpay_standin, merchant):
    with MerchantInbox(answer=500).serving() as inbox:
        liqpay_standin.pay(checkout(merchant, inbox).fields())
    assert liqpay_standin.callbacks(ORDER)[0].http_status == 500
    liqpay_standin.notify(ORDER)  # the inbox is gone: LiqPay records the failure
    assert liqpay_standin.callbacks(ORDER)[1].http_status is None
    assert liqpay_standin.callbacks(ORDER)[1].error


def test_callbacks_through_a_test_client():
    """A portal under Flask's test client takes callbacks through `send`."""
    sent = []
    standin = LiqPayStandIn(send=lambda url, fields: sent.append((url, fields)) or 200)
    with standin.serving():
        merchant = liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, standin.url)
        form = merchant.checkout(order_id=ORDER, kopiyky=500, description="Top-up",
                                 language="en", result_url="http://portal/result",
                                 server_url="http://portal/payments/liqpay/callback")
        assert standin.pay(form.fields()).location == "http://portal/result"
    [(url, fields)] = sent
    assert url == "http://portal/payments/liqpay/callback"
    assert merchant.callback(fields["data"], fields["signature"]).kopiyky == 500


# --- The API and the controls -----------------------------------------------------------------

def test_the_api_refuses_what_it_does_not_do(liqpay_standin, merchant):
    answer = merchant.request({"action": "refund", "version": 3,
                               "public_key": TEST_PUBLIC_KEY, "order_id": ORDER})
    assert (answer["status"], answer["err_code"]) == ("error", "unknown_action")
    assert liqpay_standin.api_calls == [("refund", "unknown_action")]


@pytest.mark.parametrize("params,err_code", [
    ({"order_id": "", "amount": "1.00"}, "order_id_empty"),
    ({"order_id": ORDER, "amount": "1.001"}, "invalid_data"),
    ({"order_id": ORDER, "amount": "1.00", "currency": "XXX"}, "invalid_data"),
])
def test_a_bad_paytoken(liqpay_standin, merchant, params, err_code):
    answer = merchant.request({"action": "paytoken", "version": 3,
                               "public_key": TEST_PUBLIC_KEY, "currency": "UAH",
                               "description": "Autopay", "card_token": "T1", **params})
    assert (answer["status"], answer["err_code"]) == ("error", err_code)
    assert "payment_id" not in answer and ORDER not in liqpay_standin.payments


def test_only_post():
    standin = LiqPayStandIn()
    with standin.serving():
        import urllib.error
        import urllib.request
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(standin.url + "/api/request", timeout=30)
    assert answer.value.code == 405


def test_controls_refuse_what_they_cannot_do(liqpay_standin, merchant, inbox):
    with pytest.raises(ValueError):
        liqpay_standin.spoil_answers("slow")
    liqpay_standin.pay(checkout(merchant, inbox).fields())
    with pytest.raises(ValueError):
        liqpay_standin.forge(ORDER, "politely")
    with pytest.raises(KeyError):
        liqpay_standin.notify("p-unknown")


def test_waiting_has_a_deadline(liqpay_standin):
    with pytest.raises(AssertionError):
        liqpay_standin.wait_for(lambda standin: "never" in standin.payments, timeout=0.05)
