"""Sign-in security: failed attempts (throttling), one-time codes, the audit log."""
from peewee import CharField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, MomentField
from .subscribers import Profile


class FailedAttempt(BaseModel):
    """A failed sign-in or code for an account key (e.g. 'profile:12' or 'register:+380…')."""

    key = CharField(max_length=80)
    at = MomentField()

    class Meta:
        indexes = ((("key", "at"), False),)

    @classmethod
    def times_since(cls, key, since):
        return [row.at for row in cls.select(cls.at).where((cls.key == key) & (cls.at >= since))]


class OneTimeCode(BaseModel):
    """A code sent by SMS: bound to a purpose, a number and the request that asked for it."""

    purpose = CharField(max_length=30)  # 'login', 'topup', 'add-number', ...
    number = CharField(max_length=16)
    code_hash = CharField(max_length=64)
    nonce = CharField(max_length=64)  # held by the browser that asked; binds code to request
    reference = CharField(max_length=64, default="")  # what the code confirms, e.g. a payment
    created_at = MomentField()
    expires_at = MomentField()
    attempts = IntegerField(default=0)
    used_at = MomentField(null=True)

    class Meta:
        indexes = ((("purpose", "number", "created_at"), False),)

    @classmethod
    def take_try(cls, code_id, max_tries):
        """Count one try of an unused code, in one atomic step; returns the tries counted
        with this one, or None when none is left (or the code was used meanwhile)."""
        rows = list(cls.update(attempts=cls.attempts + 1)
                    .where((cls.id == code_id) & (cls.attempts < max_tries)
                           & cls.used_at.is_null())
                    .returning(cls.attempts).tuples().execute())
        return rows[0][0] if rows else None

    @classmethod
    def use(cls, code_id, now):
        return cls.update(used_at=now).where((cls.id == code_id) & cls.used_at.is_null()).execute()


class AuditEvent(BaseModel):
    at = MomentField()
    event = CharField(max_length=40)  # 'login', 'login_failed', 'lockout', 'password_changed', ...
    profile = ForeignKeyField(Profile, null=True, backref="audit_events", on_delete="SET NULL")
    actor = CharField(max_length=80, default="")  # who acted: a number, a staff login
    subject = CharField(max_length=80, default="")  # what it was about
    ip = CharField(max_length=45, default="")
    details = TextField(default="")

    class Meta:
        indexes = ((("at",), False), (("profile", "at"), False),
                   (("actor", "at"), False), (("subject", "at"), False))  # the admin's filters
