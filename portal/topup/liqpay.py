"""LiqPay (API version 3) as the portal speaks it: the checkout form, the callback, and the
server-to-server API (`status`, `paytoken`). No Flask and no database here: the top-up's
views and jobs call it (docs/payments.md).

The protocol, from LiqPay's public documentation (read December 2026):
- Every message is two form fields: `data`, base64 of a JSON object, and `signature`,
  base64(sha1(private_key + data + private_key)) ("Rules for the formation of a request",
  https://www.liqpay.ua/documentation/en/data_signature; its worked example is a test).
  The signature covers `data` exactly as sent.
- The hosted checkout: the payer's browser POSTs `data` and `signature` to
  `{URL}/api/3/checkout` (same page, "Client-Server").
- The callback: "After changing the status of the payment, if server_url was specified,
  a POST request with two parameters data and signature is sent" to it, signed the same
  way; the merchant compares the signature it computes with the one received before it
  acts on the status (https://www.liqpay.ua/en/doc/callback).
- The server-to-server API: `POST {URL}/api/request` with `data` and `signature`
  ("Server-Server"; action "status":
  https://www.liqpay.ua/documentation/en/api/information/status/doc, action "paytoken":
  https://www.liqpay.ua/documentation/en/api/aquiring/paytoken/doc).
  Its answer is documented as a plain JSON object ("REQ is json response from liqpay");
  refusals look like {"status": "error", "err_code": "…", "err_description": "…"}
  (https://liqpay.ua/en/doc/api/errors). An answer that comes signed, as
  {"data": …, "signature": …}, is verified like a callback, and a badly signed one is
  always refused; `require_signed_answers=True` refuses unsigned answers too.

The official Python SDK (liqpay/sdk-python) sends `data` to /api/request as raw JSON; the
documentation and the PHP SDK send base64, as this module does.
"""
import base64
import binascii
import hashlib
import hmac
import http.client
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal

from rules import liqpay as rules
from rules.amounts import AmountError

DEFAULT_URL = "https://www.liqpay.ua"
VERSION = 3
CURRENCY = "UAH"
# A callback's `data` is a couple of kilobytes; nothing LiqPay sends comes near these.
# Checked before anything is decoded, so a huge field costs nothing.
MAX_DATA_CHARS = 32 * 1024
MAX_ANSWER_BYTES = 64 * 1024
# base64 of a 20-byte SHA-1 digest.
SIGNATURE_CHARS = 28
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
# "order_id: Unique purchase ID in your shop. Maximum length is 255 symbols."
MAX_ORDER_ID = 255
_ORDER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")
# What a message about one payment must carry before the portal reads its status.
REQUIRED_FIELDS = ("public_key", "order_id", "status", "amount", "currency")


# --- What the callback answers 400 to -----------------------------------------------------

class Refused(ValueError):
    """A message that is not a genuine, well-formed LiqPay message about one of our
    payments. The callback answers 400 and writes nothing but an audit line with `code`."""

    code = "refused"

    def __init__(self, detail=""):
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = detail


class Missing(Refused):
    """`data` or `signature` is absent or not text."""
    code = "missing"


class TooLarge(Refused):
    """`data` is longer than MAX_DATA_CHARS (checked before anything is decoded)."""
    code = "too_large"


class NotBase64(Refused):
    """`data` is not standard base64 (or `signature` is not a base64 SHA-1)."""
    code = "not_base64"


class BadSignature(Refused):
    """The signature is not ours over this `data`: forged, another key, other data."""
    code = "bad_signature"


class NotJsonObject(Refused):
    """The signed `data` does not decode to UTF-8 JSON whose top level is an object."""
    code = "not_json_object"


class MissingField(Refused):
    """A field the portal needs is absent (`field` names it)."""
    code = "missing_field"

    def __init__(self, name):
        super().__init__(name)
        self.field = name


class BadField(Refused):
    """A field has a value the portal cannot take (`field` names it): an amount with a
    fraction of a kopiyka, a status that is not text…"""
    code = "bad_field"

    def __init__(self, name):
        super().__init__(name)
        self.field = name


class ForeignMerchant(Refused):
    """Signed with our key but for another merchant's public key."""
    code = "public_key"


class UnknownOrder(Refused):
    """No payment of ours has this order id (raised by the caller, who looks it up)."""
    code = "unknown_order"


class AmountMismatch(Refused):
    """The message's amount is not the order's, to the kopiyka."""
    code = "amount"


class CurrencyMismatch(Refused):
    """The message's currency is not the order's."""
    code = "currency"


# --- What a server-to-server call can end in -----------------------------------------------

class ApiError(Exception):
    """A call to LiqPay's API told us nothing about the payment. After `paytoken`, a
    timeout, an unreachable host or a 5xx may still hide a charge: keep the attempt
    pending and ask `status(order_id)` later, never charge again with a new order id."""

    code = "api"


class ApiTimeout(ApiError):
    """No whole answer within the timeout."""
    code = "timeout"


class ApiUnreachable(ApiError):
    """The connection failed (refused, reset, name not found)."""
    code = "unreachable"


class ApiHttpStatus(ApiError):
    """The answer's HTTP status is not 200 (redirects are not followed)."""
    code = "http_status"

    def __init__(self, status):
        super().__init__(f"HTTP {status}")
        self.status = status


class BadAnswer(ApiError):
    """The answer is not one to trust: `reason` is too_large, not_json, unsigned,
    bad_signature (and the other Refused codes), another_order or public_key."""
    code = "bad_answer"

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class ApiRefused(ApiError):
    """LiqPay answered that it did not do what was asked (`err_code`, `err_description`):
    e.g. invalid_signature or public_key_not_found (our keys), err_no_card_token."""
    code = "refused_by_liqpay"

    def __init__(self, err_code, err_description=""):
        super().__init__(f"{err_code}: {err_description}")
        self.err_code = err_code
        self.err_description = err_description


class OrderNotFound(ApiRefused):
    """`status` of an order LiqPay does not know ("payment_not_found"): the payer never
    reached the card page, or it is not ours."""


# --- Values ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signed:
    """A message on the wire: the two form fields LiqPay exchanges."""
    data: str
    signature: str

    def fields(self):
        return {"data": self.data, "signature": self.signature}


@dataclass(frozen=True)
class Checkout:
    """The hosted checkout: a page POSTs `fields()` to `url` (two hidden inputs)."""
    url: str
    data: str
    signature: str
    params: dict = field(repr=False)

    def fields(self):
        return {"data": self.data, "signature": self.signature}


@dataclass(frozen=True)
class Notice:
    """What LiqPay says about one payment: a callback, or an answer of `status` or
    `paytoken`. `outcome` is the portal's meaning of `status` (rules.liqpay: PAID, FAILED,
    REVERSED, PENDING); `kopiyky` the amount, exact. `card_token` (only after a payment
    made with `save_card`) is a credential: keep it encrypted, never log it (nor
    `fields`, everything LiqPay sent; `summary()` is the loggable form)."""
    order_id: str
    status: str
    outcome: str
    kopiyky: int
    currency: str
    public_key: str
    payment_id: str | None = None
    err_code: str | None = None
    err_description: str | None = None
    card_mask: str | None = None
    card_token: str | None = field(default=None, repr=False)
    fields: dict = field(default_factory=dict, repr=False, compare=False)

    def summary(self):
        """The notice for an audit line or a log: never the card token."""
        return (f"order={self.order_id} status={self.status} outcome={self.outcome} "
                f"amount={self.kopiyky} {self.currency} payment_id={self.payment_id} "
                f"err_code={self.err_code} card={self.card_mask}")

    def require_order(self, kopiyky, currency=CURRENCY):
        """Refuse (AmountMismatch, CurrencyMismatch) unless this is exactly the order's
        amount and currency: call it before acting on any status."""
        if self.currency != currency:
            raise CurrencyMismatch(self.currency)
        if self.kopiyky != kopiyky:
            raise AmountMismatch(f"{self.kopiyky} != {kopiyky}")


def new_order_id():
    """An opaque order id for a new payment (unguessable, safe in a URL path)."""
    return "p" + secrets.token_hex(15)  # 31 characters: it is the payment's key


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The API never redirects: a 3xx is an error, not a second request elsewhere."""

    def redirect_request(self, *args, **kwargs):
        return None


class LiqPay:
    """One merchant's LiqPay: its keys and the API's base address.

        liqpay = LiqPay(public_key, private_key, url="https://www.liqpay.ua")
        checkout = liqpay.checkout(order_id=..., kopiyky=12050, ...)   # the /topup page
        notice = liqpay.callback(form["data"], form["signature"])       # the callback
        notice = liqpay.status(order_id)                                # reconcile-payments
        notice = liqpay.paytoken(order_id=..., kopiyky=..., ...)        # autopay

    `sandbox` marks checkouts as LiqPay test payments and lets their "sandbox" status count
    as paid (for an operator trying the merchant account; never in production).
    `timeout` bounds each API call (connect, and each read), in seconds.
    """

    def __init__(self, public_key, private_key, url=DEFAULT_URL, *, timeout=10.0,
                 sandbox=False, require_signed_answers=False, opener=None):
        if not public_key or not private_key:
            raise ValueError("LiqPay needs both the public and the private key")
        self.public_key = public_key
        self._private_key = private_key
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.sandbox = sandbox
        self.require_signed_answers = require_signed_answers
        self._opener = opener or urllib.request.build_opener(_NoRedirects)

    def __repr__(self):
        return f"LiqPay({self.public_key!r}, url={self.url!r})"  # never the private key

    @property
    def checkout_url(self):
        return self.url + "/api/3/checkout"

    @property
    def api_url(self):
        return self.url + "/api/request"

    # --- The signature scheme -------------------------------------------------------------

    def signature(self, data):
        """base64(sha1(private_key + data + private_key)), over `data` as sent."""
        joined = (self._private_key + data + self._private_key).encode("utf-8")
        return base64.b64encode(hashlib.sha1(joined).digest()).decode("ascii")

    def encode(self, params):
        """A JSON object -> Signed(data, signature). Amounts go in as text ('120.50')."""
        text = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        return Signed(data, self.signature(data))

    def decode(self, data, signature):
        """Check and open a message LiqPay signed: the JSON object in `data`.

        In this order, each with its own exception (all Refused): both present as text
        (Missing); `data` at most MAX_DATA_CHARS (TooLarge); `data` standard base64
        (NotBase64); the signature, shaped like a base64 SHA-1 and compared in constant
        time (BadSignature); UTF-8 JSON whose top level is an object, with numbers read as
        Decimal and no NaN or Infinity (NotJsonObject).
        """
        if not isinstance(data, str) or not isinstance(signature, str) or not data:
            raise Missing("data and signature")
        if len(data) > MAX_DATA_CHARS:
            raise TooLarge(f"{len(data)} characters")
        if not _BASE64.match(data):
            raise NotBase64("data")
        if len(signature) != SIGNATURE_CHARS or not _BASE64.match(signature):
            raise BadSignature("not a base64 SHA-1")
        if not hmac.compare_digest(self.signature(data).encode("ascii"),
                                   signature.encode("ascii")):
            raise BadSignature()
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise NotJsonObject("not UTF-8") from None
        return _json_object(text, NotJsonObject)

    # --- The hosted checkout ----------------------------------------------------------------

    def checkout(self, *, order_id, kopiyky, description, language, result_url, server_url,
                 save_card=False):
        """The checkout form of one payment: POST `fields()` to `url` from the payer's
        browser. `language` is the page's locale (LiqPay gets uk or en); `save_card` asks
        LiqPay for a card token (`recurringbytoken` "1") for later `paytoken` charges.
        Raises AmountError for anything but a positive whole number of kopiyky."""
        params = {
            "version": VERSION,
            "public_key": self.public_key,
            "action": "pay",
            "amount": rules.amount_text(kopiyky),
            "currency": CURRENCY,
            "description": _text(description, "description"),
            "order_id": _order_id(order_id),
            "language": rules.checkout_language(language),
            "result_url": _text(result_url, "result_url"),
            "server_url": _text(server_url, "server_url"),
        }
        if save_card:
            params["recurringbytoken"] = "1"
        if self.sandbox:
            params["sandbox"] = "1"
        signed = self.encode(params)
        return Checkout(self.checkout_url, signed.data, signed.signature, params)

    # --- The callback -----------------------------------------------------------------------

    def callback(self, data, signature):
        """The callback's `data` and `signature` -> Notice, or Refused (answer 400).

        Checks everything that needs no database: the signature (decode), the fields the
        portal needs, our public key, an exact amount. The caller then finds the order
        (UnknownOrder if none), calls `notice.require_order(order.kopiyky)`, and applies
        `notice.outcome` once, under the payment's row lock."""
        return self._notice(self.decode(data, signature))

    def _notice(self, fields):
        for name in REQUIRED_FIELDS:
            if fields.get(name) is None:
                raise MissingField(name)
        for name in ("public_key", "order_id", "status", "currency"):
            if not isinstance(fields[name], str) or not fields[name]:
                raise BadField(name)
        if len(fields["order_id"]) > MAX_ORDER_ID:
            raise BadField("order_id")
        if fields["public_key"] != self.public_key:
            raise ForeignMerchant(fields["public_key"][:80])
        try:
            kopiyky = rules.to_kopiyky(fields["amount"])
        except AmountError:
            raise BadField("amount") from None
        token = fields.get("card_token")
        if token is not None and (not isinstance(token, str) or not 0 < len(token) <= 255):
            raise BadField("card_token")
        return Notice(
            order_id=fields["order_id"], status=fields["status"],
            outcome=rules.outcome(fields["status"], sandbox=self.sandbox),
            kopiyky=kopiyky, currency=fields["currency"], public_key=fields["public_key"],
            payment_id=_optional_text(fields.get("payment_id")),
            err_code=_optional_text(fields.get("err_code")),
            err_description=_optional_text(fields.get("err_description")),
            card_mask=rules.safe_card_mask(fields.get("sender_card_mask2")),
            card_token=token or None, fields=fields)

    # --- The server-to-server API ------------------------------------------------------------

    def status(self, order_id):
        """`status` of one payment -> Notice. OrderNotFound when LiqPay does not know the
        order; other ApiErrors when the answer tells nothing (try again later)."""
        answer = self.request({"action": "status", "version": VERSION,
                               "public_key": self.public_key,
                               "order_id": _order_id(order_id)})
        return self._about(order_id, answer)

    def paytoken(self, *, order_id, kopiyky, description, card_token):
        """Charge a saved card (its `card_token`) -> Notice. A decline is a Notice whose
        outcome is FAILED (with `err_code`), not an exception; ApiRefused when LiqPay
        would not try (e.g. err_no_card_token). After an ApiTimeout, ApiUnreachable or
        ApiHttpStatus the charge may have happened: ask `status(order_id)` later."""
        answer = self.request({
            "action": "paytoken", "version": VERSION, "public_key": self.public_key,
            "amount": rules.amount_text(kopiyky), "currency": CURRENCY,
            "description": _text(description, "description"),
            "order_id": _order_id(order_id), "card_token": _text(card_token, "card_token")})
        return self._about(order_id, answer)

    def _about(self, order_id, answer):
        """An API answer about `order_id` -> Notice; a refusal -> ApiRefused/OrderNotFound.

        LiqPay refusing the request itself (our keys, an unknown order or token) must not
        read as the payment failing, or a wrong key would close paid payments: an answer
        is about the payment only with its order id and, for "error"/"failure", LiqPay's
        `payment_id` (which a refused request does not have)."""
        if answer.get("order_id") is None or (
                answer.get("status") in ("error", "failure") and answer.get("payment_id") is None):
            err_code = _optional_text(answer.get("err_code")) or "no_order_id"
            description = _optional_text(answer.get("err_description")) or ""
            if err_code == "payment_not_found":
                raise OrderNotFound(err_code, description)
            raise ApiRefused(err_code, description)
        if answer.get("order_id") != order_id:
            raise BadAnswer("another_order", str(answer.get("order_id"))[:80])
        fields = dict(answer)
        fields.setdefault("public_key", self.public_key)  # plain answers may leave it out
        try:
            return self._notice(fields)
        except ForeignMerchant:
            raise BadAnswer("public_key") from None
        except Refused as refused:
            raise BadAnswer(refused.code, refused.detail) from None

    def request(self, params):
        """POST `params`, signed, to {url}/api/request -> the answer's JSON object,
        verified when it comes signed. ApiError for anything else."""
        body = urllib.parse.urlencode(self.encode(params).fields()).encode("ascii")
        http_request = urllib.request.Request(
            self.api_url, data=body, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json"})
        try:
            with self._opener.open(http_request, timeout=self.timeout) as answer:
                status, raw = answer.status, answer.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise ApiHttpStatus(error.code) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise ApiTimeout(str(error.reason)) from None
            raise ApiUnreachable(str(error.reason)) from None
        except TimeoutError as error:  # a read that timed out
            raise ApiTimeout(str(error)) from None
        except (http.client.HTTPException, OSError) as error:
            raise ApiUnreachable(str(error)) from None
        if status != 200:
            raise ApiHttpStatus(status)
        return self._answer(raw)

    def _answer(self, raw):
        if len(raw) > MAX_ANSWER_BYTES:
            raise BadAnswer("too_large")
        try:
            answer = _json_object(raw.decode("utf-8"), NotJsonObject)
        except (UnicodeDecodeError, NotJsonObject):
            raise BadAnswer("not_json") from None
        if "signature" in answer or ("data" in answer and "status" not in answer):
            try:
                return self.decode(answer.get("data"), answer.get("signature"))
            except Refused as refused:
                raise BadAnswer(refused.code, refused.detail) from None
        if self.require_signed_answers:
            raise BadAnswer("unsigned")
        return answer


def _refuse_constant(name):
    raise ValueError(name)


def _json_object(text, error):
    """JSON text -> dict, numbers exact (Decimal), NaN and Infinity refused."""
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise error("not JSON") from None
    if not isinstance(value, dict):
        raise error(f"a JSON {type(value).__name__}, not an object")
    return value


def _optional_text(value):
    """An identifier or code LiqPay may send as a number or text -> text, or None."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value)[:255]


def _text(value, name):
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be non-empty text")
    return value


def _order_id(value):
    if not isinstance(value, str) or not _ORDER_ID.match(value):
        raise ValueError("order_id must be 1 to 255 letters, digits or _.:-")
    return value
