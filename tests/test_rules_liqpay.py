"""LiqPay's statuses and amounts in the portal's terms (rules/liqpay.py)."""
import json
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from rules import liqpay
from rules.amounts import AmountError

kopiyky = st.integers(min_value=1, max_value=10**12)


@pytest.mark.parametrize("status,meaning", [
    ("success", liqpay.PAID), ("wait_compensation", liqpay.PAID),
    ("failure", liqpay.FAILED), ("error", liqpay.FAILED),
    ("reversed", liqpay.REVERSED),
    ("processing", liqpay.PENDING), ("wait_secure", liqpay.PENDING),
    ("3ds_verify", liqpay.PENDING), ("otp_verify", liqpay.PENDING),
    ("cvv_verify", liqpay.PENDING), ("wait_accept", liqpay.PENDING),
    ("try_again", liqpay.PENDING), ("hold_wait", liqpay.PENDING),
])
def test_documented_statuses(status, meaning):
    assert liqpay.outcome(status) == meaning
    assert liqpay.is_documented(status)


@pytest.mark.parametrize("status", ["subscribed", "unsubscribed", "refunded", "SUCCESS",
                                    "success ", "", "expired"])
def test_anything_else_keeps_waiting(status):
    """A word the table does not give as final never credits or closes a payment."""
    assert liqpay.outcome(status) == liqpay.PENDING


def test_a_test_payment_is_paid_only_where_the_merchant_tests():
    assert liqpay.outcome("sandbox", sandbox=True) == liqpay.PAID
    assert liqpay.outcome("sandbox") == liqpay.FAILED


@given(st.text(max_size=20))
def test_only_two_words_pay(status):
    if liqpay.outcome(status) == liqpay.PAID:
        assert status in ("success", "wait_compensation")


@pytest.mark.parametrize("kopiyky,text", [(1, "0.01"), (12050, "120.50"), (100000, "1000.00"),
                                          (99, "0.99")])
def test_amount_text(kopiyky, text):
    assert liqpay.amount_text(kopiyky) == text


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "100", None, Decimal("1"), 10**13])
def test_amount_text_refuses_what_is_not_a_payment(bad):
    with pytest.raises(AmountError):
        liqpay.amount_text(bad)


@pytest.mark.parametrize("value,kopiyky", [
    (100, 10000), (Decimal("100.5"), 10050), (Decimal("100.50"), 10050),
    (Decimal("0.01"), 1), (Decimal("1.500"), 150), (Decimal("1E+2"), 10000),
    ("120.50", 12050), ("7", 700), (0, 0),
])
def test_to_kopiyky(value, kopiyky):
    assert liqpay.to_kopiyky(value) == kopiyky


@pytest.mark.parametrize("bad", [
    100.5, True, False, None, [], {}, Decimal("1.005"), Decimal("-1"), Decimal("NaN"),
    Decimal("Infinity"), Decimal("1E+30"), Decimal("1E-40"),
    Decimal("0.0100000000000000000000000000001"), "1,50", "-1", "1e2", " 1", "1.", "",
    "١٢", "1" * 13,
])
def test_to_kopiyky_refuses(bad):
    with pytest.raises(AmountError):
        liqpay.to_kopiyky(bad)


@given(kopiyky)
def test_round_trip_through_liqpay_json(amount):
    """What the portal sends comes back as the same kopiyky, however LiqPay writes the
    number (a string, or a JSON number read as Decimal)."""
    text = liqpay.amount_text(amount)
    assert liqpay.to_kopiyky(text) == amount
    as_number = json.loads(f'{{"amount": {text}}}', parse_float=Decimal)["amount"]
    assert liqpay.to_kopiyky(as_number) == amount
    normalized = Decimal(text).normalize()
    assert liqpay.to_kopiyky(normalized) == amount


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3,
                   min_value=Decimal("-1000"), max_value=Decimal("1000")))
def test_to_kopiyky_is_exact_or_refuses(number):
    try:
        result = liqpay.to_kopiyky(number)
    except AmountError:
        assert number < 0 or number != number.quantize(Decimal("0.01"))
    else:
        assert Decimal(result) / 100 == number


@pytest.mark.parametrize("locale,language", [("uk", "uk"), ("en", "en"), ("ru", "uk"),
                                             ("en_GB", "en"), ("uk-UA", "uk"), (None, "uk"),
                                             ("", "uk"), ("de", "uk")])
def test_checkout_language(locale, language):
    assert liqpay.checkout_language(locale) == language


@pytest.mark.parametrize("mask", ["424242*42", "4242*4242", "*1234", "5168**********67"])
def test_masks_are_kept(mask):
    assert liqpay.safe_card_mask(mask) == mask


@pytest.mark.parametrize("text", ["4242424242424242", "424242 42", "4242424242*42",
                                  "42424242*4242", None, 424242, "", "abc*12"])
def test_what_is_not_a_mask_is_not_kept(text):
    assert liqpay.safe_card_mask(text) is None


@given(st.text(alphabet="0123456789* ", max_size=24))
def test_no_card_number_passes_as_a_mask(text):
    kept = liqpay.safe_card_mask(text)
    if kept is not None:
        assert sum(ch.isdigit() for ch in kept) <= 10


def test_status_is_asked_every_minute_then_less_often():
    asked = [minute for minute in range(2, 24 * 60) if liqpay.status_due(minute)]
    assert asked[:13] == list(range(2, 15))
    assert 15 not in asked and 20 in asked and 130 not in asked and 180 in asked
    assert len(asked) < 70


@given(st.integers(min_value=2, max_value=24 * 60))
def test_a_pending_payment_is_never_left_unasked_for_more_than_an_hour(minute):
    assert any(liqpay.status_due(m) for m in range(minute, minute + 60))
