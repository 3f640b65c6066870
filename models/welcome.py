"""Welcome SMS: the login and a temporary password for a number the subscriber feed brings
with a cabinet that never existed (portal/feeds/welcome.py). One row a cabinet, so it is
never sent twice."""
from peewee import CharField, ForeignKeyField

from .base import BaseModel, MomentField
from .subscribers import Profile


class WelcomeSms(BaseModel):
    QUEUED, SENT, NOT_NEEDED = "queued", "sent", "not_needed"

    profile = ForeignKeyField(Profile, unique=True, backref="welcome_sms", on_delete="CASCADE")
    to = CharField(max_length=16)  # the cabinet's new mobile number: its login
    state = CharField(max_length=12, default=QUEUED)
    queued_at = MomentField()
    done_at = MomentField(null=True)

    class Meta:
        indexes = ((("state", "queued_at"), False),)

    @classmethod
    def due(cls):
        return cls.select().where(cls.state == cls.QUEUED).order_by(cls.queued_at, cls.id)
