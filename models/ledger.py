"""The ledger: every change of a balance or a bonus balance, written in the same
transaction as the change itself, so a balance is never the only record of money."""
from peewee import BigIntegerField, CharField, ForeignKeyField

from .base import BaseModel, MomentField
from .subscribers import Subscription


class LedgerEntry(BaseModel):
    subscription = ForeignKeyField(Subscription, backref="ledger_entries", on_delete="CASCADE")
    at = MomentField()
    # What moved the money: 'service_fee', 'tariff_fee', 'topup', 'transfer_in', ...
    kind = CharField(max_length=30)
    balance_change = BigIntegerField(default=0)  # kopiyky; negative is a charge
    bonus_change = BigIntegerField(default=0)  # kopiyky of bonuses
    balance_after = BigIntegerField()
    bonus_after = BigIntegerField()
    # Which payment, transfer or request it belongs to, e.g. 'request:12'.
    reference = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("subscription", "at"), False), (("reference",), False))

    @classmethod
    def post(cls, subscription, kind, at, balance_change=0, bonus_change=0, reference=""):
        """Change the subscription's balances and record why, in the caller's transaction
        (which should hold the row lock: `locking_transaction()` and `.for_update()`).
        Updates `subscription` in place and returns the entry."""
        Subscription.update(balance=Subscription.balance + balance_change,
                            bonus_balance=Subscription.bonus_balance + bonus_change,
                            updated_at=at).where(Subscription.id == subscription.id).execute()
        fresh = Subscription.select(Subscription.balance, Subscription.bonus_balance).where(
            Subscription.id == subscription.id).get()
        subscription.balance, subscription.bonus_balance = fresh.balance, fresh.bonus_balance
        return cls.create(subscription=subscription, at=at, kind=kind,
                          balance_change=balance_change, bonus_change=bonus_change,
                          balance_after=fresh.balance, bonus_after=fresh.bonus_balance,
                          reference=reference)
