"""The subscriber base: the catalogue's tariffs, profiles (cabinets) and their subscriptions."""
from flask_login import UserMixin
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from rules import states as states_rules
from rules.sessions import ENDED, TOUCH, check_session
from .base import BaseModel, MomentField, built, prepared_rows


class Localized:
    """Catalogue rows carry their texts in every language: name_uk, name_en, name_ru, ..."""

    def text(self, field, locale):
        return getattr(self, f"{field}_{locale}", None) or getattr(self, f"{field}_uk")

    def name(self, locale):
        return self.text("name", locale)


class Tariff(BaseModel, Localized):
    code = CharField(primary_key=True, max_length=40)
    kind = CharField(max_length=20)  # 'mobile' | 'home_internet'
    family = CharField(max_length=40, default="")  # 'free': the "Svobodnyi" family
    payment = CharField(max_length=20, default="")  # '' (any), 'prepaid', 'contract'
    monthly_fee = BigIntegerField(default=0)  # kopiyky
    switch_fee = BigIntegerField(default=0)  # kopiyky
    position = IntegerField(default=0)
    name_uk = CharField()
    name_en = CharField()
    name_ru = CharField()
    description_uk = TextField(default="")
    description_en = TextField(default="")
    description_ru = TextField(default="")

    @classmethod
    def kinds_by_code(cls):
        return dict(cls.select(cls.code, cls.kind).tuples())


class Profile(UserMixin, BaseModel):
    """One person's cabinet: the sign-in secrets and the subscriptions it holds.

    As the signed-in user, its id for Flask-Login is the server-side session token, so
    ending that session (sign-out elsewhere, password change) signs the browser out."""

    auth_session = None  # the AuthSession this request is signed in with

    key = CharField(max_length=64, null=True, unique=True)  # the feed's `profile`
    name = CharField(max_length=200)
    password_hash = CharField(null=True)
    temporary_password_hash = CharField(null=True)
    temporary_password_expires_at = MomentField(null=True)
    confirmed_at = MomentField(null=True)
    secret_question = CharField(max_length=40, null=True)
    secret_answer_hash = CharField(null=True)
    contact_phone = CharField(max_length=16, null=True)
    language = CharField(max_length=2, default="uk")  # of the pages and of its SMS
    terms_accepted_at = MomentField(null=True)  # the terms of use, at the first sign-in
    created_at = MomentField()

    def get_id(self):
        return self.auth_session.token

    def numbers(self):
        """Its own numbers and accounts and those it manages, in the switcher's order."""
        return Subscription.of_cabinet(self.id)

    def sms_phone(self):
        """Where this cabinet's codes go when an account (not a phone) signs in."""
        first_mobile = (Subscription.select(Subscription.number)
                        .where((Subscription.profile == self) & (Subscription.kind == "mobile")
                               & (Subscription.status != "closed"))
                        .order_by(Subscription.id).first())
        return first_mobile.number if first_mobile else self.contact_phone


class Subscription(BaseModel):
    """A mobile number or a Home Internet account."""

    number = CharField(max_length=16, unique=True)  # '+380971234567' or '12345678'
    kind = CharField(max_length=20)
    profile = ForeignKeyField(Profile, backref="subscriptions", on_delete="CASCADE")
    tariff = ForeignKeyField(Tariff, backref="subscriptions")
    holder_name = CharField(max_length=200)
    payment = CharField(max_length=20)
    customer = CharField(max_length=20)
    status = CharField(max_length=20)  # the feed's: active, suspended, debt_blocked, closed
    sim_blocked = BooleanField(default=False)  # a temporary SIM block asked for in the portal
    balance = BigIntegerField(default=0)  # kopiyky
    bonus_balance = BigIntegerField(default=0)  # kopiyky
    activated_on = DateField()
    nickname = CharField(max_length=40, null=True)
    # The low-balance alert (rules.alerts): its threshold in kopiyky (None: off), and
    # whether its SMS went since the balance was last at or above it.
    alert_threshold = BigIntegerField(null=True)
    alert_sent = BooleanField(default=False)
    updated_at = MomentField(null=True)

    @property
    def is_mobile(self):
        return self.kind == "mobile"

    @property
    def state(self):
        """The one state it is in (rules.states): what it may do depends on it."""
        return states_rules.state_of(self.status, self.sim_blocked)

    def sms_phone(self):
        """Where this subscription's SMS go: a mobile number itself; an account, its
        cabinet's phone (None when the cabinet has none)."""
        return self.number if self.is_mobile else self.profile.sms_phone()

    @classmethod
    def by_number(cls, number):
        return cls.get_or_none(cls.number == number)

    @classmethod
    def in_cabinet(cls, profile_id):
        """Whether a subscription is in the cabinet `profile_id`: its own (the cabinet it
        signs in to) or one it manages. One IN over both lists, each read by its index:
        `profile = X OR id IN (managed)` made PostgreSQL read the whole subscription table
        on every signed-in page (46 ms at 100,000 subscribers: docs/scale-run.md)."""
        mine = Subscription.alias()
        own = mine.select(mine.id).where(mine.profile == profile_id)
        managed = ManagedNumber.select(ManagedNumber.subscription).where(
            ManagedNumber.profile == profile_id)
        return cls.id.in_(own + managed)

    @classmethod
    def of_cabinet(cls, profile_id):
        """The cabinet's numbers and accounts in the switcher's order: mobile first, then by
        number."""
        return (cls.select().where(cls.in_cabinet(profile_id))
                .order_by(cls.kind.desc(), cls.number))


class ManagedNumber(BaseModel):
    """A number or account that another cabinet manages too (a family member's): it stays
    in the cabinet it signs in to, whose owner sees who manages it and can end that."""

    profile = ForeignKeyField(Profile, backref="managed_numbers", on_delete="CASCADE")
    subscription = ForeignKeyField(Subscription, backref="managers", on_delete="CASCADE")
    added_at = MomentField()

    class Meta:
        indexes = ((("profile", "subscription"), True), (("subscription",), False))


class ServerSession:
    """What a subscriber's and a staff member's signed-in sessions share: a token kept on
    the server, so a session can be listed and ended, and ends by itself by its rule
    (rules.sessions)."""

    @classmethod
    def resume(cls, query, rule_of, now):
        """The live session `query` selects (by its token), or None. `rule_of(row)` is the
        row's SessionRule; a session past it is ended here."""
        # The token is the primary key: one row at most.
        return cls.judged(next(iter(query.where(cls.ended_at.is_null())), None), rule_of, now)

    @classmethod
    def judged(cls, row, rule_of, now):
        """`row` (a session not ended, or None) if its rule keeps it live, else None (and
        a session past its rule is ended here); its last sighting recorded now and then."""
        if row is None:
            return None
        verdict = check_session(rule_of(row), row.created_at, row.last_seen_at, now)
        if verdict == ENDED:
            cls.update(ended_at=now).where(cls.token == row.token).execute()
            return None
        if verdict == TOUCH:
            cls.update(last_seen_at=now).where(cls.token == row.token).execute()
        return row

    @classmethod
    def end(cls, token, now):
        return cls.update(ended_at=now).where(
            (cls.token == token) & cls.ended_at.is_null()).execute()


class AuthSession(ServerSession, BaseModel):
    """A signed-in session, kept on the server so it can be listed and ended."""

    token = CharField(primary_key=True, max_length=64)
    profile = ForeignKeyField(Profile, backref="auth_sessions", on_delete="CASCADE")
    selected = ForeignKeyField(Subscription, null=True, on_delete="SET NULL")
    must_confirm = BooleanField(default=False)  # signed in with a temporary password
    remember = BooleanField(default=False)
    created_at = MomentField()
    last_seen_at = MomentField()
    ended_at = MomentField(null=True)
    user_agent = CharField(max_length=200, default="")
    ip = CharField(max_length=45, default="")

    class Meta:
        indexes = ((("profile", "ended_at"), False),)

    @classmethod
    def signed_in(cls, token, rule_of, now):
        """The live session of `token` with its profile (`.profile`), or None, as `resume`
        judges it: the one primary-key lookup of every signed-in request, its SQL compiled
        once and its row built without peewee's per-query column resolution."""
        fields, profile_fields = cls._meta.sorted_fields, Profile._meta.sorted_fields
        rows = prepared_rows("auth_session.signed_in", lambda: cls.select(
            *fields, *profile_fields).join(Profile).where(
            (cls.token == token) & cls.ended_at.is_null()), token)
        if not rows:
            return None
        row = built(cls, fields, rows[0][:len(fields)])
        row.__rel__["profile"] = built(Profile, profile_fields, rows[0][len(fields):])
        return cls.judged(row, rule_of, now)

    @classmethod
    def open_for(cls, profile):
        return cls.select().where((cls.profile == profile) & cls.ended_at.is_null())

    @classmethod
    def end_all(cls, profile, now, keep=None):
        query = cls.update(ended_at=now).where((cls.profile == profile) & cls.ended_at.is_null())
        if keep is not None:
            query = query.where(cls.token != keep)
        return query.execute()
