"""The LiqPay top-up in Chromium, JavaScript on and off: /topup answers the checkout form
(it submits itself with JavaScript; without, its button), the payer types a test card on
the LiqPay stand-in's page, the stand-in's signed callback reaches the portal over HTTP, and
the browser lands on the result page, which says paid. The portal's Content-Security-Policy
stays in force: a refused form action or script fails the test."""
import threading

import pytest
from werkzeug.serving import make_server

import models
from portal import create_app
from tests.browser.phone import PHONE
from tests.liqpay_portal import liqpay_config
from tests.liqpay_standin import APPROVED_CARD, DECLINED_CARD


@pytest.fixture
def liqpay_url(app, liqpay_standin):
    """The portal with LiqPay as its provider, served on a loopback port; its public address
    is that port, so the stand-in's callbacks come over HTTP as LiqPay's would."""
    node = create_app(liqpay_config(app, liqpay_standin))
    server = make_server("127.0.0.1", 0, node, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    node.extensions["payment_provider"].public_url = url
    yield url
    server.shutdown()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("card,shown", [(APPROVED_CARD, "paid"), (DECLINED_CARD, "failed")])
def test_a_signed_out_payer_tops_up_through_liqpays_page(browser, app, factory, liqpay_url,
                                                         liqpay_standin, javascript, card,
                                                         shown):
    factory.subscriber(number="+380971234567", name="Отримувач", balance=1000)
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE,
                                  locale="uk-UA")
    context.set_default_timeout(15_000)
    problems = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: problems.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(f"{liqpay_url}/topup")
        assert page.locator("input[name=card_number]").count() == 0
        page.get_by_label("Номер або рахунок Домашнього інтернету, який поповнити").fill(
            "0971234567")
        page.get_by_label("Або інша сума, грн").fill("150")
        page.get_by_role("button", name="Далі").click()
        if not javascript:
            page.get_by_role("button", name="Оплатити карткою в LiqPay").click()
        page.get_by_label("Card number").fill(card)
        page.get_by_label("Expiry (MM/YY)").fill("12/30")
        page.get_by_label("CVV").fill("123")
        page.get_by_role("button", name="Pay").click()
        page.wait_for_url(f"{liqpay_url}/topup/result/*")
        assert page.locator("#payment-state").get_attribute("value") == shown
    finally:
        context.close()
    assert not problems, problems
    with app.app_context():
        paid = models.Subscription.by_number("+380971234567").balance
    assert paid == (1000 + 15000 if shown == "paid" else 1000)
