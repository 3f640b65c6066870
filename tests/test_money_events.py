"""The owner of money events: every move of money on a balance goes through it, and what
follows money in or out runs in one order, whatever moved it."""
import ast
import re
from pathlib import Path

import pytest

import models
from portal.core import money_events
from tests.helpers import confirmed_top_up, connect_service, page, review_key, sms_to

NUMBER = "+380671234567"
FRIEND = "+380681234567"
PORTAL = Path(money_events.__file__).resolve().parents[1]


def balance_posts(path):
    """The lines of `path` that post a balance change to the ledger themselves."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "post" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "LedgerEntry"
            and any(keyword.arg == "balance_change" for keyword in node.keywords)]


def test_only_the_owner_posts_a_balance_change():
    found = {str(path.relative_to(PORTAL)): lines for path in sorted(PORTAL.rglob("*.py"))
             if (lines := balance_posts(path))}
    assert list(found) == [str(Path(money_events.__file__).relative_to(PORTAL))]


@pytest.fixture
def events(monkeypatch):
    """Every money event, as (direction, ledger kind, number, amount), in order."""
    seen = []
    for name in ("credited", "debited"):
        real = getattr(money_events, name)

        def spy(subscription, amount, cause, now, reference, real=real, name=name):
            seen.append((name, cause.kind, subscription.number, amount))
            return real(subscription, amount, cause, now, reference)

        monkeypatch.setattr(money_events, name, spy)
    return seen


@pytest.fixture
def friend(factory):
    return factory.subscriber(number=FRIEND, name="Друг", balance=0)


def test_every_money_path_is_a_money_event(app, client, signed_in, friend, events, db):
    assert confirmed_top_up(app, client, "0671234567", "50", NUMBER).status_code == 303
    review = client.post("/transfer", data={"target": "0681234567", "amount": "30"})
    client.post("/transfer", data={"target": "0681234567", "amount": "30",
                                   "key": review_key(page(review))})
    assert connect_service(client, "ringback").status_code == 303
    models.Tariff.update(switch_fee=500).where(models.Tariff.code == "free-50").execute()
    assert client.post("/tariffs/free-50/switch").status_code == 303
    take = page(client.get("/credit"))
    hidden = dict(re.findall(r'<input type="hidden" name="(number|key)" value="([^"]*)"', take))
    assert client.post("/credit", data={**hidden, "amount": "20"}).status_code == 303
    assert app.test_cli_runner().invoke(args=["settle-credits", "--date", "2026-12-03"]
                                        ).exit_code == 0
    kinds = [(direction, kind) for direction, kind, _number, _amount in events]
    assert kinds == [("credited", "topup"), ("debited", "transfer_out"),
                     ("credited", "transfer_in"), ("debited", "service_fee"),
                     ("debited", "tariff_fee"), ("credited", "credit"),
                     ("debited", "credit_settle")]
    entries = models.LedgerEntry.select().where(models.LedgerEntry.balance_change != 0)
    assert sorted(entry.kind for entry in entries) == sorted(kind for _d, kind in kinds)


def test_money_in_runs_its_follow_ups_in_one_order(app, client, signed_in, friend, clock,
                                                  db):
    """Money received by a number in debt with an open credit and an alert: the credit is
    repaid first, then the block is lifted, the alert is judged on the balance after both
    (still below: the flag stays), and the receipt tells that balance."""
    models.Credit.create(key="k" * 32, subscription=friend, amount=2000, owed=2000,
                         granted_at=clock.now(), last_day=clock.today())
    models.Subscription.update(status="debt_blocked", balance=-1000, alert_threshold=3000,
                               alert_sent=True).where(
        models.Subscription.id == friend.id).execute()
    review = client.post("/transfer", data={"target": "0681234567", "amount": "50"})
    assert client.post("/transfer", data={"target": "0681234567", "amount": "50",
                                          "key": review_key(page(review))}).status_code == 303
    received = list(reversed(sms_to(app, FRIEND)))  # oldest first
    assert len(received) == 3
    assert "кредит" in received[0] and "20,00" in received[0]
    assert "знову працює" in received[1]
    assert "50,00" in received[2] and "20,00\u00a0₴." in received[2]  # the balance after both
    fresh = models.Subscription.get_by_id(friend.id)
    assert (fresh.status, fresh.balance, fresh.alert_sent) == ("active", 2000, True)
    kinds = [entry.kind for entry in models.LedgerEntry.select().where(
        models.LedgerEntry.subscription == friend).order_by(models.LedgerEntry.id)]
    assert kinds == ["transfer_in", "credit_repay", "debt_unblock"]


def test_money_out_alerts_before_its_receipt(app, client, signed_in, friend, db):
    models.Subscription.update(alert_threshold=9000).where(
        models.Subscription.id == signed_in.id).execute()
    review = client.post("/transfer", data={"target": "0681234567", "amount": "20"})
    client.post("/transfer", data={"target": "0681234567", "amount": "20",
                                   "key": review_key(page(review))})
    alert, receipt = reversed(sms_to(app, NUMBER)[:2])
    assert "нижче за ваш поріг" in alert and "Переказ" in receipt


def test_a_money_event_moves_money(app, db, subscriber, clock):
    with pytest.raises(ValueError):
        money_events.debited(subscriber, 0, money_events.Cause("service_fee", "service", "x"),
                             clock.now(), "request:1")
