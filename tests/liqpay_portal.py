"""The portal with PORTAL_PAYMENT_PROVIDER=liqpay pointed at the LiqPay stand-in, and what a
payer does with it: the tests of the hosted checkout, the callback, reconciliation and
autopay share these."""
import base64
import json
import re
from urllib.parse import urlsplit

import pytest

import models
from portal import create_app
from tests.helpers import BrowserClient, page
from tests.liqpay_standin import APPROVED_CARD

PUBLIC_URL = "https://my.example.ua"
SHARED = ("TESTING", "SECRET_KEY", "DATABASE_URL", "DEMO", "CLOCK", "SMS_GATEWAY",
          "PASSWORD_HASH_PARAMS")


def liqpay_config(app, standin, **more):
    return {**{key: app.config[key] for key in SHARED}, "PAYMENT_PROVIDER": "liqpay",
            "LIQPAY_PUBLIC_KEY": standin.public_key, "LIQPAY_PRIVATE_KEY": standin.private_key,
            "LIQPAY_URL": standin.url, "PUBLIC_URL": PUBLIC_URL, **more}


@pytest.fixture
def portal(app, liqpay_standin):
    """The portal on the test's database with LiqPay as its provider; the stand-in's
    callbacks reach it through a test client of their own (no session, no CSRF token)."""
    node = create_app(liqpay_config(app, liqpay_standin))
    node.test_client_class = BrowserClient

    def deliver(url, fields):
        assert url.startswith(PUBLIC_URL), url
        return node.test_client().post(urlsplit(url).path, data=fields,
                                       csrf=False).status_code
    liqpay_standin.send = deliver
    return node


def checkout_fields(response):
    html = page(response)
    data = re.search(r'name="data" value="([^"]+)"', html).group(1)
    signature = re.search(r'name="signature" value="([^"]+)"', html).group(1)
    return {"data": data, "signature": signature}


def params_of(fields):
    return json.loads(base64.b64decode(fields["data"]))


def start(client, target="0971234567", amount="150.50", **more):
    """POST /topup -> (response, the checkout's fields, its order id)."""
    response = client.post("/topup", data={"target": target, "amount": amount, **more})
    assert response.status_code == 200, page(response)
    fields = checkout_fields(response)
    return response, fields, params_of(fields)["order_id"]


def paid_unheard(client, standin):
    """A top-up started on the portal and paid at the stand-in with an approved card, its
    callback lost: the portal still waits for it (the stand-in loses no later callback).
    Returns its order id."""
    _, fields, order_id = start(client)
    standin.lose_callbacks(order_id)
    standin.pay(fields, APPROVED_CARD)
    standin.stop_losing()
    return order_id


def payment(app, order_id):
    with app.app_context():
        return models.Payment.get(models.Payment.key == order_id)


def balance(app, number):
    with app.app_context():
        return models.Subscription.by_number(number).balance


def ledger_count(app):
    with app.app_context():
        return models.LedgerEntry.select().count()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output
