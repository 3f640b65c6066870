"""The LiqPay stand-in's card page in Chromium, driven as the top-up journeys will drive it:
a page POSTs the checkout form, the payer types a test card, the stand-in sends its
callback and sends the browser back to `result_url`. With JavaScript on and off."""
import pytest

from portal.topup import liqpay
from rules import liqpay as rules
from tests.liqpay_standin import (
    APPROVED_CARD,
    SECURE_CARD,
    TEST_PRIVATE_KEY,
    TEST_PUBLIC_KEY,
    MerchantInbox,
)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("card,status", [(APPROVED_CARD, "success"),
                                         (SECURE_CARD, "3ds_verify")])
def test_a_payer_on_the_card_page(browser, liqpay_standin, javascript, card, status):
    merchant = liqpay.LiqPay(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY, liqpay_standin.url)
    with MerchantInbox().serving() as inbox:
        form = merchant.checkout(
            order_id="p-browser-1", kopiyky=12050, description="Поповнення 067 123 45 67",
            language="uk", result_url=f"{inbox.url}/result", server_url=inbox.url)
        context = browser.new_context(java_script_enabled=javascript)
        try:
            page = context.new_page()
            page.set_content(
                f'<form method="post" action="{form.url}">'
                f'<input type="hidden" name="data" value="{form.data}">'
                f'<input type="hidden" name="signature" value="{form.signature}">'
                '<button>Pay by card</button></form>')
            page.get_by_role("button", name="Pay by card").click()
            page.get_by_label("Card number").fill(" ".join([card[i:i + 4]
                                                           for i in range(0, 16, 4)]))
            page.get_by_label("Expiry (MM/YY)").fill("12/30")
            page.get_by_label("CVV").fill("123")
            page.get_by_role("button", name="Pay").click()
            page.wait_for_url(f"{inbox.url}/result")
        finally:
            context.close()
    [notice] = [merchant.callback(*message) for message in inbox.received]
    assert (notice.status, notice.kopiyky) == (status, 12050)
    assert notice.outcome == (rules.PAID if status == "success" else rules.PENDING)
