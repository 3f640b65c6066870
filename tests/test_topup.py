"""Card top-up: the form, the SMS code, the credit, and every way it can be refused."""
import dataclasses
import logging
import re

import pytest
from peewee import CharField, TextField

import models
from tests.helpers import CARD, field_error, last_code, page, payment_key, sms_to


def start(client, **fields):
    data = {"target": "0971234567", "amount": "150.50", **CARD, **fields}
    return client.post("/topup", data=data)


def balance(app, number):
    with app.app_context():
        return models.Subscription.by_number(number).balance


@pytest.fixture
def target(factory):
    return factory.subscriber(number="+380971234567", name="Отримувач", balance=1000)


def test_signed_out_top_up_credits_at_once(app, client, target):
    response = start(client, target="097 123 45 67", payer_phone="0681112233")
    assert response.status_code == 200 and 'name="code"' in page(response)
    assert balance(app, "+380971234567") == 1000  # nothing before the code
    code = last_code(app, "+380681112233")
    response = client.post(f"/topup/{payment_key(response)}/confirm", data={"code": code})
    assert response.status_code == 303
    assert balance(app, "+380971234567") == 1000 + 15050
    assert "topped up" in page(client.get(response.headers["Location"]))
    assert "150,50" in sms_to(app, "+380971234567")[0]  # in the cabinet's language: Ukrainian
    with app.app_context():
        entry = models.LedgerEntry.get()
        assert (entry.kind, entry.balance_change, entry.balance_after) == ("topup", 15050, 16050)
        record = models.UsageRecord.get()
        assert (record.type, record.amount, record.counterpart) == ("topup", -15050, "VISA *1111")


def test_signed_in_code_goes_to_the_current_number(app, client, signed_in, target):
    response = start(client, target="0971234567")
    assert 'name="payer_phone"' not in page(client.get("/topup"))
    code = last_code(app, "+380671234567")
    client.post(f"/topup/{payment_key(response)}/confirm", data={"code": code})
    assert balance(app, "+380971234567") == 16050


def test_a_replayed_confirmation_credits_once(app, client, target):
    response = start(client, target="0971234567", payer_phone="0681112233")
    key, code = payment_key(response), last_code(app, "+380681112233")
    for _ in range(3):
        assert client.post(f"/topup/{key}/confirm", data={"code": code}).status_code == 303
    assert balance(app, "+380971234567") == 16050
    with app.app_context():
        assert models.LedgerEntry.select().count() == 1


def test_five_wrong_codes_cancel(app, client, target):
    response = start(client, target="0971234567", payer_phone="0681112233")
    key, code = payment_key(response), last_code(app, "+380681112233")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert client.post(f"/topup/{key}/confirm", data={"code": wrong}).status_code == 422
    response = client.post(f"/topup/{key}/confirm", data={"code": wrong})
    assert response.status_code == 409 and "cancelled" in page(response)
    client.post(f"/topup/{key}/confirm", data={"code": code})
    assert balance(app, "+380971234567") == 1000
    with app.app_context():
        assert models.Payment.get().state == "cancelled"


def test_an_expired_code_cancels(app, client, target, clock):
    response = start(client, target="0971234567", payer_phone="0681112233")
    clock.advance(minutes=11)
    response = client.post(f"/topup/{payment_key(response)}/confirm",
                           data={"code": last_code(app, "+380681112233")})
    assert response.status_code == 409 and "expired" in page(response)
    assert balance(app, "+380971234567") == 1000


def test_someone_elses_payment_is_404(app, client, target):
    response = start(client, target="0971234567", payer_phone="0681112233")
    key = payment_key(response)
    stranger = app.test_client()
    assert stranger.get(f"/topup/{key}").status_code == 404
    assert stranger.post(f"/topup/{key}/confirm", data={"code": "123456"}).status_code == 404
    assert client.get("/topup/no-such-key").status_code == 404


def test_a_home_internet_account_can_be_topped_up(app, client, factory, subscriber):
    account = factory.account(subscriber.profile, balance=0)
    response = start(client, target=account.number, payer_phone="0681112233")
    client.post(f"/topup/{payment_key(response)}/confirm",
                data={"code": last_code(app, "+380681112233")})
    assert balance(app, account.number) == 15050
    assert account.number in sms_to(app, "+380671234567")[0]  # the receipt to the cabinet


@pytest.mark.parametrize("field,value,message", [
    ("target", "0501234567", "another operator"),
    ("target", "0961111111", "no subscriber"),
    ("target", "", "Enter a phone number"),
    ("amount", "0.50", "The least is"),
    ("amount", "5000.01", "The most in one payment"),
    ("amount", "10.001", "Type an amount"),
    ("amount", "-5", "Type an amount"),
    ("card_number", "4111 1111 1111 1112", "typo"),
    ("card_number", "4111", "13 to 19 digits"),
    ("card_number", "4111-1111-abcd-1111", "digits only"),
    ("card_number", "", "Type the card number"),
    ("card_number", "3530111333300000", "We take Visa"),
    ("card_expiry", "10/26", "expired"),
    ("card_expiry", "13/28", "from 01 to 12"),
    ("card_expiry", "2028-08", "MM/YY"),
    ("card_cvv", "12", "3 digits"),
    ("card_cvv", "12a", "3 digits"),
    ("card_holder", "Олена", "Latin letters"),
    ("card_holder", "", "as printed"),
    ("payer_phone", "+44 20 7946 0958", "Ukrainian mobile number"),
    ("payer_phone", "", "Enter a phone number"),
])
def test_bad_input_is_refused_and_nothing_written(app, client, target, field, value, message):
    data = {"payer_phone": "0681112233", field: value}
    response = start(client, **data)
    assert response.status_code == 422
    html = page(response)
    assert message in html
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert models.Payment.select().count() == 0
        assert models.SmsMessage.select().count() == 0


@pytest.mark.parametrize("number,reason", [("4000 0000 0000 0002", "declined"),
                                           ("4000 0000 0000 9995", "not enough money")])
def test_declining_test_cards(app, client, target, number, reason):
    response = start(client, target="0971234567", payer_phone="0681112233", card_number=number)
    assert response.status_code == 422 and reason in page(response)
    assert 'role="alert"' in page(response)
    with app.app_context():
        assert models.Payment.select().count() == 0


def test_daily_cap_per_target(app, client, target, clock):
    for _ in range(3):
        response = start(client, target="0971234567", payer_phone="0681112233", amount="5000")
        assert response.status_code == 200
        client.post(f"/topup/{payment_key(response)}/confirm",
                    data={"code": last_code(app, "+380681112233")})
        clock.advance(minutes=1)  # one top-up code a minute to a payer's phone
    assert balance(app, "+380971234567") == 1000 + 15_000_00
    response = start(client, target="0971234567", payer_phone="0681112233", amount="1")
    assert response.status_code == 422 and "0.00" in page(response)


def _text_values(app):
    """Every value of every text column of every table."""
    with app.app_context():
        for model in models.all_models():
            columns = [field for field in model._meta.sorted_fields
                       if isinstance(field, (CharField, TextField))]
            if columns:
                for row in model.select(*columns).tuples():
                    yield from (value for value in row if value)


# Random tokens, hex keys and argon2/base64 hashes are runs of these characters: a secret
# found inside such a run is chance, not a leak. A secret standing on its own is a leak.
_TOKEN_CHAR = r"[A-Za-z0-9_+/-]"


def written_alone(secret, text):
    return re.search(rf"(?<!{_TOKEN_CHAR}){secret}(?!{_TOKEN_CHAR})", text) is not None


@pytest.mark.parametrize("text, found", [
    ("cvv=987", True), ("987", True), ("card 4111111111111111 cvv 987.", True),
    ("Xk987_aZ", False), ("$argon2id$v=19$m=8,t=1,p=1$abc987$x", False), ("1987", False),
    ("code 209876", False),
])
def test_the_leak_check_tells_a_secret_from_chance(text, found):
    assert written_alone("987", text) is found


def test_card_number_and_cvv_are_never_kept(app, client, target, caplog):
    caplog.set_level(logging.DEBUG)
    response = start(client, target="0971234567", payer_phone="0681112233", card_cvv="987")
    client.post(f"/topup/{payment_key(response)}/confirm",
                data={"code": last_code(app, "+380681112233")})
    with app.app_context():
        payment = models.Payment.get()
        assert (payment.card_brand, payment.card_last4, payment.state) == (
            "visa", "1111", models.Payment.SUCCEEDED)
    values = list(_text_values(app))
    assert any("*1111" in value for value in values)  # the check reads the SMS texts too
    for value in values:
        assert "411111111111" not in value, value  # the number but its last four
        assert not written_alone("987", value), value
    assert "411111111111" not in caplog.text
    assert not written_alone("987", caplog.text)
    html = page(start(client, target="0971234567", payer_phone="0681112233",
                      card_cvv="987", amount="0"))
    assert not written_alone("987", html)  # a rejected form does not echo the CVV


def test_a_code_that_cannot_be_sent_cancels_the_payment(app, client, target, gateway_down):
    response = start(client, target="0971234567", payer_phone="0681112233")
    assert response.status_code == 503 and "could not send the SMS" in page(response)
    with app.app_context():
        payment = models.Payment.get()
        assert (payment.state, payment.failure) == ("cancelled", "sms")
    assert balance(app, "+380971234567") == 1000


def test_card_payments_off_without_a_provider(app, client, target):
    del app.extensions["payment_provider"]
    response = start(client, target="0971234567", payer_phone="0681112233")
    assert response.status_code == 503 and "not available" in page(response)


def test_htmx_swaps_the_form_or_the_code_step(app, client, target):
    headers = {"HX-Request": "true"}
    response = client.post("/topup", data={"target": "1"}, headers=headers)
    assert response.status_code == 422 and "<html" not in page(response)
    response = client.post("/topup", data={"target": "0971234567", "amount": "10",
                                           "payer_phone": "0681112233", **CARD},
                           headers=headers)
    assert response.status_code == 200 and "<html" not in page(response)
    assert 'name="code"' in page(response)


def test_the_form_states_limits_and_card_autocomplete(client):
    html = page(client.get("/topup"))
    for token in ('autocomplete="cc-number"', 'autocomplete="cc-exp"', 'autocomplete="cc-name"',
                  "No commission", "5,000.00"):
        assert token in html
    # The CVV is a password field, where the HTML standard allows no cc-csc autofill.
    assert 'type="password"' in html.split('id="card_cvv"')[0][-200:] + html.split('id="card_cvv"')[1][:200]
    assert 'cc-csc' not in html


def test_a_refused_capture_credits_nothing_and_releases_the_hold(app, client, target):
    from portal.topup.acquiring import Declined, DemoAcquirer

    class RefusesCapture(DemoAcquirer):
        voided = []

        def capture(self, reference, amount):
            raise Declined("declined")

        def void(self, reference):
            self.voided.append(reference)

    app.extensions["payment_provider"] = RefusesCapture()
    response = start(client, target="0971234567", payer_phone="0681112233")
    response = client.post(f"/topup/{payment_key(response)}/confirm",
                           data={"code": last_code(app, "+380681112233")})
    assert response.status_code == 303
    assert "refused the payment" in page(client.get(response.headers["Location"]))
    assert balance(app, "+380971234567") == 1000
    with app.app_context():
        payment = models.Payment.get()
        assert payment.state == "failed" and RefusesCapture.voided == [payment.provider_reference]


def test_signed_in_the_number_on_show_and_the_payer_are_filled_in(client, signed_in):
    response = client.get("/topup")
    assert response.status_code == 200
    html = page(response)
    assert re.search(r'<input[^>]*id="target"[^>]*value="\+380 67 123 45 67"', html)
    assert "We send the confirmation code to +380 67 123 45 67." in html
    assert 'name="payer_phone"' not in html


def test_signed_out_the_payer_is_asked(client):
    html = page(client.get("/topup"))
    assert re.search(r'<input[^>]*id="payer_phone"', html)
    assert "We send the confirmation code to +" not in html


def test_quick_amounts_are_radio_buttons_of_the_amount(client):
    html = page(client.get("/topup?amount=100"))
    radios = re.findall(r'<input type="radio" name="amount" value="(\d+)"( checked)?>', html)
    # A quick amount given comes back ticked, the free field empty: one amount is sent.
    assert radios == [("50", ""), ("100", " checked"), ("200", "")]
    assert re.search(r'<input[^>]*id="amount"[^>]*name="amount"[^>]*value=""', html)
    # Any other amount comes in the free field, no radio ticked.
    html = page(client.get("/topup?amount=120.50"))
    assert re.search(r'<input[^>]*id="amount"[^>]*name="amount"[^>]*value="120.50"', html)
    assert "checked" not in html


def quick(client, *amounts, **fields):
    """A signed-out start whose `amount` is sent as a browser sends the radios and the field."""
    return start(client, amount=list(amounts), payer_phone="0681112233", **fields)


def test_a_refused_quick_amount_can_be_changed_to_another(app, client, target):
    """A form refused for its card comes back with the quick amount ticked; choosing another
    one sends that amount alone (the browser sends the ticked radio and the empty field)."""
    response = quick(client, "100", "", card_cvv="1")
    assert response.status_code == 422
    html = page(response)
    assert 'value="100" checked' in html
    assert re.search(r'<input[^>]*id="amount"[^>]*name="amount"[^>]*value=""', html)
    response = quick(client, "200", "")
    assert response.status_code == 200 and 'name="code"' in page(response)
    with app.app_context():
        assert models.Payment.get().amount == 20000


def test_two_different_amounts_are_refused_not_guessed(app, client, target):
    response = quick(client, "100", "75")
    assert response.status_code == 422
    html = page(response)
    assert "not both" in field_error(html, "amount")
    assert "checked" not in html
    # The same amount twice is one amount.
    assert quick(client, "100", "100.00").status_code == 200
    with app.app_context():
        assert models.Payment.get().amount == 10000


def test_another_top_up_is_offered_only_once_this_one_is_paid(app, client, target):
    response = start(client, payer_phone="0681112233")
    key = payment_key(response)
    assert "Another top-up" not in page(response)
    assert "Another top-up" not in page(client.get(f"/topup/{key}"))
    client.post(f"/topup/{key}/confirm", data={"code": last_code(app, "+380681112233")})
    html = page(client.get(f"/topup/{key}"))
    assert "Paid." in html and '<a href="/topup">Another top-up</a>' in html


def test_a_cancelled_top_up_may_be_tried_again(app, client, target, clock):
    key = payment_key(start(client, payer_phone="0681112233"))
    clock.advance(minutes=11)
    html = page(client.get(f"/topup/{key}"))
    assert "The code has expired" in html and "Another top-up" not in html
    assert '<a href="/topup?target=%2B380971234567&amp;amount=150.50">Try again</a>' in html


def test_the_session_cookie_stays_small_after_200_top_up_starts(app, client, target, clock):
    """What a top-up waits for is kept on the server: the browser's cookie holds one nonce
    for all of its codes, so it never grows to the size a server refuses (431)."""
    # 200 payers no subscriber has, from one browser: the SMS budget's per-address counts
    # are not what this test is about.
    app.config["SMS_LIMITS"] = dataclasses.replace(
        app.config["SMS_LIMITS"], per_address_short=1000, per_address_day=1000,
        stranger_address_short=1000, stranger_address_day=1000)
    sizes = []
    for index in range(200):
        response = start(client, payer_phone=f"067{5000000 + index}")
        assert response.status_code == 200, page(response)
        sizes.append(len(client.get_cookie("session").value))
        clock.advance(seconds=3)  # the payers' SMS stay inside the address's budget
    assert max(sizes) < 1024 and sizes[-1] == sizes[0]
    assert client.get("/login").status_code == 200


def test_each_started_top_up_is_still_confirmed_in_its_browser(app, client, target):
    first, second = (payment_key(start(client, payer_phone=phone))
                     for phone in ("0681112233", "0681112244"))
    code = last_code(app, "+380681112233")
    response = client.post(f"/topup/{first}/confirm", data={"code": code})
    assert response.status_code == 303
    assert client.get(f"/topup/{second}").status_code == 200
    assert app.test_client().get(f"/topup/{second}").status_code == 404


def test_the_code_page_says_how_far_the_code_got(app, client, target):
    response = start(client, target="097 123 45 67", payer_phone="0681112233")
    key = payment_key(response)
    assert "is not delivered yet" in page(response)
    assert f'href="/topup/{key}"' in page(response)  # "Check again", with JavaScript off
    with app.app_context():
        models.SmsMessage.update(delivery=models.SmsMessage.DELIVERED).where(
            models.SmsMessage.to == "+380681112233").execute()
    html = page(client.get(f"/topup/{key}"))
    assert "has been delivered" in html and last_code(app, "+380681112233") not in html
    with app.app_context():
        models.SmsMessage.update(delivery=models.SmsMessage.UNDELIVERED).where(
            models.SmsMessage.to == "+380681112233").execute()
    assert "could not be delivered: get a new code" in page(client.get(f"/topup/{key}"))
