"""The ledger: a balance change and its record are one."""
import models


def test_post_changes_the_balance_and_records_it(app, db, clock, subscriber):
    entry = models.LedgerEntry.post(subscriber, "service_fee", clock.now(),
                                    balance_change=-2500, reference="request:1")
    stored = models.Subscription.get_by_id(subscriber.id)
    assert stored.balance == 10000 - 2500 == subscriber.balance
    assert (entry.balance_after, entry.bonus_after) == (7500, 0)
    models.LedgerEntry.post(subscriber, "bonus", clock.now(), bonus_change=300)
    kinds = [e.kind for e in models.LedgerEntry.select().where(
        models.LedgerEntry.subscription == subscriber)]
    assert sorted(kinds) == ["bonus", "service_fee"]
    assert models.Subscription.get_by_id(subscriber.id).bonus_balance == 300


def test_a_rolled_back_transaction_leaves_neither(app, db, clock, subscriber):
    try:
        with models.db.atomic():
            models.LedgerEntry.post(subscriber, "service_fee", clock.now(), balance_change=-100)
            raise RuntimeError("refused later in the same transaction")
    except RuntimeError:
        pass
    assert models.Subscription.get_by_id(subscriber.id).balance == 10000
    assert models.LedgerEntry.select().count() == 0
