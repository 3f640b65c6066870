"""Personal API tokens: a cabinet's keys to its balances for widgets and balance checkers.

A token is kept only as its keyed hash (portal.security.keyed_digest): the database never
holds one that could be used."""
from peewee import CharField, ForeignKeyField, IntegerField

from .base import BaseModel, MomentField
from .sms import CountedInWindows
from .subscribers import Profile


class ApiToken(BaseModel):
    profile = ForeignKeyField(Profile, backref="api_tokens", on_delete="CASCADE")
    name = CharField(max_length=40)  # what it is for, as the subscriber named it
    digest = CharField(max_length=64, unique=True)  # HMAC-SHA256 of the token, hex
    created_at = MomentField()
    last_used_at = MomentField(null=True)  # written at most once a minute (rules.tokens)

    class Meta:
        indexes = ((("profile", "created_at"), False),)

    @classmethod
    def of(cls, profile_id):
        """The cabinet's tokens, oldest first."""
        return cls.select().where(cls.profile == profile_id).order_by(cls.created_at, cls.id)

    @classmethod
    def touch(cls, token_id, now, written_before):
        """Write down a use at `now` unless one after `written_before` is written already
        (another worker's call a moment ago)."""
        return cls.update(last_used_at=now).where(
            (cls.id == token_id)
            & (cls.last_used_at.is_null() | (cls.last_used_at <= written_before))).execute()


class ApiCallCount(CountedInWindows, BaseModel):
    """A token's calls of the balance API in one window of time (rules.tokens), counted in
    one atomic upsert so every worker and server shares the rate."""

    key = CharField(max_length=64)  # the token's digest (ApiToken.digest)
    window_start = MomentField()
    count = IntegerField(default=0)

    class Meta:
        primary_key = False
        indexes = ((("key", "window_start"), True),)
