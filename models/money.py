"""Money: transfers of balance and of bonuses, Home Internet bonus accruals,
bonuses moved to mobile numbers (they lapse), and the days a service was interrupted
(no bonuses for them). Every balance change they cause is a LedgerEntry."""
from datetime import timedelta

from peewee import (
    BigIntegerField,
    CharField,
    DateField,
    ForeignKeyField,
    IntegerField,
    fn,
)

from rules.dates import day_start, local_day
from .base import BaseModel, MomentField, prepared, prepared_rows, read_moment
from .subscribers import Profile, Subscription


def _day_bounds(day):
    """Kyiv's `day` from its first instant to the next day's (23, 24 or 25 hours)."""
    return day_start(day), day_start(day + timedelta(days=1))


class Transfer(BaseModel):
    """Money from one number's balance to another's (`kind` 'balance'), or bonuses from a
    Home Internet account to a mobile number ('bonus'). `key` is the review form's
    one-time key: a replayed confirmation finds the transfer it made."""

    BALANCE, BONUS = "balance", "bonus"

    key = CharField(max_length=32, unique=True)
    kind = CharField(max_length=10)
    source = ForeignKeyField(Subscription, backref="transfers_out", on_delete="CASCADE")
    target = ForeignKeyField(Subscription, backref="transfers_in", on_delete="CASCADE")
    profile = ForeignKeyField(Profile, null=True, backref="transfers", on_delete="SET NULL")
    amount = BigIntegerField()  # kopiyky (bonuses: 1 bonus = 100)
    created_at = MomentField()

    class Meta:
        indexes = ((("source", "kind", "created_at"), False),)

    @classmethod
    def sent_on(cls, source, kind, day):
        start, end = _day_bounds(day)
        return int(cls.select(fn.COALESCE(fn.SUM(cls.amount), 0))
                   .where((cls.source == source) & (cls.kind == kind)
                          & (cls.created_at >= start) & (cls.created_at < end)).scalar())

    @classmethod
    def bonus_history(cls, account, today):
        """(day of the latest bonus move, bonuses moved this calendar month)."""
        moves = (cls.source == account) & (cls.kind == cls.BONUS)
        last = read_moment(cls.select(fn.MAX(cls.created_at)).where(moves).scalar())
        month_start = day_start(today.replace(day=1))
        moved = (cls.select(fn.COALESCE(fn.SUM(cls.amount), 0))
                 .where(moves & (cls.created_at >= month_start)).scalar())
        return (local_day(last) if last else None), int(moved or 0)


class BonusLot(BaseModel):
    """Bonuses that arrived on a mobile number by one move: they lapse on `lapses_on`."""

    subscription = ForeignKeyField(Subscription, backref="bonus_lots", on_delete="CASCADE")
    transfer = ForeignKeyField(Transfer, backref="lots", on_delete="CASCADE")
    amount = BigIntegerField()
    # What of it paid for usage (the usage feed's bonus parts, oldest lot first): that
    # part no longer lapses.
    spent = BigIntegerField(default=0)
    arrived_on = DateField()
    lapses_on = DateField()
    lapsed_at = MomentField(null=True)

    class Meta:
        indexes = ((("subscription", "lapsed_at", "lapses_on"), False),
                   (("lapsed_at", "lapses_on"), False))

    @classmethod
    def open_for(cls, *subscriptions):
        return prepared(
            cls.select().where(cls.subscription.in_(subscriptions) & cls.lapsed_at.is_null()),
            f"bonus_lot.open_for.{len(subscriptions)}", *(sub.id for sub in subscriptions))

    @classmethod
    def left_in_open(cls, *subscriptions):
        """(subscription id, bonuses left, lapses_on) of each open lot of `subscriptions`:
        what every dashboard reads, from SQL compiled once and without building models."""
        lapses_on = cls.lapses_on
        return [(subscription_id, left, lapses_on.python_value(day))
                for subscription_id, left, day in prepared_rows(
                    f"bonus_lot.left_in_open.{len(subscriptions)}",
                    lambda: cls.select(cls.subscription, cls.amount - cls.spent, lapses_on).where(
                        cls.subscription.in_(subscriptions) & cls.lapsed_at.is_null()),
                    *(sub.id for sub in subscriptions))]

    @property
    def left(self):
        return self.amount - self.spent


class BonusAccrual(BaseModel):
    """The monthly Home Internet bonuses of one account for one month: at most one row
    (the unique index), so running the accrual again accrues nothing twice."""

    subscription = ForeignKeyField(Subscription, backref="bonus_accruals", on_delete="CASCADE")
    month = DateField()  # its first day
    amount = BigIntegerField()
    created_at = MomentField()
    # What it came from, for the bonus history: the fee paid that month (kopiyky) and the
    # days without service left out (None: accrued before they were kept).
    fee_paid = BigIntegerField(null=True)
    days_out = IntegerField(null=True)

    class Meta:
        indexes = ((("subscription", "month"), True),)


class ServiceInterruption(BaseModel):
    """Days a service was blocked for debt ('debt_blocked') or paused by the subscriber
    ('suspended'), from `start` to `end` inclusive (`end` empty while it lasts)."""

    INTERRUPTING = ("suspended", "debt_blocked")

    subscription = ForeignKeyField(Subscription, backref="interruptions", on_delete="CASCADE")
    reason = CharField(max_length=20)
    start = DateField()
    end = DateField(null=True)

    class Meta:
        indexes = ((("subscription", "end"), False),)

    @classmethod
    def track(cls, subscription_id, status, today):
        """Keep the open interruption in step with the status the subscription now has:
        close it when the status changes, open one for a pause or a debt block."""
        current = cls.get_or_none((cls.subscription == subscription_id) & cls.end.is_null())
        if current and current.reason == status:
            return
        if current:
            # The day it ended still counts as interrupted unless it began today.
            end = max(current.start, today - timedelta(days=1))
            cls.update(end=end).where(cls.id == current.id).execute()
        if status in cls.INTERRUPTING:
            cls.create(subscription=subscription_id, reason=status, start=today)
