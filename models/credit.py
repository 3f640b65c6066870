"""Self-service credits ("promised payments") of prepaid mobile numbers: the money is on
the balance from the moment it is taken; `owed` is what is still to repay."""
from peewee import BigIntegerField, CharField, DateField, ForeignKeyField

from .base import BaseModel, MomentField, built, prepared_rows
from .subscribers import Profile, Subscription


class Credit(BaseModel):
    """One credit. `key` is the form's one-time key: a replayed or doubled press finds the
    credit it made. Open until repaid (by the money paid in after it) or settled (charged
    from the balance after its last day)."""

    OPEN, REPAID, SETTLED = "open", "repaid", "settled"

    key = CharField(max_length=32, unique=True)
    subscription = ForeignKeyField(Subscription, backref="credits", on_delete="CASCADE")
    profile = ForeignKeyField(Profile, null=True, backref="credits", on_delete="SET NULL")
    amount = BigIntegerField()  # kopiyky
    owed = BigIntegerField()  # kopiyky still to repay
    granted_at = MomentField()
    last_day = DateField()  # the last day to repay it
    state = CharField(max_length=10, default=OPEN)
    closed_at = MomentField(null=True)

    class Meta:
        indexes = ((("subscription", "granted_at"), False), (("state", "last_day"), False))

    @property
    def reference(self):
        return f"credit:{self.id}"

    @classmethod
    def latest_of(cls, subscription):
        """The number's latest credit (open or not), or None: what the rules ask about."""
        return (cls.select().where(cls.subscription == subscription)
                .order_by(cls.granted_at.desc(), cls.id.desc()).first())

    @classmethod
    def open_of(cls, subscription):
        return cls.select().where((cls.subscription == subscription) & (cls.state == cls.OPEN))

    @classmethod
    def open_one(cls, subscription):
        """The number's open credit or None (the dashboard asks on every visit)."""
        fields = cls._meta.sorted_fields
        rows = prepared_rows("credit.open_one",
                             lambda: cls.open_of(subscription).select(*fields).limit(1),
                             subscription.id, cls.OPEN, 1)
        return built(cls, fields, rows[0]) if rows else None

    @classmethod
    def due(cls, last_day):
        """Open credits whose last day is `last_day` or earlier (rules.credit says which
        are charged on a day)."""
        return cls.select().where((cls.state == cls.OPEN) & (cls.last_day <= last_day))
