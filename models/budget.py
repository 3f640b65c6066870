"""Sliding-window budgets (rules.budget): the moment of each event counted against a key,
and the notices a recipient's budget held back, to be folded into one summary SMS."""
from peewee import Case, CharField, IntegerField, fn

from .base import BaseModel, MomentField, lock_name


class RateEvent(BaseModel):
    """One event (an SMS, an API call) counted against `key` ('to:+380…', 'ip:10.0.0.1',
    'notice:+380…', 'api:<digest>') at `at`; kept until `expires_at`, when no window of its
    key can hold it any more."""

    key = CharField(max_length=80)
    at = MomentField()
    expires_at = MomentField()

    class Meta:
        indexes = ((("key", "at"), False), (("expires_at",), False))

    @classmethod
    def take(cls, key, now, windows):
        """Count one event of `key` at `now` unless one of the sliding `windows` ((length,
        limit), ...) already holds its limit. Inside a `locking_transaction()`: the count
        and the insert hold across servers (lock_name on PostgreSQL, BEGIN IMMEDIATE on
        SQLite). Returns None when counted, else the moments of the key's events in its
        longest window (for rules.budget.free_at)."""
        longest = max(length for length, _limit in windows)
        lock_name(f"rate:{key}")
        counts = cls.select(*[
            fn.COALESCE(fn.SUM(Case(None, [(cls.at > now - length, 1)], 0)), 0)
            for length, _limit in windows
        ]).where((cls.key == key) & (cls.at > now - longest)).tuples().get()
        if any(int(count) >= limit for count, (_length, limit) in zip(counts, windows,
                                                                       strict=True)):
            return [row.at for row in cls.select(cls.at).where(
                (cls.key == key) & (cls.at > now - longest))]
        cls.insert(key=key, at=now, expires_at=now + longest).execute()
        return None

    @classmethod
    def forget_expired(cls, now):
        return cls.delete().where(cls.expires_at <= now).execute()


class HeldNotice(BaseModel):
    """Notices to `to` that its budget held back since `since`: one summary SMS tells of
    them once the budget has room (`flask send-sms`)."""

    to = CharField(max_length=16, primary_key=True)
    count = IntegerField()
    since = MomentField()

    @classmethod
    def add(cls, to, now):
        """One more held notice, in one atomic step (an upsert)."""
        cls.insert(to=to, count=1, since=now).on_conflict(
            conflict_target=[cls.to], update={cls.count: cls.count + 1}).execute()
