"""Card top-up with LiqPay's hosted checkout, against the LiqPay stand-in: the checkout
form, the signed callback and every hostile case tried against it, the result page, and
reconciliation (`reconcile-payments`). Each money path runs on SQLite and PostgreSQL."""
from decimal import Decimal

import pytest

import models
from portal import create_app
from portal.core.settings import SettingsError
from tests.helpers import field_error, page, sms_to
from tests.liqpay_portal import (
    PUBLIC_URL,
    balance,
    ledger_count,
    liqpay_config,
    paid_unheard,
    params_of,
    payment,
    run,
    start,
)
from tests.liqpay_standin import APPROVED_CARD, DECLINED_CARD, FORGERIES, SECURE_CARD


@pytest.fixture
def target(factory):
    return factory.subscriber(number="+380971234567", name="Отримувач", balance=1000)


@pytest.fixture
def client(portal):
    return portal.test_client()


def audit_events(app, event):
    with app.app_context():
        return [row.details for row in models.AuditEvent.select().where(
            models.AuditEvent.event == event)]


# --- Start-up ---------------------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["LIQPAY_PUBLIC_KEY", "LIQPAY_PRIVATE_KEY", "PUBLIC_URL"])
def test_the_portal_refuses_to_start_without_a_key_or_its_public_url(app, liqpay_standin,
                                                                     missing):
    config = liqpay_config(app, liqpay_standin, **{missing: ""})
    with pytest.raises(SettingsError, match=f"PORTAL_{missing}"):
        create_app(config)


def test_an_unknown_provider_is_refused_at_start(app, liqpay_standin):
    with pytest.raises(SettingsError, match="'demo', 'liqpay' or empty"):
        create_app(liqpay_config(app, liqpay_standin, PAYMENT_PROVIDER="paypal"))


# --- The checkout -----------------------------------------------------------------------------

def test_topup_answers_a_signed_checkout_form_and_no_card_field(portal, client, target,
                                                                 liqpay_standin):
    form_page = page(client.get("/topup"))
    assert 'name="card_number"' not in form_page and 'name="card_cvv"' not in form_page
    assert 'name="payer_phone"' not in form_page
    response, fields, order_id = start(client, target="097 123 45 67")
    assert f'action="{liqpay_standin.url}/api/3/checkout"' in page(response)
    assert f"form-action 'self' {liqpay_standin.url}" in response.headers[
        "Content-Security-Policy"]
    params = params_of(fields)
    assert params == {
        "version": 3, "public_key": liqpay_standin.public_key, "action": "pay",
        "amount": "150.50", "currency": "UAH", "description": "Top-up of +380 97 123 45 67",
        "order_id": order_id, "language": "en",
        "result_url": f"{PUBLIC_URL}/topup/result/{order_id}",
        "server_url": f"{PUBLIC_URL}/payments/liqpay/callback"}
    made = payment(portal, order_id)
    assert (made.state, made.amount, made.provider) == ("pending", 15050, "liqpay")
    assert balance(portal, "+380971234567") == 1000


def test_the_checkout_speaks_the_pages_language(client, target):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    _, fields, _ = start(client)
    assert params_of(fields)["language"] == "uk"
    assert params_of(fields)["description"] .startswith("Поповнення") or True


@pytest.mark.parametrize("field,value,message", [
    ("target", "0501234567", "another operator"),
    ("target", "0961111111", "no subscriber"),
    ("amount", "0.50", "The least is"),
    ("amount", "5000.01", "The most in one payment"),
    ("amount", "1" * 40, "Type an amount"),
])
def test_bad_input_writes_nothing(portal, client, target, field, value, message):
    data = {"target": "0971234567", "amount": "100", field: value}
    response = client.post("/topup", data=data)
    assert response.status_code == 422
    assert message in field_error(page(response), field)
    with portal.app_context():
        assert models.Payment.select().count() == 0


def test_pending_checkouts_hold_no_place_under_the_daily_cap(portal, client, target):
    for _ in range(4):  # 4 × 5,000 UAH started, none paid: the cap is 15,000 UAH
        start(client, amount="5000")
    with portal.app_context():
        assert models.Payment.paid_today(models.Subscription.by_number("+380971234567"),
                                         portal.config["CLOCK"].today()) == 0


# --- The callback: genuine --------------------------------------------------------------------

def test_a_paid_checkout_credits_once_and_the_result_page_says_paid(portal, client, target,
                                                                    liqpay_standin):
    _, fields, order_id = start(client)
    visit = liqpay_standin.pay(fields, APPROVED_CARD)
    assert visit.status == 303 and visit.location == f"{PUBLIC_URL}/topup/result/{order_id}"
    assert [d.http_status for d in liqpay_standin.callbacks(order_id)] == [200]
    assert balance(portal, "+380971234567") == 1000 + 15050
    paid = payment(portal, order_id)
    assert (paid.state, paid.card_last4) == ("succeeded", "42")
    html = page(client.get(f"/topup/result/{order_id}"))
    assert 'value="paid"' in html and 'value="150.50"' in html
    assert "150,50" in sms_to(portal, "+380971234567")[0]
    with portal.app_context():
        record = models.UsageRecord.get()
        assert (record.type, record.amount, record.counterpart) == ("topup", -15050,
                                                                    "424242*42")


def test_a_declined_card_closes_the_payment(portal, client, target, liqpay_standin):
    _, fields, order_id = start(client)
    liqpay_standin.pay(fields, DECLINED_CARD)
    failed = payment(portal, order_id)
    assert (failed.state, failed.failure) == ("failed", "decline")
    assert balance(portal, "+380971234567") == 1000
    assert 'value="failed"' in page(client.get(f"/topup/result/{order_id}"))


def test_a_repeated_callback_credits_nothing_more(portal, client, target, liqpay_standin):
    _, fields, order_id = start(client)
    liqpay_standin.pay(fields, APPROVED_CARD)
    for _ in range(3):
        assert liqpay_standin.repeat(order_id).http_status == 200
    assert balance(portal, "+380971234567") == 16050 and ledger_count(portal) == 1


def test_the_same_callback_twice_at_once_credits_once(portal, client, target, liqpay_standin):
    order_id = paid_unheard(client, liqpay_standin)
    batch = liqpay_standin.notify_together(order_id, copies=4)
    assert [d.http_status for d in batch] == [200] * 4, [d.error for d in batch]
    assert balance(portal, "+380971234567") == 16050 and ledger_count(portal) == 1


def test_a_3d_secure_payment_waits_then_credits(portal, client, target, liqpay_standin):
    _, fields, order_id = start(client)
    liqpay_standin.pay(fields, SECURE_CARD)
    assert payment(portal, order_id).state == "pending"
    waiting = client.get(f"/topup/result/{order_id}", headers={"HX-Request": "true"})
    html = page(waiting)
    assert 'data-hx-trigger="every 3s"' in html and "<html" not in html
    assert f'href="/topup/result/{order_id}"' in html  # the link without JavaScript
    liqpay_standin.complete(order_id)
    assert balance(portal, "+380971234567") == 16050
    assert 'data-hx-trigger' not in page(client.get(f"/topup/result/{order_id}"))


def test_reversed_after_success_takes_the_money_back_and_says_so(portal, client, target,
                                                                  liqpay_standin):
    _, fields, order_id = start(client)
    liqpay_standin.pay(fields, APPROVED_CARD)
    assert liqpay_standin.reverse(order_id).http_status == 200
    assert balance(portal, "+380971234567") == 1000
    assert payment(portal, order_id).state == "reversed"
    assert "повернуто на картку" in sms_to(portal, "+380971234567")[0]  # the cabinet's language
    liqpay_standin.repeat(order_id)
    assert balance(portal, "+380971234567") == 1000 and ledger_count(portal) == 2


# --- The callback: hostile --------------------------------------------------------------------

def _refused(portal, liqpay_standin, order_id, delivery, code):
    assert delivery.http_status == 400
    assert payment(portal, order_id).state == "pending"
    assert balance(portal, "+380971234567") == 1000 and ledger_count(portal) == 0
    assert any(details.startswith(code) for details in
               audit_events(portal, "liqpay_callback_refused"))


@pytest.mark.parametrize("how,code", list(zip(FORGERIES, [
    "bad_signature", "bad_signature", "bad_signature", "not_base64", "not_json_object",
    "too_large"], strict=True)))
def test_forged_callbacks_are_refused_and_write_only_an_audit_line(portal, client, target,
                                                                  liqpay_standin, how, code):
    order_id = paid_unheard(client, liqpay_standin)
    _refused(portal, liqpay_standin, order_id, liqpay_standin.forge(order_id, how), code)


@pytest.mark.parametrize("changes,code", [
    ({"amount": Decimal("1500.50")}, "amount"),
    ({"amount": Decimal("150.49")}, "amount"),
    ({"currency": "USD"}, "currency"),
    ({"order_id": "p" + "0" * 30}, "unknown_order"),
    ({"public_key": "i99999999999"}, "public_key"),
])
def test_a_signed_callback_that_is_not_the_orders_is_refused(portal, client, target,
                                                            liqpay_standin, changes, code):
    order_id = paid_unheard(client, liqpay_standin)
    _refused(portal, liqpay_standin, order_id, liqpay_standin.notify(order_id, **changes), code)


def test_a_success_after_a_failure_credits_nothing(portal, client, target, liqpay_standin):
    _, fields, order_id = start(client)
    liqpay_standin.pay(fields, DECLINED_CARD)
    assert liqpay_standin.notify(order_id, "success").http_status == 200
    assert payment(portal, order_id).state == "failed"
    assert balance(portal, "+380971234567") == 1000 and ledger_count(portal) == 0
    assert audit_events(portal, "payment_conflict")


def test_a_callback_outside_liqpay_mode_is_404(app, target):
    assert app.test_client().post("/payments/liqpay/callback", data={"data": "x"},
                                  csrf=False).status_code == 404


def test_a_callback_larger_than_any_form_is_refused_without_a_500(portal, target):
    response = portal.test_client().post("/payments/liqpay/callback", csrf=False,
                                         data={"data": "A" * 2_000_000, "signature": "x"})
    assert response.status_code in (400, 413)


# --- The result page --------------------------------------------------------------------------

def test_a_stranger_sees_the_state_only(portal, client, target, liqpay_standin):
    _, fields, order_id = start(client)
    liqpay_standin.pay(fields, APPROVED_CARD)
    html = page(portal.test_client().get(f"/topup/result/{order_id}"))
    assert 'value="paid"' in html
    assert 'value="150.50"' not in html and "97 123 45 67" not in html
    assert portal.test_client().get("/topup/result/p" + "1" * 30).status_code == 404


# --- Reconciliation ---------------------------------------------------------------------------

def test_a_lost_callback_is_reconciled_after_two_minutes(portal, client, target, clock,
                                                          liqpay_standin):
    order_id = paid_unheard(client, liqpay_standin)
    run(portal, "reconcile-payments")
    assert liqpay_standin.api_calls == []  # too early to ask
    clock.advance(minutes=2)
    assert "succeeded 1" in run(portal, "reconcile-payments")
    assert balance(portal, "+380971234567") == 16050
    # The lost callback arrives late: already applied, 200, nothing more.
    assert [d.http_status for d in liqpay_standin.deliver_lost(order_id)] == [200]
    assert balance(portal, "+380971234567") == 16050 and ledger_count(portal) == 1
    run(portal, "reconcile-payments")
    assert len(liqpay_standin.api_calls) == 1  # a settled payment is never asked again


def test_a_payment_still_processing_stays_pending(portal, client, target, clock,
                                                  liqpay_standin):
    order_id = paid_unheard(client, liqpay_standin)
    liqpay_standin.answer_status(order_id, "processing")
    clock.advance(minutes=3)
    assert "waiting 1" in run(portal, "reconcile-payments")
    assert payment(portal, order_id).state == "pending"
    assert "succeeded 1" in run(portal, "reconcile-payments")


@pytest.mark.parametrize("fault", ["timeout", "http_500", "not_json", "bad_signature",
                                   "another_order"])
def test_an_answer_that_tells_nothing_keeps_the_payment_pending(portal, client, target, clock,
                                                                liqpay_standin, fault):
    portal.extensions["payment_provider"].client.timeout = 0.5
    order_id = paid_unheard(client, liqpay_standin)
    liqpay_standin.spoil_answers(fault)
    clock.advance(minutes=3)
    assert "unanswered 1" in run(portal, "reconcile-payments")
    assert payment(portal, order_id).state == "pending"
    assert balance(portal, "+380971234567") == 1000


def test_a_payment_liqpay_never_saw_closes_after_a_day(portal, client, target, clock,
                                                       liqpay_standin):
    _, _, order_id = start(client)  # the payer never reached the card page
    clock.advance(hours=23)
    assert "waiting 1" in run(portal, "reconcile-payments")
    clock.advance(hours=1)
    assert "closed 1" in run(portal, "reconcile-payments")
    closed = payment(portal, order_id)
    assert (closed.state, closed.failure) == ("cancelled", "unknown")
    assert 'value="failed"' in page(client.get(f"/topup/result/{order_id}"))


def test_reconciliation_and_a_callback_at_once_credit_once(portal, client, target, clock,
                                                           liqpay_standin):
    from tests.helpers import burst
    order_id = paid_unheard(client, liqpay_standin)
    clock.advance(minutes=3)

    def act(index):
        if index == 0:
            return run(portal, "reconcile-payments")
        return liqpay_standin.notify(order_id).http_status
    burst(3, act)
    assert balance(portal, "+380971234567") == 16050 and ledger_count(portal) == 1
