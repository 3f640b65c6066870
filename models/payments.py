"""Card top-ups. The card's number and CVV never reach the database: only its brand and
last four digits. A payment's `key` is its unguessable address and its one-time key (with
LiqPay, its `order_id`).

A payment's states: `queued` (an automatic top-up waiting for the `autopay` command),
`pending` (the demo's code not yet typed; LiqPay's payer at the checkout, or its answer
awaited), `capturing` (the demo's money being taken), then `succeeded`, `failed`,
`cancelled`, or `reversed` (LiqPay refunded a credited payment and the credit was taken
back)."""
from datetime import timedelta

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    fn,
)

from rules.dates import day_start
from .base import BaseModel, MomentField
from .subscribers import Profile, Subscription


class Payment(BaseModel):
    PENDING, SUCCEEDED, CANCELLED, FAILED = "pending", "succeeded", "cancelled", "failed"
    CAPTURING = "capturing"  # confirmed and counted under the cap; the provider is taking it
    QUEUED, REVERSED = "queued", "reversed"
    OPEN = (QUEUED, PENDING, CAPTURING)

    key = CharField(max_length=32, unique=True)
    target = ForeignKeyField(Subscription, backref="payments", on_delete="CASCADE")
    profile = ForeignKeyField(Profile, null=True, backref="payments", on_delete="SET NULL")
    payer_phone = CharField(max_length=16)
    amount = BigIntegerField()  # kopiyky
    card_brand = CharField(max_length=20)
    card_last4 = CharField(max_length=4)
    provider = CharField(max_length=20)
    provider_reference = CharField(max_length=64)
    state = CharField(max_length=20, default=PENDING)
    # Why it did not succeed: 'tries' (five wrong codes), 'expired', 'declined', 'cap' (the
    # day's cap was reached before it was confirmed), 'sms' (the code could not be sent),
    # 'unknown' (LiqPay never heard of it in 24 hours), 'card' (the saved card is gone), or
    # LiqPay's err_code.
    failure = CharField(max_length=30, default="")
    created_at = MomentField()
    completed_at = MomentField(null=True)
    save_card = BooleanField(default=False)  # the payer asked to keep the card for autopay
    autopay_rule = IntegerField(null=True)  # an automatic top-up: its AutopayRule's id

    class Meta:
        indexes = ((("target", "created_at"), False), (("payer_phone", "created_at"), False),
                   (("state", "created_at"), False))

    @classmethod
    def paid_today(cls, target, day):
        """Card money paid to `target` on `day`, and being captured: confirmed payments
        only, so a payment started and abandoned (or waiting at LiqPay's checkout) holds no
        one's place under the cap."""
        return int(cls.select(fn.COALESCE(fn.SUM(cls.amount), 0))
                   .where((cls.target == target) & (cls.created_at >= day_start(day))
                          & (cls.created_at < day_start(day + timedelta(days=1)))
                          & cls.state.in_((cls.CAPTURING, cls.SUCCEEDED))).scalar())

    @property
    def reference(self):
        return f"payment:{self.key}"
