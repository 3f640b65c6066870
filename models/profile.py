"""The profile's area: free SMS sent from the cabinet, the SIM card and phone of each number,
and the operator's shops (from the catalogue file)."""
from peewee import CharField, ForeignKeyField, IntegerField, TextField, fn

from .base import BaseModel, MomentField
from .subscribers import Localized, Subscription


class FreeSms(BaseModel):
    """A free SMS a subscriber sent from the cabinet (the daily cap counts its parts)."""

    sender = ForeignKeyField(Subscription, backref="free_sms", on_delete="CASCADE")
    to = CharField(max_length=16)
    text = TextField()
    parts = IntegerField()
    encoding = CharField(max_length=8)
    sent_at = MomentField()

    class Meta:
        indexes = ((("sender", "sent_at"), False),)

    @classmethod
    def parts_since(cls, sender, since):
        return int(cls.select(fn.COALESCE(fn.SUM(cls.parts), 0))
                   .where((cls.sender == sender) & (cls.sent_at >= since)).scalar())


class Device(BaseModel):
    """The SIM card in a number and the phone it was last seen in (the network's record)."""

    subscription = ForeignKeyField(Subscription, backref="devices", unique=True,
                                   on_delete="CASCADE")
    phone_model = CharField(max_length=80, default="")
    iccid = CharField(max_length=20)
    puk1 = CharField(max_length=8)


class Shop(BaseModel, Localized):
    """One of the operator's shops; the catalogue file's `[[shops]]`."""

    code = CharField(primary_key=True, max_length=40)
    position = IntegerField(default=0)
    city_uk = CharField()
    city_en = CharField()
    city_ru = CharField()
    address_uk = CharField()
    address_en = CharField()
    address_ru = CharField()
    hours_uk = CharField()
    hours_en = CharField()
    hours_ru = CharField()
    phone = CharField(max_length=20, default="")

    def texts(self):
        """Everything a search may match, in every language."""
        return [self.city_uk, self.city_en, self.city_ru, self.address_uk, self.address_en,
                self.address_ru]
