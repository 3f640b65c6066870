"""Autopay with a saved card: the 'save this card' box, the token kept encrypted, the rules
of /settings/autopay, the trigger on debits and usage imports, `flask autopay` charging
with LiqPay's `paytoken` (and the demo acquirer's), the SMS, the pause after three
failures, the caps, removing the card, and a token replayed for another cabinet. Every
money path runs on SQLite and PostgreSQL; duplicates are tried in thread races."""
import io

import pytest

import models
from portal.core import money_events
from portal.topup import cards
from tests.helpers import (
    CARD,
    PASSWORD,
    burst,
    field_error,
    kyiv,
    last_code,
    page,
    payment_key,
    sms_to,
)
from tests.liqpay_portal import balance, params_of, payment, run, start
from tests.liqpay_standin import APPROVED_CARD

NUMBER = "+380671234567"


@pytest.fixture
def client(portal):
    return portal.test_client()


@pytest.fixture
def saved(portal, client, signed_in, liqpay_standin):
    """The subscriber (100 UAH) paid 100 UAH to their own number with 'save this card'."""
    _, fields, order_id = start(client, target="0671234567", amount="100", save_card="y")
    assert params_of(fields)["recurringbytoken"] == "1"
    liqpay_standin.pay(fields, APPROVED_CARD)
    assert balance(portal, NUMBER) == 20000
    return liqpay_standin.payment(order_id).card_token


def debit(app, amount, number=NUMBER):
    """A service fee of `amount` kopiyky, as any debit moves money (a money event)."""
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        with models.locking_transaction():
            subscription = models.Subscription.locked(
                models.Subscription.by_number(number).id)
            money_events.debited(subscription, amount, money_events.Cause(
                "service_fee", "service", "Test fee"), app.config["CLOCK"].now(),
                f"test:{amount}")


def set_rule(client, **fields):
    return client.post("/settings/autopay", data={"number": "0671234567", **fields})


def attempts(app, state=None):
    with app.app_context():
        query = models.Payment.select().where(models.Payment.autopay_rule.is_null(False))
        return [p.state for p in query if state in (None, p.state)]


# --- The saved card ---------------------------------------------------------------------------

def test_a_saved_card_keeps_only_the_encrypted_token_and_the_mask(portal, saved):
    with portal.app_context():
        card = models.SavedCard.get()
        assert card.mask == "424242*42" and card.provider == "liqpay"
        assert saved not in card.token and cards.decrypt(card.token) == saved
        assert card.token_digest == cards.digest(saved)
        assert models.AuditEvent.select().where(models.AuditEvent.details.contains(saved)
                                                ).count() == 0


def test_the_settings_page_shows_the_card(client, saved):
    html = page(client.get("/settings/autopay"))
    assert "424242*42" in html and saved not in html


def test_only_a_number_of_ones_own_cabinet_can_save_a_card(portal, client, signed_in, factory):
    factory.subscriber(number="+380971234567", name="Чужий")
    response = client.post("/topup", data={"target": "0971234567", "amount": "100",
                                           "save_card": "y"})
    assert response.status_code == 422
    assert "own cabinet" in field_error(page(response), "save_card")
    signed_out = portal.test_client()
    assert 'name="save_card"' not in page(signed_out.get("/topup"))
    response = signed_out.post("/topup", data={"target": "0671234567", "amount": "100",
                                               "save_card": "y"})
    assert response.status_code == 422
    with portal.app_context():
        assert models.Payment.select().count() == 0


def test_a_card_token_replayed_for_another_cabinet_is_refused(portal, saved, factory,
                                                              liqpay_standin):
    factory.subscriber(number="+380971234567", name="Інший")
    other = portal.test_client()
    assert other.post("/login", data={"login": "0971234567", "password": PASSWORD}
                      ).status_code == 303
    _, fields, order_id = start(other, target="0971234567", amount="100", save_card="y")
    liqpay_standin.lose_callbacks(order_id)
    liqpay_standin.pay(fields, APPROVED_CARD)
    liqpay_standin.stop_losing()
    assert liqpay_standin.notify(order_id, card_token=saved).http_status == 200
    assert balance(portal, "+380971234567") == 20000  # the payment itself is paid
    with portal.app_context():
        assert [c.subscription.number for c in models.SavedCard.select()] == [NUMBER]
        assert models.AuditEvent.select().where(
            models.AuditEvent.event == "card_token_replayed").count() == 1


def test_removing_the_card_drops_the_token_and_stops_the_rules(portal, client, saved):
    set_rule(client, threshold="50", amount="100")
    response = set_rule(client, action="remove-card")
    assert response.status_code == 303
    with portal.app_context():
        assert models.SavedCard.select().count() == 0
        assert models.AutopayRule.select().count() == 0
    debit(portal, 6000)
    assert attempts(portal) == []


# --- The rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("fields,field,message", [
    ({"threshold": "50", "amount": ""}, "threshold-amount", "Type an amount"),
    ({"threshold": "abc", "amount": "100"}, "threshold", "Type an amount"),
    ({"threshold": "50", "amount": "0.50"}, "threshold-amount", "At least"),
    ({"threshold": "50", "amount": "3000.01"}, "threshold-amount", "At most"),
    ({"threshold": "5000.01", "amount": "100"}, "threshold", "At most"),
    ({"threshold": "9" * 30, "amount": "100"}, "threshold", "Type an amount"),
    ({"day": "29", "amount": "100"}, "day", "1 to 28"),
    ({"day": "0", "amount": "100"}, "day", "1 to 28"),
    ({"day": "x\u0661", "amount": "100"}, "day", "1 to 28"),
    ({"day": "1" * 40, "amount": "100"}, "day", "1 to 28"),
])
def test_bad_rules_are_refused_next_to_the_field(portal, client, saved, fields, field,
                                                 message):
    response = set_rule(client, **fields)
    assert response.status_code == 422
    assert message in field_error(page(response), field)
    with portal.app_context():
        assert models.AutopayRule.select().count() == 0


def test_a_rule_needs_a_saved_card(portal, client, signed_in):
    response = set_rule(client, threshold="50", amount="100")
    assert response.status_code == 409 and "Save a card first" in page(response)


def test_another_cabinets_number_is_404(client, saved, factory):
    factory.subscriber(number="+380971234567", name="Чужий")
    assert client.post("/settings/autopay", data={
        "number": "0971234567", "threshold": "50", "amount": "100"}).status_code == 404


# --- Threshold rule ---------------------------------------------------------------------------

def test_a_debit_below_the_threshold_tops_up_with_the_saved_card(portal, client, saved,
                                                                 liqpay_standin):
    assert set_rule(client, threshold="50", amount="100").status_code == 303
    debit(portal, 3000)
    assert attempts(portal) == []  # 170 UAH: above 50
    debit(portal, 13000)  # 40 UAH: below
    assert attempts(portal) == ["queued"]
    debit(portal, 100)  # still below: one attempt at a time
    assert attempts(portal) == ["queued"]
    assert "succeeded 1" in run(portal, "autopay")
    assert balance(portal, NUMBER) == 3900 + 10000
    assert [call[0] for call in liqpay_standin.api_calls] == ["paytoken"]
    assert "Автопоповнення" in sms_to(portal, NUMBER)[0]  # the cabinet's language
    assert "succeeded" not in run(portal, "autopay")  # nothing more to charge


def test_three_failures_in_a_row_pause_the_rule(portal, client, saved, liqpay_standin):
    set_rule(client, threshold="50", amount="100")
    for attempt in range(3):
        liqpay_standin.next_paytoken("failure", "limit")
        debit(portal, 16000 if attempt == 0 else 100)
        assert "failed 1" in run(portal, "autopay")
        assert "не вдалося" in sms_to(portal, NUMBER)[0]
    assert "призупинено" in sms_to(portal, NUMBER)[0]
    with portal.app_context():
        assert models.AutopayRule.get().paused
    debit(portal, 100)
    assert attempts(portal, "queued") == []
    assert "Paused after 3 failures" in page(client.get("/settings/autopay"))
    set_rule(client, threshold="50", amount="100")  # saved again: on again
    debit(portal, 100)
    assert attempts(portal, "queued") == ["queued"]


def test_the_monthly_caps_hold(portal, client, saved):
    portal.config["AUTOPAY_MONTHLY_COUNT"] = 2
    set_rule(client, threshold="150", amount="100")
    for _ in range(3):
        debit(portal, 20000)
        run(portal, "autopay")
    assert attempts(portal) == ["succeeded", "succeeded"]


def test_a_timed_out_paytoken_is_asked_again_never_charged_twice(portal, client, saved, clock,
                                                                 liqpay_standin):
    portal.extensions["payment_provider"].client.timeout = 0.5
    set_rule(client, threshold="50", amount="100")
    debit(portal, 16000)
    liqpay_standin.spoil_answers("timeout")
    assert "pending 1" in run(portal, "autopay")
    assert balance(portal, NUMBER) == 4000
    liqpay_standin.release_held()  # LiqPay did charge, after the portal stopped waiting
    liqpay_standin.wait_for(lambda standin: standin.api_calls)
    clock.advance(minutes=3)
    assert "succeeded 1" in run(portal, "reconcile-payments")
    assert balance(portal, NUMBER) == 14000
    assert [c[0] for c in liqpay_standin.api_calls] == ["paytoken", "status"]


def test_a_usage_import_below_the_threshold_enqueues_an_attempt(portal, client, saved):
    from portal.feeds.service import import_usage
    set_rule(client, threshold="50", amount="100")
    feed = ("number,started_at,type,counterpart,quantity,amount\n"
            f"{NUMBER},2026-11-25T09:00:00,internet,,1024,160.00\n")
    with portal.app_context():
        models.db.connect(reuse_if_open=True)
        import_usage(io.StringIO(feed), portal.config["CLOCK"].now())
    assert attempts(portal) == ["queued"]


def test_debits_at_once_enqueue_one_attempt(portal, client, saved):
    set_rule(client, threshold="50", amount="100")
    debit(portal, 15000)  # 50 UAH left: at the threshold, not below
    burst(4, lambda index: debit(portal, 100 + index))
    assert attempts(portal) == ["queued"]


def test_two_autopay_runs_at_once_charge_once(portal, client, saved, liqpay_standin):
    set_rule(client, threshold="50", amount="100")
    debit(portal, 16000)
    burst(2, lambda index: run(portal, "autopay"))
    assert [c[0] for c in liqpay_standin.api_calls] == ["paytoken"]
    assert balance(portal, NUMBER) == 14000


# --- Monthly rule -----------------------------------------------------------------------------

def test_a_monthly_rule_tops_up_on_its_day_once(portal, client, saved, clock):
    assert set_rule(client, day="26", amount="50").status_code == 303
    assert "monthly due 0" in run(portal, "autopay")
    clock.set(kyiv(2026, 11, 26, 6, 0))
    assert "monthly due 1" in run(portal, "autopay")
    assert balance(portal, NUMBER) == 25000
    assert "monthly due 0" in run(portal, "autopay")
    clock.set(kyiv(2026, 12, 26, 6, 0))
    assert "monthly due 1" in run(portal, "autopay")
    assert balance(portal, NUMBER) == 30000


# --- The demo acquirer ------------------------------------------------------------------------

def demo_save(app, client, card="4111 1111 1111 1111"):
    response = client.post("/topup", data={"target": "0671234567", "amount": "100", **CARD,
                                           "card_number": card, "save_card": "y"})
    key = payment_key(response)
    client.post(f"/topup/{key}/confirm", data={"code": last_code(app, NUMBER)})
    return key


@pytest.mark.parametrize("card,outcome", [("4111 1111 1111 1111", "succeeded"),
                                          ("4000 0000 0000 0341", "failed")])
def test_the_demo_acquirer_saves_a_card_and_charges_it(app, factory, card, outcome):
    factory.subscriber()
    demo = app.test_client()
    demo.post("/login", data={"login": "0671234567", "password": PASSWORD})
    demo_save(app, demo, card)
    with app.app_context():
        assert models.SavedCard.get().provider == "demo"
    demo.post("/settings/autopay", data={"number": "0671234567", "threshold": "50",
                                         "amount": "100"})
    debit(app, 16000)
    assert f"{outcome} 1" in run(app, "autopay")
    assert balance(app, NUMBER) == (14000 if outcome == "succeeded" else 4000)


def test_a_stuck_demo_capture_is_reconciled(app, factory, clock):
    factory.subscriber()
    demo = app.test_client()
    demo.post("/login", data={"login": "0671234567", "password": PASSWORD})
    key = demo_save(app, demo)
    with app.app_context():  # as if the capture had broken off half way
        models.Payment.update(state="capturing").where(models.Payment.key == key).execute()
        models.LedgerEntry.delete().execute()
        models.UsageRecord.delete().execute()
        models.UsageDay.delete().execute()
        models.Subscription.update(balance=10000).execute()
    clock.advance(minutes=1)
    assert "succeeded" not in run(app, "reconcile-payments")
    clock.advance(minutes=2)
    assert "succeeded 1" in run(app, "reconcile-payments")
    assert balance(app, NUMBER) == 20000
    assert payment(app, key).state == "succeeded"
