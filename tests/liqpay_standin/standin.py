"""The LiqPay stand-in itself (the package's docstring says what it does)."""
import base64
import hmac
import itertools
import json
import re
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from werkzeug.wrappers import Request, Response

from . import wire
from .wire import ERRORS, b64, sign, to_json

TEST_PUBLIC_KEY = "sandbox_i00000000042"
TEST_PRIVATE_KEY = "sandbox_stand-in-private-key-0f3b9c2e"
FORGER_PRIVATE_KEY = "sandbox_someone-elses-private-key-77"

# The stand-in's test cards (any expiry, any CVV): number -> (status, err_code).
APPROVED_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
SECURE_CARD = "4000000000003063"   # 3-D Secure: stays "3ds_verify" until `complete`
CARDS = {APPROVED_CARD: ("success", None), DECLINED_CARD: ("failure", "decline"),
         SECURE_CARD: ("3ds_verify", None)}
FORGERIES = ("wrong_key", "other_data", "no_signature", "not_base64", "not_json_object",
             "huge")
ANSWER_FAULTS = ("timeout", "http_500", "not_json", "unsigned", "bad_signature", "huge",
                 "another_order", "redirect")
CURRENCIES = ("UAH", "USD", "EUR")


@dataclass
class Payment:
    """What the stand-in knows of one order."""
    order_id: str
    action: str
    amount: Decimal
    currency: str
    description: str
    server_url: str | None
    result_url: str | None
    language: str | None = None
    recurring: bool = False
    status: str | None = None        # None: the card page was never submitted
    err_code: str | None = None
    payment_id: int | None = None
    card_mask: str | None = None
    card_token: str | None = None
    statuses: list = field(default_factory=list)   # every status it had, in order


@dataclass
class Delivery:
    """One callback the stand-in sent (or lost): what, and what the merchant answered."""
    order_id: str
    status: str
    kind: str               # "genuine", or the forgery's name
    data: str
    signature: str
    lost: bool = False
    http_status: int | None = None
    error: str | None = None


class LiqPayStandIn:
    """LiqPay for the tests. `url` is set while `serving()`; give the portal `url`,
    `public_key` and `private_key` as PORTAL_LIQPAY_URL and the keys.

    `send(url, fields) -> HTTP status` delivers a callback (default: an HTTP POST with
    `callback_timeout`); a test whose portal is a Flask test client passes one that posts
    through it."""

    def __init__(self, public_key=TEST_PUBLIC_KEY, private_key=TEST_PRIVATE_KEY, *,
                 signed_answers=False, send=None, callback_timeout=30.0):
        self.public_key = public_key
        self.private_key = private_key
        self.signed_answers = signed_answers
        self.send = send or (lambda url, fields: wire.post(url, fields, callback_timeout).status)
        self.url = None
        self.payments = {}
        self.deliveries = []
        self.api_calls = []          # (action, err_code or None) of every /api/request
        self._tokens = {}            # card_token -> card mask
        self._sessions = {}          # card page session -> order_id
        self._losing = set()         # order ids whose callbacks are lost; None: all
        self._status_answers = {}    # order_id -> statuses to answer before the real one
        self._answer_faults = []
        self._paytoken_results = []
        self._ids = itertools.count(1000001)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._held = []              # events of API answers held back ("timeout")
        self._stopping = False

    # --- Serving ----------------------------------------------------------------------------

    @contextmanager
    def serving(self):
        with wire.serve(self.wsgi, on_stop=self._stop) as url:
            self.url = url
            yield self

    @property
    def checkout_url(self):
        return self.url + "/api/3/checkout"

    @Request.application
    def wsgi(self, request):
        if request.method != "POST":
            return Response("Method not allowed", status=405)
        if request.path in ("/api/3/checkout", "/api/3/checkout/"):
            return self._checkout(request)
        if request.path == "/api/3/checkout/card":
            return self._card(request)
        if request.path == "/api/request":
            return self._api(request)
        return Response("Not found", status=404)

    # --- Test controls ------------------------------------------------------------------------

    def pay(self, fields, card=APPROVED_CARD, expiry="12/30", cvv="123"):
        """What a payer's browser does with the portal's checkout form, over HTTP: POST
        its `fields` (`data`, `signature`) to the checkout, fill the card page with `card`
        and submit -> the Visit of the submission (303 to `result_url` once decided), or
        of the checkout when it refused the form (400, `data-code` = LiqPay's err_code)."""
        checkout = wire.post(self.checkout_url, fields)
        if checkout.status != 200:
            return checkout
        session = re.search(r'name="session" value="([^"]+)"', checkout.html).group(1)
        return wire.post(self.url + "/api/3/checkout/card", {
            "session": session, "card_number": card, "card_expiry": expiry, "card_cvv": cvv})

    def payment(self, order_id):
        with self._lock:
            return self.payments[order_id]

    def callbacks(self, order_id=None):
        """The callbacks sent (and lost), oldest first; of one order if given."""
        with self._lock:
            return [d for d in self.deliveries if order_id in (None, d.order_id)]

    def wait_for(self, predicate, timeout=10.0):
        """Wait until `predicate(standin)` holds (checked at each change), or fail."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError("the LiqPay stand-in did not get there in time")

    def lose_callbacks(self, order_id=None):
        """From now on, callbacks of `order_id` (of every order if None) are lost."""
        with self._lock:
            if order_id is None:
                self._losing = None
            elif self._losing is not None:
                self._losing.add(order_id)

    def stop_losing(self):
        with self._lock:
            self._losing = set()

    def deliver_lost(self, order_id=None, newest_first=False):
        """Send the lost callbacks now (a late arrival), oldest first, or newest first to
        reorder them -> the deliveries."""
        with self._lock:
            lost = [d for d in self.deliveries
                    if d.lost and d.http_status is None and order_id in (None, d.order_id)]
            if newest_first:
                lost.reverse()
            urls = [self.payments[d.order_id].server_url for d in lost]
        return [self._send(url, delivery) for url, delivery in zip(urls, lost, strict=True)]

    def notify(self, order_id, status=None, /, **changes):
        """Send a signed callback of the payment's state now. With `status`, the payment's
        state becomes it first (a late "success" after "failure", "reversed" after a
        success, the end of a 3-D Secure wait). `changes` alter this one message only
        (amount=Decimal(...), currency=, order_id=, public_key=, any field): the signature
        is still the stand-in's, so the portal must compare what it says."""
        with self._lock:
            payment = self.payments[order_id]
            if status is not None:
                self._set_status(payment, status, _err_for(status))
            fields = {**self._fields(payment), **changes}
        return self._deliver(payment, fields, "genuine")

    def complete(self, order_id, status="success"):
        """The payer finished (e.g. 3-D Secure): the payment becomes `status`, and its
        callback is sent."""
        return self.notify(order_id, status)

    def reverse(self, order_id):
        """LiqPay refunds a paid payment: status "reversed", and its callback."""
        return self.notify(order_id, "reversed")

    def repeat(self, order_id):
        """Send the last callback of the order again, byte for byte."""
        with self._lock:
            last = [d for d in self.deliveries if d.order_id == order_id][-1]
            url = self.payments[order_id].server_url
            again = Delivery(last.order_id, last.status, last.kind, last.data, last.signature)
            self.deliveries.append(again)
        return self._send(url, again)

    def notify_together(self, order_id, copies=2, status=None):
        """The same signed callback `copies` times at once (threads released together)."""
        with self._lock:
            payment = self.payments[order_id]
            if status is not None:
                self._set_status(payment, status, _err_for(status))
            message = self._message(self._fields(payment), self.private_key)
            batch = [Delivery(order_id, payment.status, "genuine", *message)
                     for _ in range(copies)]
            self.deliveries.extend(batch)
        start = threading.Barrier(copies)

        def send(delivery):
            start.wait()
            self._send(payment.server_url, delivery)
        threads = [threading.Thread(target=send, args=(d,)) for d in batch]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return batch

    def forge(self, order_id, how, /, **changes):
        """A callback the merchant must refuse, about this order (its state unchanged):
        wrong_key (signed with another merchant's private key), other_data (a genuine
        signature, of another message), no_signature, not_base64, not_json_object (a
        signed JSON array), huge (a signed `data` of 130 KB)."""
        if how not in FORGERIES:
            raise ValueError(f"forge how? one of {FORGERIES}")
        with self._lock:
            payment = self.payments[order_id]
            fields = {**self._fields(payment), **changes}
        data, signature = self._message(fields, self.private_key)
        if how == "wrong_key":
            signature = sign(FORGER_PRIVATE_KEY, data)
        elif how == "other_data":
            other = {**fields, "description": "another payment's message"}
            signature = self._message(other, self.private_key)[1]
        elif how == "no_signature":
            signature = ""
        elif how == "not_base64":
            data = to_json(fields)  # the JSON itself, unencoded
            signature = sign(self.private_key, data)
        elif how == "not_json_object":
            data = b64(json.dumps([fields["order_id"], fields["status"]]))
            signature = sign(self.private_key, data)
        elif how == "huge":
            data = b64(to_json({**fields, "info": "x" * 100_000}))
            signature = sign(self.private_key, data)
        delivery = Delivery(order_id, fields.get("status"), how, data, signature)
        with self._lock:
            self.deliveries.append(delivery)
        return self._send(payment.server_url, delivery)

    def answer_status(self, order_id, status="processing", times=1):
        """The next `times` `status` requests for the order answer `status`, whatever
        the payment's state."""
        with self._lock:
            self._status_answers.setdefault(order_id, []).extend([status] * times)

    def next_paytoken(self, status="failure", err_code="decline"):
        """The next `paytoken` ends in `status` (with `err_code` unless it succeeds)."""
        with self._lock:
            self._paytoken_results.append((status, None if status == "success" else err_code))

    def spoil_answers(self, *faults):
        """The next API answers, one fault each, in order: timeout (no answer until the
        stand-in stops), http_500, not_json, unsigned (plain JSON even when answers are
        signed), bad_signature, huge (over 64 KB), another_order, redirect."""
        for fault in faults:
            if fault not in ANSWER_FAULTS:
                raise ValueError(f"spoil how? one of {ANSWER_FAULTS}")
        with self._lock:
            self._answer_faults.extend(faults)

    # --- The payment's state ------------------------------------------------------------------

    def release_held(self):
        """Let the API answers held back by a "timeout" fault go on (the request is then
        carried out, as LiqPay may still do after the client has given up)."""
        with self._lock:
            held, self._held = self._held, []
        for event in held:
            event.set()

    def _stop(self):
        with self._lock:
            self._stopping = True
        self.release_held()

    def _set_status(self, payment, status, err_code=None):
        payment.status, payment.err_code = status, err_code
        payment.statuses.append(status)
        if payment.payment_id is None:
            payment.payment_id = next(self._ids)
        if status == "success" and payment.recurring and payment.card_token is None:
            payment.card_token = "T" + secrets.token_hex(12).upper()
            self._tokens[payment.card_token] = payment.card_mask
        self._changed.notify_all()

    def _fields(self, payment):
        """The callback (and `status` answer) of a payment, as LiqPay's callback lists them."""
        fields = {
            "payment_id": payment.payment_id, "action": payment.action,
            "status": payment.status, "version": 3, "type": "buy", "paytype": "card",
            "public_key": self.public_key, "acq_id": 414963, "order_id": payment.order_id,
            "liqpay_order_id": f"STANDIN{payment.payment_id}",
            "description": payment.description, "sender_card_mask2": payment.card_mask,
            "sender_card_bank": "Stand-in Bank", "sender_card_type": "visa",
            "sender_card_country": 804, "ip": "127.0.0.1",
            "amount": payment.amount, "currency": payment.currency,
            "sender_commission": Decimal("0.0"), "receiver_commission": Decimal("0.0"),
            "agent_commission": Decimal("0.0"), "amount_debit": payment.amount,
            "amount_credit": payment.amount, "commission_debit": Decimal("0.0"),
            "commission_credit": Decimal("0.0"), "currency_debit": payment.currency,
            "currency_credit": payment.currency, "transaction_id": payment.payment_id,
        }
        if payment.err_code:
            fields["err_code"] = payment.err_code
            fields["err_description"] = ERRORS.get(payment.err_code, payment.err_code)
        if payment.card_token and payment.status == "success":
            fields["card_token"] = payment.card_token
        return fields

    def _message(self, fields, private_key):
        data = b64(to_json(fields))
        return data, sign(private_key, data)

    def _deliver(self, payment, fields, kind):
        data, signature = self._message(fields, self.private_key)
        delivery = Delivery(payment.order_id, fields.get("status"), kind, data, signature)
        with self._lock:
            self.deliveries.append(delivery)
            lose = self._losing is None or payment.order_id in self._losing
            delivery.lost = lose
            self._changed.notify_all()
        if lose or not payment.server_url:
            return delivery
        return self._send(payment.server_url, delivery)

    def _send(self, url, delivery):
        try:
            status = self.send(url, {"data": delivery.data, "signature": delivery.signature})
        except Exception as error:  # the merchant is down: LiqPay just records it
            status, failure = None, f"{type(error).__name__}: {error}"
        else:
            failure = None
        with self._lock:
            delivery.http_status, delivery.error = status, failure
            self._changed.notify_all()
        return delivery

    # --- The wire ------------------------------------------------------------------------------

    def _open(self, form):
        """A request's `data` and `signature` -> (params, None) or (None, err_code)."""
        data, signature = form.get("data", ""), form.get("signature", "")
        try:
            params = json.loads(base64.b64decode(data, validate=True).decode("utf-8"),
                                parse_float=Decimal)
        except ValueError:
            return None, "invalid_data"
        if not isinstance(params, dict):
            return None, "invalid_data"
        if params.get("public_key") != self.public_key:
            return None, "public_key_not_found"
        if not hmac.compare_digest(sign(self.private_key, data).encode("utf-8"),
                                   signature.encode("utf-8")):
            return None, "invalid_signature"
        if str(params.get("version")) != "3":
            return None, "invalid_data"
        return params, None

    def _checkout(self, request):
        params, err_code = self._open(request.form)
        order_id = (params or {}).get("order_id")
        amount = wire.amount(params.get("amount")) if params else None
        if err_code is None and not (isinstance(order_id, str) and 0 < len(order_id) <= 255):
            err_code = "order_id_empty"
        if err_code is None and (params.get("action") != "pay" or amount is None
                                 or params.get("currency") not in CURRENCIES
                                 or not params.get("description")):
            err_code = "invalid_data"
        if err_code:
            return wire.page("Payment refused", f'<p id="error" data-code="{err_code}">'
                             f'{escape(ERRORS.get(err_code, err_code))}</p>', 400)
        with self._lock:
            payment = self.payments.get(order_id)
            if payment is not None and payment.status is not None:
                return wire.page("Payment refused",
                                 '<p id="error" data-code="order_id_duplicate">'
                                 'This order was already paid for.</p>', 400)
            self.payments[order_id] = Payment(
                order_id, "pay", amount, params["currency"], params["description"],
                params.get("server_url"), params.get("result_url"), params.get("language"),
                recurring=str(params.get("recurringbytoken")) == "1")
            session = secrets.token_urlsafe(16)
            self._sessions[session] = order_id
            self._changed.notify_all()
        return self._card_page(self.payments[order_id], session)

    def _card_page(self, payment, session, error=None, status=200):
        alert = f'<p id="error" role="alert">{escape(error)}</p>' if error else ""
        body = (
            f'<p id="amount">{escape(format(payment.amount, "f"))} {escape(payment.currency)}</p>'
            f'<p id="description">{escape(payment.description)}</p>{alert}'
            '<form method="post" action="/api/3/checkout/card">'
            f'<input type="hidden" name="session" value="{escape(session)}">'
            '<p><label for="card_number">Card number</label> <input id="card_number" '
            'name="card_number" inputmode="numeric" autocomplete="cc-number" required></p>'
            '<p><label for="card_expiry">Expiry (MM/YY)</label> <input id="card_expiry" '
            'name="card_expiry" autocomplete="cc-exp" required></p>'
            '<p><label for="card_cvv">CVV</label> <input id="card_cvv" name="card_cvv" '
            'inputmode="numeric" autocomplete="cc-csc" required></p>'
            '<p><button type="submit">Pay</button></p></form>')
        return wire.page("LiqPay stand-in: pay", body, status)

    def _card(self, request):
        with self._lock:
            order_id = self._sessions.get(request.form.get("session", ""))
            payment = self.payments.get(order_id)
        if payment is None:
            return wire.page("Payment refused", '<p id="error">No such payment.</p>', 400)
        number = "".join(request.form.get("card_number", "").split())
        if number not in CARDS or not request.form.get("card_expiry") \
                or not request.form.get("card_cvv"):
            return self._card_page(payment, request.form["session"],
                                   "Use a test card, with an expiry and a CVV.", 400)
        with self._lock:
            if payment.status is not None:
                return wire.page("Payment refused", '<p id="error">Already decided.</p>', 409)
            status, err_code = CARDS[number]
            payment.card_mask = f"{number[:6]}*{number[-2:]}"
            self._set_status(payment, status, err_code)
            fields = self._fields(payment)
        self._deliver(payment, fields, "genuine")
        if not payment.result_url:
            return wire.page("Payment decided", f'<p id="status">{escape(status)}</p>')
        return Response(status=303, headers={"Location": payment.result_url})

    def _api(self, request):
        with self._lock:
            fault = self._answer_faults.pop(0) if self._answer_faults else None
        if fault == "timeout":
            hold = threading.Event()
            with self._lock:
                self._held.append(hold)
                if self._stopping:
                    hold.set()
            hold.wait(timeout=60)  # the client gives up first; released at the latest at teardown
        params, err_code = self._open(request.form)
        action = params.get("action") if params else None
        if err_code:
            answer = wire.refusal(err_code)
        elif action == "status":
            answer = self._status(params)
        elif action == "paytoken":
            answer = self._paytoken(params)
        else:
            answer = wire.refusal("unknown_action")
        with self._lock:
            self.api_calls.append((action, answer.get("err_code")))
            self._changed.notify_all()
        return self._answer(answer, fault)

    def _status(self, params):
        with self._lock:
            payment = self.payments.get(params.get("order_id"))
            if payment is None or payment.status is None:
                return wire.refusal("payment_not_found")
            answer = {"result": "ok", **self._fields(payment)}
            waiting = self._status_answers.get(payment.order_id)
            if waiting:
                answer["status"] = waiting.pop(0)
                answer.pop("err_code", None)
                answer.pop("err_description", None)
            return answer

    def _paytoken(self, params):
        order_id, token = params.get("order_id"), params.get("card_token")
        amount = wire.amount(params.get("amount"))
        if not isinstance(order_id, str) or not order_id:
            return wire.refusal("order_id_empty")
        if amount is None or params.get("currency") not in CURRENCIES \
                or not params.get("description"):
            return wire.refusal("invalid_data")
        with self._lock:
            if token not in self._tokens:
                return wire.refusal("err_no_card_token")
            payment = self.payments.get(order_id)
            if payment is None:  # a repeated order id charges nothing again
                status, err_code = (self._paytoken_results.pop(0) if self._paytoken_results
                                    else ("success", None))
                payment = Payment(order_id, "paytoken", amount, params["currency"],
                                  params["description"], params.get("server_url"), None,
                                  card_mask=self._tokens[token])
                self.payments[order_id] = payment
                self._set_status(payment, status, err_code)
            fields = self._fields(payment)
        if payment.server_url:
            self._deliver(payment, fields, "genuine")
        return {"result": "ok", **fields}

    def _answer(self, answer, fault):
        if fault == "http_500":
            return Response("Internal Server Error", status=500)
        if fault == "redirect":
            return Response(status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
        if fault == "not_json":
            return Response("<html>Bad gateway</html>", content_type="text/html")
        if fault == "another_order" and "order_id" in answer:
            answer = {**answer, "order_id": answer["order_id"] + "-other"}
        if fault == "huge":
            answer = {**answer, "info": "x" * 70_000}
        text = to_json(answer)
        if (self.signed_answers and fault != "unsigned") or fault == "bad_signature":
            data = b64(text)
            signature = sign(FORGER_PRIVATE_KEY if fault == "bad_signature"
                             else self.private_key, data)
            text = json.dumps({"data": data, "signature": signature})
        return Response(text, content_type="application/json")


def _err_for(status):
    return "decline" if status in ("failure", "error") else None

