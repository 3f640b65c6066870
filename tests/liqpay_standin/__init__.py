"""A LiqPay stand-in for the tests: a small WSGI app on a loopback port of the tests' own
that speaks LiqPay's API 3 with a test key pair, and that a test steers.

What it does, as LiqPay does (docs/payments.md has the protocol and its sources):
- `POST /api/3/checkout` (`data`, `signature`): checks the signature and the public key and
  the payment's fields, then shows a card page standing in for LiqPay's hosted one (a plain
  form: `card_number`, `card_expiry`, `card_cvv`; fill it with a test card below).
  Submitting it decides the payment, sends the signed callback to `server_url` (before it
  answers, so the callback has arrived when the browser gets there), and redirects the
  browser (303) to `result_url`.
- `POST /api/request` (`data`, `signature`): actions `status` and `paytoken` for the
  orders it knows; refusals as LiqPay's ({"status": "error", "err_code": …}). Answers are
  plain JSON as LiqPay documents them, or signed ({"data", "signature"}) with
  `signed_answers=True`.
Every request's signature and public key are checked, and a bad one refused.

What a test controls: lose, repeat, reorder, send twice at once or forge callbacks
(`lose_callbacks`, `deliver_lost`, `repeat`, `notify`, `notify_together`, `forge`), pay
as the payer's browser would (`pay`),
reverse a payment (`reverse`), finish a 3-D Secure one (`complete`), answer `status`
with "processing" for a while (`answer_status`), decline the next `paytoken`
(`next_paytoken`), and spoil the next API answers (`spoil_answers`: a timeout, HTTP 500,
unsigned, badly signed…). Nothing here sleeps; waits have deadlines.

Its signing is written here again, apart from portal/topup/liqpay.py, so that the two sides are
checked against each other and against LiqPay's worked example, not against themselves.

tests/conftest.py registers this package as a plugin, so every test may ask for the
`liqpay_standin` fixture; the names below come from `tests.liqpay_standin`.
"""
import pytest

from .standin import (
    ANSWER_FAULTS,
    APPROVED_CARD,
    CARDS,
    DECLINED_CARD,
    FORGER_PRIVATE_KEY,
    FORGERIES,
    SECURE_CARD,
    TEST_PRIVATE_KEY,
    TEST_PUBLIC_KEY,
    Delivery,
    LiqPayStandIn,
    Payment,
)
from .wire import MerchantInbox, Visit, post, sign

__all__ = ["ANSWER_FAULTS", "APPROVED_CARD", "CARDS", "DECLINED_CARD", "FORGER_PRIVATE_KEY",
           "FORGERIES", "SECURE_CARD", "TEST_PRIVATE_KEY", "TEST_PUBLIC_KEY", "Delivery",
           "LiqPayStandIn", "MerchantInbox", "Payment", "Visit", "liqpay_standin", "post",
           "sign"]


@pytest.fixture
def liqpay_standin():
    """A LiqPay stand-in served on a loopback port for one test, with the test keys."""
    standin = LiqPayStandIn()
    with standin.serving():
        yield standin
