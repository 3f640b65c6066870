"""LiqPay's words turned into the portal's: what a payment status means, and amounts.

Pure: the protocol itself (signatures, HTTP) is `portal/topup/liqpay.py`. Sources, as read in
December 2026:
- statuses: LiqPay API 3, "Callback" (https://www.liqpay.ua/en/doc/callback: final
  statuses, statuses that need the payer's confirmation, other statuses) and the status
  descriptions of the Ukrainian documentation (https://www.liqpay.ua/documentation/uk);
- amounts: "amount Number. Payment amount. For example: 5, 7.34"
  (https://www.liqpay.ua/documentation/en/data_signature): hryvnias with decimals, while
  the portal keeps integer kopiyky. Converted exactly, never through a float.
- languages: "language: uk, en" (https://liqpay.ua/doc/api/internet_acquiring/checkout).
"""
import re
from decimal import Decimal, InvalidOperation

from rules.amounts import AmountError, format_plain

# What a status means for the portal's payment.
PAID = "paid"          # the money left the payer's card: credit the target once
FAILED = "failed"      # no money moved: close the payment
REVERSED = "reversed"  # money that was paid went back to the payer: take the credit back
PENDING = "pending"    # not decided yet: keep waiting (callback or reconciliation)

# LiqPay's `status` -> its meaning for the portal. Anything not listed means PENDING
# (`outcome`), so a status LiqPay adds later can never credit or close a payment.
STATUS_OUTCOMES = {
    # Final statuses.
    "success": PAID,
    "failure": FAILED,
    "error": FAILED,         # "Failed payment. Data is incorrect"
    "reversed": REVERSED,    # "Payment is refunded"
    # "Платіж успішний, буде зарахований в щодобовій проводці": the payer's money is taken,
    # LiqPay pays the merchant in its daily settlement. For the subscriber it is paid.
    "wait_compensation": PAID,
    # Statuses that need the payer's confirmation: the payer is still at it.
    "3ds_verify": PENDING,
    "otp_verify": PENDING,
    "cvv_verify": PENDING,
    "sender_verify": PENDING,
    "receiver_verify": PENDING,
    "senderapp_verify": PENDING,
    "phone_verify": PENDING,
    "ivr_verify": PENDING,
    "pin_verify": PENDING,
    "captcha_verify": PENDING,
    "password_verify": PENDING,
    "wait_qr": PENDING,
    "wait_sender": PENDING,
    # Other statuses: the bank or LiqPay is still at it.
    "processing": PENDING,
    "prepared": PENDING,
    "wait_secure": PENDING,   # "Платіж на перевірці"
    "wait_accept": PENDING,   # money taken, the merchant not yet verified: may be cancelled
    "wait_card": PENDING,
    "wait_lc": PENDING,
    "wait_reserve": PENDING,
    "hold_wait": PENDING,
    "cash_wait": PENDING,
    "invoice_wait": PENDING,
    # "Оплата неуспішна. Клієнт може повторити спробу ще раз": the same order may still
    # succeed on the checkout page, so it is not final.
    "try_again": PENDING,
}
# "Sandbox payment": a test payment. Paid only where the merchant tests on purpose.
SANDBOX = "sandbox"


def outcome(status, sandbox=False):
    """What LiqPay's `status` means for the payment: PAID, FAILED, REVERSED or PENDING.

    A test payment ("sandbox") is PAID only when `sandbox` is on (an operator trying the
    merchant account); otherwise no real money moved and it is FAILED. Unknown words (and
    the subscription statuses "subscribed"/"unsubscribed", which a "pay" never gets)
    are PENDING: they neither credit nor close anything.
    """
    if status == SANDBOX:
        return PAID if sandbox else FAILED
    return STATUS_OUTCOMES.get(status, PENDING)


def is_documented(status):
    """Whether LiqPay documents this status (an undocumented one is worth an audit line)."""
    return status in STATUS_OUTCOMES or status in (SANDBOX, "subscribed", "unsubscribed")


# No single card payment comes near ten billion hryvnias; the bound keeps every exact
# computation below within Decimal's default 28 digits.
MAX_UAH = Decimal(10) ** 10
CENT = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{1,12})?$")


def amount_text(kopiyky):
    """Kopiyky -> the `amount` the portal sends LiqPay: '120.50' (a dot, two decimals).

    Only a positive whole number of kopiyky is a payment."""
    if isinstance(kopiyky, bool) or not isinstance(kopiyky, int) or kopiyky <= 0:
        raise AmountError(kopiyky)
    if kopiyky > MAX_UAH * 100:
        raise AmountError(kopiyky)
    return format_plain(kopiyky)


def to_kopiyky(value):
    """LiqPay's `amount` -> kopiyky (int), exactly, or AmountError.

    `value` is as a JSON parser that reads numbers as Decimal gives it (an int or a
    Decimal), or a string of digits with a dot. Refused: floats (read JSON with
    `parse_float=Decimal`), booleans, negative or non-finite numbers, anything past
    MAX_UAH, and any fraction of a kopiyka ('1.005'; '1.500' is 150).
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise AmountError(value)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _PLAIN_DECIMAL.match(value):
        number = Decimal(value)
    else:
        raise AmountError(value)
    if not number.is_finite() or number < 0 or number > MAX_UAH:
        raise AmountError(value)
    try:
        cents = number.quantize(CENT)
    except InvalidOperation:  # too many digits for the context: never a real amount
        raise AmountError(value) from None
    if cents != number:  # comparison is exact: no context rounding
        raise AmountError(value)
    return int(cents * 100)


LANGUAGES = ("uk", "en")


def checkout_language(locale):
    """The page's language -> LiqPay's checkout `language` (uk or en).

    LiqPay's checkout speaks Ukrainian and English; a Russian page gets Ukrainian, the
    checkout's own default."""
    code = str(locale or "").split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else "uk"


# LiqPay's masked card: "424242*42" (`sender_card_mask2`). The portal keeps a mask only if
# it cannot be a card number: a star, and at most ten digits in all (a card number has at
# least twelve), so nothing that LiqPay or a forger sends can make the portal store one.
_MASK = re.compile(r"^[0-9]{0,6}\*+[0-9]{0,4}$")


def safe_card_mask(text):
    """The masked card to show and keep ("424242*42"), or None if `text` is not one."""
    if not isinstance(text, str) or len(text) > 32 or not _MASK.match(text):
        return None
    return text


# When reconciliation asks LiqPay about a payment it has not heard of: every minute at
# first (a lost callback is made good in minutes), then less often, so abandoned checkouts
# (most pending payments) cost 60 questions in their 24 hours, not 1,440.
ASK_EVERY_MINUTE_UNTIL = 15  # minutes of age
ASK_EVERY_TEN_UNTIL = 120


def status_due(age_minutes):
    """Whether a payment pending for `age_minutes` whole minutes (at least 2) is asked
    about in this minute's run."""
    if age_minutes < ASK_EVERY_MINUTE_UNTIL:
        return True
    if age_minutes < ASK_EVERY_TEN_UNTIL:
        return age_minutes % 10 == 0
    return age_minutes % 60 == 0
