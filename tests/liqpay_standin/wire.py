"""The wire of the LiqPay stand-in: LiqPay's signature and JSON, serving a WSGI app on a
loopback port, posting forms, and a merchant's callback inbox for the stand-in's own tests."""
import base64
import hashlib
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ERRORS = {  # err_code -> err_description, from https://liqpay.ua/en/doc/api/errors
    "decline": "The transaction is defined as atypical/risky according to the Anti-Fraud "
               "system of the Bank",
    "limit": "The limit for the amount or number of customer payments has been exceeded",
    "invalid_signature": "Wrong payment signature",
    "public_key_not_found": "Public_key is not found",
    "payment_not_found": "Payment is not found",
    "err_no_card_token": "User has no card with such token",
    "order_id_empty": "Order_id is empty",
}


def sign(private_key, data):
    """LiqPay's signature: base64(sha1(private_key + data + private_key))."""
    digest = hashlib.sha1((private_key + data + private_key).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")


def to_json(fields):
    """A flat JSON object whose Decimal amounts are written as JSON numbers, as LiqPay
    writes them (100.5, 100), exactly."""
    def value(item):
        if isinstance(item, Decimal):
            return format(item.normalize(), "f")
        return json.dumps(item, ensure_ascii=False)
    return "{" + ",".join(f"{json.dumps(k)}:{value(v)}" for k, v in fields.items()) + "}"


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@contextmanager
def serve(app, on_stop=None):
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    # A short poll so that stopping takes milliseconds, not half a second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        if on_stop:
            on_stop()
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class Visit:
    """What a browser got back from one POST: the status, the redirect, the page."""
    status: int
    location: str | None
    html: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_browser = urllib.request.build_opener(_NoRedirects)


def post(url, fields, timeout=30.0):
    """POST a form, as a browser or LiqPay's callback does, without following a redirect
    -> Visit."""
    body = urllib.parse.urlencode(fields).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        answer = _browser.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        answer = error
    with answer:
        return Visit(answer.status, answer.headers.get("Location"),
                     answer.read().decode("utf-8", "replace"))


def amount(value):
    """A request's amount -> a positive Decimal with at most two decimals, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        return None
    try:
        amount = Decimal(value)
        if not amount.is_finite() or not 0 < amount < 10**10 \
                or amount != amount.quantize(Decimal("0.01")):
            return None
    except InvalidOperation:
        return None
    return amount


def refusal(err_code):
    return {"result": "error", "status": "error", "err_code": err_code,
            "err_description": ERRORS.get(err_code, err_code)}


def page(title, body, status=200):
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>'
            f'{body}</main></body></html>')
    return Response(html, status=status, content_type="text/html; charset=utf-8")


class MerchantInbox:
    """A merchant's callback address for the stand-in's own tests: keeps every POST's
    `data` and `signature` and answers `answer` (200). With `meet=n`, each request waits
    (30 s at most) until n requests are in at once, or answers 500: proof of a burst."""

    def __init__(self, answer=200, meet=None):
        self.answer = answer
        self.received = []
        self._meeting = threading.Barrier(meet) if meet else None
        self._lock = threading.Lock()
        self.url = None

    @Request.application
    def wsgi(self, request):
        if request.method != "POST":  # the payer's browser back at result_url
            return Response("Payment result page", status=200)
        with self._lock:
            self.received.append((request.form.get("data"), request.form.get("signature")))
        if self._meeting is not None:
            try:
                self._meeting.wait(timeout=30)
            except threading.BrokenBarrierError:
                return Response("not at once", status=500)
        return Response("ok", status=self.answer)

    @contextmanager
    def serving(self):
        with serve(self.wsgi) as url:
            self.url = url + "/payments/liqpay/callback"
            yield self
