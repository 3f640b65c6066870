"""The catalogue's services, which of them each number has, and the archive of requests
(every change a subscriber asks for, with its state)."""
from peewee import (
    BigIntegerField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from rules import services as services_rules, tariffs as tariffs_rules
from .base import BaseModel, MomentField, prepared_rows
from .subscribers import Localized, Subscription, Tariff


class Service(BaseModel, Localized):
    code = CharField(primary_key=True, max_length=40)
    kind = CharField(max_length=20)  # 'mobile' | 'home_internet'
    connect_fee = BigIntegerField(default=0)  # kopiyky, charged when connected
    monthly_fee = BigIntegerField(default=0)  # kopiyky, billed with the tariff
    position = IntegerField(default=0)
    name_uk = CharField()
    name_en = CharField()
    name_ru = CharField()
    summary_uk = CharField(max_length=200, default="")
    summary_en = CharField(max_length=200, default="")
    summary_ru = CharField(max_length=200, default="")
    description_uk = TextField(default="")
    description_en = TextField(default="")
    description_ru = TextField(default="")

    @classmethod
    def for_kind(cls, kind):
        return cls.select().where(cls.kind == kind).order_by(cls.position, cls.code)


class ServiceConnection(BaseModel):
    """A service connected to a number; disconnecting deletes it (the archive keeps both)."""

    subscription = ForeignKeyField(Subscription, backref="service_connections",
                                   on_delete="CASCADE")
    service = ForeignKeyField(Service, backref="connections")
    connected_at = MomentField()

    class Meta:
        indexes = ((("subscription", "service"), True),)

    @classmethod
    def codes(cls, subscription):
        return {row.service_id for row in
                cls.select(cls.service).where(cls.subscription == subscription)}


class ServiceRequest(BaseModel):
    """One request of a subscriber: connect or disconnect a service, switch the tariff, block
    or unblock the SIM, pause or resume Home Internet. Done at once, or pending until due."""

    subscription = ForeignKeyField(Subscription, backref="service_requests", on_delete="CASCADE")
    kind = CharField(max_length=30)  # one of rules.services' request kinds (SERVICE_CONNECT … RESUME)
    subject = CharField(max_length=40, default="")  # a service or tariff code
    previous = CharField(max_length=40, default="")  # the tariff switched from
    state = CharField(max_length=10)  # services_rules.STATES
    fee = BigIntegerField(default=0)  # kopiyky charged
    created_at = MomentField()
    due_at = MomentField(null=True)  # when a pending request is to be done
    finished_at = MomentField(null=True)
    reason = CharField(max_length=30, default="")  # why it was rejected (a Refusal code)
    key = CharField(max_length=32, null=True, unique=True)  # its review's one-time key

    class Meta:
        indexes = ((("subscription", "created_at"), False), (("state", "due_at"), False),
                   (("subscription", "kind", "state"), False))

    @property
    def reference(self):
        return f"request:{self.id}"

    @classmethod
    def due(cls, now, demo=False):
        query = cls.select().where(cls.state == services_rules.PENDING).order_by(cls.due_at, cls.id)
        return query if demo else query.where(cls.due_at <= now)

    @classmethod
    def last_switch_at(cls, subscription):
        row = (cls.select(cls.finished_at)
               .where((cls.subscription == subscription) & (cls.kind == services_rules.TARIFF_SWITCH)
                      & (cls.state == services_rules.DONE))
               .order_by(cls.finished_at.desc()).first())
        return row.finished_at if row else None

    @classmethod
    def pending_kinds(cls, subscription):
        """The kinds of a number's deferred requests still waiting to be done."""
        return [kind for (kind,) in prepared_rows(
            "service_request.pending_kinds",
            lambda: cls.select(cls.kind).where(
                (cls.subscription == subscription) & (cls.state == services_rules.PENDING)
                & cls.kind.in_(services_rules.DEFERRED_KINDS)).order_by(cls.id),
            subscription.id, services_rules.PENDING, *services_rules.DEFERRED_KINDS)]


class TariffAllowance(BaseModel):
    """What a tariff includes each month (rules.tariffs): `amount` of `unit` (None:
    unlimited) within the network, to other networks or anywhere. The catalogue's
    `allowances` of a tariff, replaced whole when it is applied."""

    tariff = ForeignKeyField(Tariff, backref="allowances", on_delete="CASCADE")
    position = IntegerField(default=0)
    unit = CharField(max_length=8)  # rules.tariffs.UNITS
    amount = BigIntegerField(null=True)
    scope = CharField(max_length=8, default="all")  # rules.tariffs.SCOPES

    class Meta:
        indexes = ((("tariff", "position"), True),)

    @classmethod
    def of(cls, tariff):
        return [tariffs_rules.Allowance(row.unit, row.amount, row.scope)
                for row in cls.select().where(cls.tariff == tariff).order_by(cls.position)]
