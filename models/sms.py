"""Every SMS the portal sends, whichever gateway carried it."""
from peewee import CharField, DateTimeField, TextField

from .base import BaseModel


class SmsMessage(BaseModel):
    to = CharField(max_length=16)
    text = TextField()
    sent_at = DateTimeField()
    backend = CharField(max_length=20)

    class Meta:
        indexes = ((("to", "sent_at"), False), (("sent_at",), False))

    @classmethod
    def newest_first(cls, to=None):
        query = cls.select().order_by(cls.sent_at.desc(), cls.id.desc())
        return query.where(cls.to == to) if to else query
