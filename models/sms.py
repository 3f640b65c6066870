"""The SMS outbox and the SMS budget.

Every SMS is a row written in the transaction of what it reports, and handed to the
gateway only after that transaction commits (portal.sms): a rolled-back change sends
nothing, and a slow gateway never holds a database lock. The budget's counters are taken
and increased in one atomic step, so any number of workers and servers sharing the
database send no more than the limits allow."""
from peewee import (
    BooleanField,
    CharField,
    IntegerField,
    IntegrityError,
    TextField,
    fn,
)

from .base import BaseModel, MomentField, db


class SmsMessage(BaseModel):
    # `state`: handed to the gateway or not. FAILED: the gateway took no attempt in an hour.
    QUEUED, SENT, FAILED = "queued", "sent", "failed"
    # `delivery`: what the gateway's delivery reports said of a sent message, in the order
    # they may only move forward (a late "accepted by the SMS centre" never undoes
    # "delivered"). '' is no report yet.
    ACCEPTED, BUFFERED, DELIVERED, UNDELIVERED = "accepted", "buffered", "delivered", "undelivered"
    DELIVERY_RANK = {"": 0, ACCEPTED: 1, BUFFERED: 2, DELIVERED: 3, UNDELIVERED: 3}

    to = CharField(max_length=16)
    # The text as kept: a code or a temporary password in it is masked outside demo mode
    # (the gateway got the whole text from memory, once).
    text = TextField()
    kind = CharField(max_length=20, default="")  # a budget kind ('sign-in', ...), '' for notices
    retriable = BooleanField(default=True)  # False when `text` is masked: only memory had it
    state = CharField(max_length=10, default=QUEUED)
    attempts = IntegerField(default=0)
    created_at = MomentField()
    next_attempt_at = MomentField(null=True)
    sent_at = MomentField(null=True)
    backend = CharField(max_length=20, default="")
    delivery = CharField(max_length=12, default="")
    delivery_at = MomentField(null=True)  # when the last delivery report came

    class Meta:
        indexes = ((("to", "created_at"), False), (("created_at",), False),
                   (("state", "next_attempt_at"), False))

    @classmethod
    def newest_first(cls, to=None):
        query = cls.select().order_by(cls.created_at.desc(), cls.id.desc())
        return query.where(cls.to == to) if to else query

    @classmethod
    def recent_to(cls, numbers, limit):
        """The newest messages to any of `numbers`, newest first."""
        return cls.select().where(cls.to.in_(list(numbers))).order_by(
            cls.created_at.desc(), cls.id.desc()).limit(limit)

    @classmethod
    def newest_of_kind(cls, to, kind):
        return cls.newest_first(to).where(cls.kind == kind).first()

    @classmethod
    def record_delivery(cls, message_id, delivery, now):
        """A delivery report, in one atomic step: kept only when it moves the message's
        delivery forward (reports may come late or twice). True when it did."""
        behind = [state for state, rank in cls.DELIVERY_RANK.items()
                  if rank < cls.DELIVERY_RANK[delivery]]
        return bool(cls.update(delivery=delivery, delivery_at=now).where(
            (cls.id == message_id) & cls.delivery.in_(behind)).execute())

    @classmethod
    def due(cls, now):
        return (cls.select().where((cls.state == cls.QUEUED) & cls.retriable
                                   & (cls.next_attempt_at <= now))
                .order_by(cls.next_attempt_at, cls.id))

    @classmethod
    def claim(cls, message_id, now, lease):
        """Take a queued message for one delivery attempt, in one atomic step, so a request
        and the retrying job (on any server) never hand it to the gateway twice: it is due
        again only after `lease`. True when this caller has it."""
        return bool(cls.update(next_attempt_at=now + lease).where(
            (cls.id == message_id) & (cls.state == cls.QUEUED)
            & (cls.next_attempt_at <= now)).execute())

    @classmethod
    def mark_sent(cls, message_id, backend, now):
        return cls.update(state=cls.SENT, sent_at=now, backend=backend,
                          attempts=cls.attempts + 1).where(
            (cls.id == message_id) & (cls.state == cls.QUEUED)).execute()

    @classmethod
    def mark_failed(cls, message_id, retry_at, now):
        """One failed attempt: try again at `retry_at`, or give up when it is None."""
        fields = {"attempts": cls.attempts + 1, "next_attempt_at": retry_at}
        if retry_at is None:
            fields["state"] = cls.FAILED
        return cls.update(**fields).where(
            (cls.id == message_id) & (cls.state == cls.QUEUED)).execute()


class SmsPace(BaseModel):
    """When the last SMS of a kind went to a number: at most one a minute for each."""

    key = CharField(max_length=80, primary_key=True)  # 'sign-in:+380…'
    last_at = MomentField()

    @classmethod
    def claim(cls, key, now, interval):
        """Take the slot of `key` if its last SMS is `interval` old (one atomic step: a
        conditional update, or the insert of a new key); returns None when taken, else
        when the slot frees."""
        taken = cls.update(last_at=now).where(
            (cls.key == key) & (cls.last_at <= now - interval)).execute()
        if taken:
            return None
        last = cls.select(cls.last_at).where(cls.key == key).scalar()
        if last is not None:
            return last + interval
        try:
            with db.atomic():
                cls.create(key=key, last_at=now)
            return None
        except IntegrityError:  # another request took it a moment ago
            return now + interval


class CountedInWindows:
    """A count per key and window of time, shared by every worker and server: the table's
    `key`, `window_start` and `count` columns, unique by key and window."""

    @classmethod
    def increase(cls, key, window_start):
        """Add one and return the new count, in one atomic step (an upsert that returns)."""
        query = (cls.insert(key=key, window_start=window_start, count=1)
                 .on_conflict(conflict_target=[cls.key, cls.window_start],
                              update={cls.count: cls.count + 1})
                 .returning(cls.count).tuples())
        return int(list(query.execute())[0][0])

    @classmethod
    def current(cls, key, window_start):
        return int(cls.select(fn.COALESCE(fn.MAX(cls.count), 0)).where(
            (cls.key == key) & (cls.window_start == window_start)).scalar())

    @classmethod
    def forget_before(cls, moment):
        return cls.delete().where(cls.window_start < moment).execute()


class SmsCount(CountedInWindows, BaseModel):
    """SMS counted in one window of time for one key (a number, an address, the portal)."""

    key = CharField(max_length=80)  # 'to:+380…', 'ip:10.0.0.1', 'portal'
    window_start = MomentField()
    count = IntegerField(default=0)

    class Meta:
        primary_key = False
        indexes = ((("key", "window_start"), True),)
