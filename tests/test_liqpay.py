"""The LiqPay client (portal/topup/liqpay.py): the signature against LiqPay's worked example,
the checkout form, the callback and every way it is refused, and the server-to-server API
against the stand-in over real HTTP."""
import base64
import json
import socket
from decimal import Decimal

import pytest

from portal.topup import liqpay
from rules import liqpay as rules
from rules.amounts import AmountError
from tests.liqpay_standin import (
    APPROVED_CARD,
    DECLINED_CARD,
    FORGER_PRIVATE_KEY,
    TEST_PRIVATE_KEY,
    TEST_PUBLIC_KEY,
)

# "Forming data and signature, example" (https://www.liqpay.ua/documentation/en/data_signature).
DOC_PRIVATE_KEY = "a4825234f4bae72a0be04eafe9e8e2bada209255"
DOC_JSON = ('{"public_key":"i00000000","version":"3","action":"pay","amount":"3",'
            '"currency":"UAH","description":"test","order_id":"000001"}')
DOC_DATA = ("eyJwdWJsaWNfa2V5IjoiaTAwMDAwMDAwIiwidmVyc2lvbiI6IjMiLCJhY3Rpb24iOiJwYXkiLCJhbW91"
            "bnQiOiIzIiwiY3VycmVuY3kiOiJVQUgiLCJkZXNjcmlwdGlvbiI6InRlc3QiLCJvcmRlcl9pZCI6IjAw"
            "MDAwMSJ9")
DOC_SIGNATURE = "wR+UZDC4jjeL/qUOvIsofIWpZh8="
PORTAL = "https://my.example.ua"
ORDER = "p0123456789abcdef0123456789abcdef"


@pytest.fixture
def merchant():
    """The portal's client with the stand-in's keys (no network unless a test serves)."""
    return liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, "http://127.0.0.1:9")


@pytest.fixture
def api(liqpay_standin):
    """The portal's client pointed at the served stand-in."""
    return liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, liqpay_standin.url)


def signed(fields, private_key=TEST_PRIVATE_KEY):
    """A message as LiqPay would sign it (the test's own encoding, not the client's)."""
    text = fields if isinstance(fields, str) else json.dumps(fields)
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return data, liqpay.LiqPay("any", private_key).signature(data)


def callback_fields(**changes):
    fields = {"payment_id": 1000001, "action": "pay", "status": "success", "version": 3,
              "public_key": TEST_PUBLIC_KEY, "order_id": ORDER, "amount": 120.5,
              "currency": "UAH", "sender_card_mask2": "424242*42", "card_token": "T0KEN1"}
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not ...}


def checkout(merchant, **changes):
    arguments = {"order_id": ORDER, "kopiyky": 12050, "description": "Top-up 067 123 45 67",
                 "language": "uk", "result_url": f"{PORTAL}/topup/result/{ORDER}",
                 "server_url": f"{PORTAL}/payments/liqpay/callback"}
    arguments.update(changes)
    return merchant.checkout(**arguments)


def opened(form):
    return json.loads(base64.b64decode(form.data))


# --- The signature --------------------------------------------------------------------------

def test_signature_is_the_documented_one():
    merchant = liqpay.LiqPay("i00000000", DOC_PRIVATE_KEY)
    assert base64.b64decode(DOC_DATA).decode() == DOC_JSON
    assert merchant.signature(DOC_DATA) == DOC_SIGNATURE
    assert merchant.decode(DOC_DATA, DOC_SIGNATURE)["order_id"] == "000001"


def test_encode_then_decode(merchant):
    message = merchant.encode({"description": "Поповнення 067 123 45 67", "amount": "1.00"})
    assert merchant.decode(message.data, message.signature) == {
        "description": "Поповнення 067 123 45 67", "amount": "1.00"}


def test_the_private_key_never_shows(merchant):
    assert TEST_PRIVATE_KEY not in repr(merchant)


# --- The checkout ----------------------------------------------------------------------------

def test_checkout_form(merchant):
    form = checkout(merchant)
    assert form.url == "http://127.0.0.1:9/api/3/checkout"
    assert form.fields() == {"data": form.data, "signature": form.signature}
    assert form.signature == merchant.signature(form.data)
    assert opened(form) == {
        "version": 3, "public_key": TEST_PUBLIC_KEY, "action": "pay", "amount": "120.50",
        "currency": "UAH", "description": "Top-up 067 123 45 67", "order_id": ORDER,
        "language": "uk", "result_url": f"{PORTAL}/topup/result/{ORDER}",
        "server_url": f"{PORTAL}/payments/liqpay/callback"}


def test_checkout_asks_for_a_card_token_only_to_save_the_card(merchant):
    assert "recurringbytoken" not in opened(checkout(merchant))
    assert opened(checkout(merchant, save_card=True))["recurringbytoken"] == "1"


def test_checkout_in_the_pages_language(merchant):
    assert opened(checkout(merchant, language="en"))["language"] == "en"
    assert opened(checkout(merchant, language="ru"))["language"] == "uk"


def test_sandbox_checkout(merchant):
    sandbox = liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, sandbox=True)
    assert opened(checkout(sandbox))["sandbox"] == "1"
    assert "sandbox" not in opened(checkout(merchant))


@pytest.mark.parametrize("kopiyky", [0, -100, 1.5, True, "100", None])
def test_checkout_takes_whole_positive_kopiyky_only(merchant, kopiyky):
    with pytest.raises(AmountError):
        checkout(merchant, kopiyky=kopiyky)


@pytest.mark.parametrize("order_id", ["", "a b", "x" * 256, "ід", None, "a/b"])
def test_checkout_refuses_an_order_id_unfit_for_a_url(merchant, order_id):
    with pytest.raises(ValueError):
        checkout(merchant, order_id=order_id)


def test_new_order_ids_are_opaque_and_fit():
    first, second = liqpay.new_order_id(), liqpay.new_order_id()
    assert first != second and len(first) == 31  # fits Payment.key (32)
    assert liqpay._ORDER_ID.match(first)


# --- The callback ----------------------------------------------------------------------------

def test_a_genuine_callback(merchant):
    notice = merchant.callback(*signed(callback_fields()))
    assert (notice.order_id, notice.status, notice.outcome) == (ORDER, "success", rules.PAID)
    assert (notice.kopiyky, notice.currency, notice.payment_id) == (12050, "UAH", "1000001")
    assert (notice.card_token, notice.card_mask) == ("T0KEN1", "424242*42")
    assert "T0KEN1" not in repr(notice) and "T0KEN1" not in notice.summary()
    notice.require_order(12050)


@pytest.mark.parametrize("amount,kopiyky", [(120.5, 12050), ("120.50", 12050), (120, 12000),
                                            (0.01, 1), ("7.34", 734)])
def test_the_amount_is_read_exactly(merchant, amount, kopiyky):
    assert merchant.callback(*signed(callback_fields(amount=amount))).kopiyky == kopiyky


@pytest.mark.parametrize("status,outcome", [("failure", rules.FAILED), ("error", rules.FAILED),
                                            ("reversed", rules.REVERSED),
                                            ("wait_secure", rules.PENDING),
                                            ("3ds_verify", rules.PENDING),
                                            ("sandbox", rules.FAILED)])
def test_a_callbacks_meaning(merchant, status, outcome):
    assert merchant.callback(*signed(callback_fields(status=status))).outcome == outcome


def test_a_card_number_in_the_mask_is_not_kept(merchant):
    notice = merchant.callback(*signed(callback_fields(sender_card_mask2="4242424242424242")))
    assert notice.card_mask is None


def test_another_amount_or_currency_is_refused_by_the_order(merchant):
    notice = merchant.callback(*signed(callback_fields()))
    with pytest.raises(liqpay.AmountMismatch):
        notice.require_order(12051)
    with pytest.raises(liqpay.CurrencyMismatch):
        merchant.callback(*signed(callback_fields(currency="USD"))).require_order(12050)


def forged(how):
    """Callback fields (data, signature) spoiled in one way each."""
    data, signature = signed(callback_fields())
    return {
        "no data": (None, signature),
        "no signature": (data, None),
        "empty signature": (data, ""),
        "data not text": (["x"], signature),
        "huge": signed(callback_fields(info="x" * 40_000)),
        "not base64": ("{not base64}", signature),
        "url-safe base64": (data.replace("+", "-").replace("/", "_") + "-_", signature),
        "base64 with a newline": (data[:20] + "\n" + data[20:], signature),
        "wrong key": signed(callback_fields(), FORGER_PRIVATE_KEY),
        "signature of other data": (data, signed(callback_fields(status="failure"))[1]),
        "signature cut short": (data, signature[:-2]),
        "signature not ASCII": (data, "ї" * 28),
        "a JSON array": signed([ORDER, "success"]),
        "not JSON": signed("success"),
        "NaN amount": signed(json.dumps(callback_fields()).replace("120.5", "NaN")),
        "not UTF-8": (base64.b64encode(b"\xff\xfe{}").decode(),
                      liqpay.LiqPay("x", TEST_PRIVATE_KEY).signature(
                          base64.b64encode(b"\xff\xfe{}").decode())),
        "no order_id": signed(callback_fields(order_id=...)),
        "no status": signed(callback_fields(status=...)),
        "no amount": signed(callback_fields(amount=...)),
        "null amount": signed(callback_fields(amount=None)),
        "no currency": signed(callback_fields(currency=...)),
        "no public_key": signed(callback_fields(public_key=...)),
        "another merchant": signed(callback_fields(public_key="i99999999")),
        "a fraction of a kopiyka": signed(callback_fields(amount="120.505")),
        "a negative amount": signed(callback_fields(amount=-120.5)),
        "amount true": signed(callback_fields(amount=True)),
        "status a number": signed(callback_fields(status=1)),
        "order_id too long": signed(callback_fields(order_id="x" * 256)),
        "card_token a number": signed(callback_fields(card_token=5)),
    }[how]


@pytest.mark.parametrize("how,refusal", [
    ("no data", liqpay.Missing), ("no signature", liqpay.Missing),
    ("empty signature", liqpay.BadSignature), ("data not text", liqpay.Missing),
    ("huge", liqpay.TooLarge), ("not base64", liqpay.NotBase64),
    ("url-safe base64", liqpay.NotBase64), ("base64 with a newline", liqpay.NotBase64),
    ("wrong key", liqpay.BadSignature), ("signature of other data", liqpay.BadSignature),
    ("signature cut short", liqpay.BadSignature), ("signature not ASCII", liqpay.BadSignature),
    ("a JSON array", liqpay.NotJsonObject), ("not JSON", liqpay.NotJsonObject),
    ("NaN amount", liqpay.NotJsonObject), ("not UTF-8", liqpay.NotJsonObject),
    ("no order_id", liqpay.MissingField), ("no status", liqpay.MissingField),
    ("no amount", liqpay.MissingField), ("null amount", liqpay.MissingField),
    ("no currency", liqpay.MissingField), ("no public_key", liqpay.MissingField),
    ("another merchant", liqpay.ForeignMerchant),
    ("a fraction of a kopiyka", liqpay.BadField), ("a negative amount", liqpay.BadField),
    ("amount true", liqpay.BadField), ("status a number", liqpay.BadField),
    ("order_id too long", liqpay.BadField), ("card_token a number", liqpay.BadField),
])
def test_a_callback_is_refused(merchant, how, refusal):
    with pytest.raises(refusal) as refused:
        merchant.callback(*forged(how))
    assert isinstance(refused.value, liqpay.Refused)  # the callback's one 400
    assert refused.value.code


def test_missing_fields_are_named(merchant):
    with pytest.raises(liqpay.MissingField) as refused:
        merchant.callback(*forged("no amount"))
    assert refused.value.field == "amount"


# --- The server-to-server API, on canned answers -----------------------------------------

class Canned:
    """An opener whose every answer is one canned body: answers the stand-in never gives."""

    def __init__(self, body, status=200):
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.status = status
        self.sent = []

    def open(self, request, timeout):
        self.sent.append((request, timeout))
        return self

    def read(self, limit):
        return self.body[:limit]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def canned(body, status=200):
    opener = Canned(body, status)
    return liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, timeout=3.5, opener=opener), opener


def test_the_request_on_the_wire():
    merchant, opener = canned({"order_id": ORDER, "payment_id": 7, "status": "success",
                               "amount": 1, "currency": "UAH"})
    assert merchant.status(ORDER).kopiyky == 100
    [(request, timeout)] = opener.sent
    assert (request.full_url, request.get_method(), timeout) == (
        "https://www.liqpay.ua/api/request", "POST", 3.5)
    form = dict(liqpay.urllib.parse.parse_qsl(request.data.decode()))
    assert merchant.decode(form["data"], form["signature"]) == {
        "action": "status", "version": 3, "public_key": TEST_PUBLIC_KEY, "order_id": ORDER}


@pytest.mark.parametrize("answer,err_code", [
    ({"result": "error", "status": "error", "err_code": "invalid_signature",
      "order_id": ORDER}, "invalid_signature"),
    ({"status": "failure", "err_code": "err_auth", "order_id": ORDER}, "err_auth"),
    ({"result": "ok"}, "no_order_id"),
])
def test_a_refusal_is_never_the_payment_failing(answer, err_code):
    """Without LiqPay's payment id, an error is about the request (keys, order), not the
    payment: reconciliation must not close a payment on it."""
    merchant, _ = canned(answer)
    with pytest.raises(liqpay.ApiRefused) as refused:
        merchant.status(ORDER)
    assert refused.value.err_code == err_code


def test_a_failed_payment_has_its_payment_id():
    merchant, _ = canned({"result": "error", "status": "failure", "err_code": "limit",
                          "payment_id": 42, "order_id": ORDER, "amount": "300.00",
                          "currency": "UAH"})
    notice = merchant.paytoken(order_id=ORDER, kopiyky=30000, description="Autopay",
                               card_token="T1")
    assert (notice.outcome, notice.err_code, notice.payment_id) == (rules.FAILED, "limit", "42")


@pytest.mark.parametrize("answer,reason", [
    ({"signature": "x" * 28}, "missing"),
    ({"data": "e30=", "status": "success"} | {"signature": "y" * 28}, "bad_signature"),
    ({"order_id": ORDER, "payment_id": 1, "status": "success", "amount": "1.005",
      "currency": "UAH"}, "bad_field"),
    ({"order_id": ORDER, "payment_id": 1, "status": "success", "currency": "UAH"},
     "missing_field"),
    ({"order_id": ORDER, "payment_id": 1, "status": "success", "amount": 1,
      "currency": "UAH", "public_key": "i99999999"}, "public_key"),
    (b"\xff\xfe", "not_json"), (b"[1, 2]", "not_json"), (b"", "not_json"),
])
def test_answers_to_distrust(answer, reason):
    merchant, _ = canned(answer)
    with pytest.raises(liqpay.BadAnswer) as refused:
        merchant.status(ORDER)
    assert refused.value.reason == reason


def test_only_200_is_an_answer():
    merchant, _ = canned({"order_id": ORDER}, status=201)
    with pytest.raises(liqpay.ApiHttpStatus):
        merchant.status(ORDER)


# --- The server-to-server API, against the stand-in ------------------------------------------

def paid(standin, api, card=APPROVED_CARD, save_card=False, order_id=ORDER):
    """A payment made on the stand-in's card page (its callback goes nowhere)."""
    form = checkout(api, order_id=order_id, save_card=save_card,
                    server_url=standin.url + "/nowhere")
    visit = standin.pay(form.fields(), card)
    assert visit.status == 303, visit.html
    return standin.payment(order_id)


def test_status_of_a_paid_payment(liqpay_standin, api):
    paid(liqpay_standin, api)
    notice = api.status(ORDER)
    assert (notice.status, notice.outcome, notice.kopiyky) == ("success", rules.PAID, 12050)
    assert notice.payment_id == str(liqpay_standin.payment(ORDER).payment_id)
    assert liqpay_standin.api_calls == [("status", None)]


def test_status_of_a_declined_payment(liqpay_standin, api):
    paid(liqpay_standin, api, card=DECLINED_CARD)
    notice = api.status(ORDER)
    assert (notice.outcome, notice.err_code) == (rules.FAILED, "decline")


def test_status_of_an_order_liqpay_does_not_know(liqpay_standin, api):
    with pytest.raises(liqpay.OrderNotFound) as refused:
        api.status(ORDER)
    assert refused.value.err_code == "payment_not_found"


def test_status_processing_for_a_while(liqpay_standin, api):
    paid(liqpay_standin, api)
    liqpay_standin.answer_status(ORDER, "processing", times=2)
    assert [api.status(ORDER).outcome for _ in range(3)] == [
        rules.PENDING, rules.PENDING, rules.PAID]


def test_signed_answers_are_verified(liqpay_standin):
    liqpay_standin.signed_answers = True
    strict = liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, liqpay_standin.url,
                           require_signed_answers=True)
    paid(liqpay_standin, strict)
    assert strict.status(ORDER).outcome == rules.PAID
    liqpay_standin.spoil_answers("unsigned")
    with pytest.raises(liqpay.BadAnswer) as refused:
        strict.status(ORDER)
    assert refused.value.reason == "unsigned"


@pytest.mark.parametrize("signed_answers", [False, True])
def test_a_badly_signed_answer_is_refused_even_when_unsigned_ones_pass(
        liqpay_standin, api, signed_answers):
    liqpay_standin.signed_answers = signed_answers
    paid(liqpay_standin, api)
    liqpay_standin.spoil_answers("bad_signature")
    with pytest.raises(liqpay.BadAnswer) as refused:
        api.status(ORDER)
    assert refused.value.reason == "bad_signature"
    assert api.status(ORDER).outcome == rules.PAID  # the next answer is fine again


@pytest.mark.parametrize("fault,error,detail", [
    ("http_500", liqpay.ApiHttpStatus, 500),
    ("redirect", liqpay.ApiHttpStatus, 302),
    ("not_json", liqpay.BadAnswer, "not_json"),
    ("huge", liqpay.BadAnswer, "too_large"),
    ("another_order", liqpay.BadAnswer, "another_order"),
])
def test_an_answer_to_distrust(liqpay_standin, api, fault, error, detail):
    paid(liqpay_standin, api)
    liqpay_standin.spoil_answers(fault)
    with pytest.raises(error) as failed:
        api.status(ORDER)
    assert getattr(failed.value, "status", None) == detail or failed.value.reason == detail


def test_a_timeout(liqpay_standin):
    impatient = liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, liqpay_standin.url,
                              timeout=0.2)
    liqpay_standin.spoil_answers("timeout")
    with pytest.raises(liqpay.ApiTimeout):
        impatient.status(ORDER)


def test_nobody_listening():
    with socket.socket() as sock:  # a port that was free a moment ago and is closed now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, f"http://127.0.0.1:{port}")
    with pytest.raises(liqpay.ApiUnreachable):
        closed.status(ORDER)


@pytest.mark.parametrize("public_key,private_key,err_code", [
    (TEST_PUBLIC_KEY, FORGER_PRIVATE_KEY, "invalid_signature"),
    ("i11111111", TEST_PRIVATE_KEY, "public_key_not_found"),
])
def test_liqpay_refuses_our_request(liqpay_standin, public_key, private_key, err_code):
    """Wrong keys are LiqPay refusing the request, never the payment failing."""
    paid(liqpay_standin, liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, liqpay_standin.url))
    wrong = liqpay.LiqPay(public_key, private_key, liqpay_standin.url)
    with pytest.raises(liqpay.ApiRefused) as refused:
        wrong.status(ORDER)
    assert refused.value.err_code == err_code
    assert not isinstance(refused.value, liqpay.OrderNotFound)


def test_paytoken_with_a_saved_card(liqpay_standin, api):
    token = paid(liqpay_standin, api, save_card=True).card_token
    assert token
    notice = api.paytoken(order_id="p-auto-1", kopiyky=30000, description="Autopay",
                          card_token=token)
    assert (notice.outcome, notice.kopiyky, notice.card_mask) == (rules.PAID, 30000, "424242*42")
    assert liqpay_standin.payment("p-auto-1").amount == Decimal("300.00")


def test_paytoken_declined(liqpay_standin, api):
    token = paid(liqpay_standin, api, save_card=True).card_token
    liqpay_standin.next_paytoken("failure", "limit")
    notice = api.paytoken(order_id="p-auto-1", kopiyky=30000, description="Autopay",
                          card_token=token)
    assert (notice.outcome, notice.err_code) == (rules.FAILED, "limit")


def test_paytoken_with_a_token_liqpay_does_not_know(liqpay_standin, api):
    with pytest.raises(liqpay.ApiRefused) as refused:
        api.paytoken(order_id="p-auto-1", kopiyky=30000, description="Autopay",
                     card_token="T-NOT-OURS")
    assert refused.value.err_code == "err_no_card_token"


def test_after_a_paytoken_timeout_status_tells(liqpay_standin, api):
    """A timed-out charge may still happen: the portal asks `status` of the same order."""
    impatient = liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, liqpay_standin.url,
                              timeout=0.2)
    token = paid(liqpay_standin, api, save_card=True).card_token
    liqpay_standin.spoil_answers("timeout")
    with pytest.raises(liqpay.ApiTimeout):
        impatient.paytoken(order_id="p-auto-1", kopiyky=30000, description="Autopay",
                           card_token=token)
    liqpay_standin.release_held()
    liqpay_standin.wait_for(lambda standin: "p-auto-1" in standin.payments)
    assert api.status("p-auto-1").outcome == rules.PAID


def test_paytoken_repeated_with_the_same_order_charges_once(liqpay_standin, api):
    token = paid(liqpay_standin, api, save_card=True).card_token
    first = api.paytoken(order_id="p-auto-1", kopiyky=30000, description="Autopay",
                         card_token=token)
    again = api.paytoken(order_id="p-auto-1", kopiyky=30000, description="Autopay",
                         card_token=token)
    assert first.payment_id == again.payment_id
    assert liqpay_standin.payment("p-auto-1").statuses == ["success"]
