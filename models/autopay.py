"""Automatic top-ups ("автопоповнення"): a card saved from a paid top-up and the rules of a
mobile number that charge it. The card itself never reaches the database: only the
provider's token (encrypted, portal/topup/cards.py), a keyed digest of it, and its mask."""
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .base import BaseModel, MomentField
from .subscribers import Profile, Subscription


class SavedCard(BaseModel):
    """The card of one mobile number, saved by its cabinet. A token is one cabinet's only:
    the digest is unique, so a token seen again for another cabinet is refused."""

    subscription = ForeignKeyField(Subscription, unique=True, backref="saved_cards",
                                   on_delete="CASCADE")
    profile = ForeignKeyField(Profile, backref="saved_cards", on_delete="CASCADE")
    provider = CharField(max_length=20)
    token = TextField()  # encrypted
    token_digest = CharField(max_length=64, unique=True)
    mask = CharField(max_length=32)
    created_at = MomentField()


class AutopayRule(BaseModel):
    """"When the balance falls below `threshold`, top up `amount`" or "every month on
    `day`, top up `amount`": one of each kind per number."""

    THRESHOLD, MONTHLY = "threshold", "monthly"
    MAX_FAILURES = 3  # failures in a row that pause the rule

    subscription = ForeignKeyField(Subscription, backref="autopay_rules", on_delete="CASCADE")
    kind = CharField(max_length=20)
    threshold = BigIntegerField(null=True)  # kopiyky
    day = IntegerField(null=True)  # 1..28
    amount = BigIntegerField()  # kopiyky
    failures = IntegerField(default=0)
    paused = BooleanField(default=False)
    last_month = CharField(max_length=7, default="")  # 'YYYY-MM' a monthly rule last ran
    created_at = MomentField()

    class Meta:
        indexes = ((("subscription", "kind"), True),)
