"""Online help: the staff, their sessions, chats with subscribers, Home Internet faults and
the technicians' visits."""
from peewee import (
    JOIN,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from rules import support as support_rules
from .base import BaseModel, MomentField
from .subscribers import Profile, ServerSession, Subscription


class StaffUser(BaseModel):
    """A support agent or an admin of the staff console; never a subscriber's profile."""

    login = CharField(max_length=32, unique=True)
    role = CharField(max_length=10)  # 'agent' | 'admin'
    password_hash = CharField()
    created_at = MomentField()
    password_changed_at = MomentField()
    # The second factor (portal/staff/second_factor.py): the TOTP secret, sealed, and the
    # time step of the last code taken (a code signs in once).
    totp_secret = TextField(null=True)
    totp_last_step = BigIntegerField(null=True)

    def can(self, permission):
        return support_rules.can(self.role, permission)


class StaffSession(ServerSession, BaseModel):
    """A signed-in staff browser, kept on the server (like a subscriber's AuthSession) so
    idle sessions end and a password reset ends them all."""

    token = CharField(primary_key=True, max_length=64)
    staff = ForeignKeyField(StaffUser, backref="sessions", on_delete="CASCADE")
    created_at = MomentField()
    last_seen_at = MomentField()
    ended_at = MomentField(null=True)
    ip = CharField(max_length=45, default="")

    class Meta:
        indexes = ((("staff", "ended_at"), False),)


class Chat(BaseModel):
    """One conversation of a profile with the agents: open, closed by an agent, rated."""

    profile = ForeignKeyField(Profile, backref="chats", on_delete="CASCADE")
    subscription = ForeignKeyField(Subscription, null=True, backref="chats", on_delete="SET NULL")
    state = CharField(max_length=10, default=support_rules.CHAT_OPEN)
    opened_at = MomentField()
    last_message_at = MomentField()
    waiting = BooleanField(default=True)  # the subscriber wrote last: an agent should answer
    closed_at = MomentField(null=True)
    closed_by = ForeignKeyField(StaffUser, null=True, backref="closed_chats", on_delete="SET NULL")
    score = IntegerField(null=True)
    rated_at = MomentField(null=True)

    class Meta:
        indexes = ((("profile", "opened_at"), False), (("state", "last_message_at"), False))

    @classmethod
    def latest_for(cls, profile):
        return (cls.select().where(cls.profile == profile)
                .order_by(cls.opened_at.desc(), cls.id.desc()).first())

    @classmethod
    def open_queue(cls):
        """Open chats, those waiting for an answer first, the longest waiting first."""
        return (cls.select(cls, Profile, Subscription).join(Profile)
                .switch(cls).join(Subscription, on=(cls.subscription == Subscription.id),
                                  join_type=JOIN.LEFT_OUTER)
                .where(cls.state == support_rules.CHAT_OPEN)
                .order_by(cls.waiting.desc(), cls.last_message_at))

    def messages(self, after_id=0):
        return (ChatMessage.select(ChatMessage, StaffUser)
                .join(StaffUser, join_type=JOIN.LEFT_OUTER)
                .where((ChatMessage.chat == self) & (ChatMessage.id > after_id))
                .order_by(ChatMessage.id))

    def has_messages_after(self, message_id):
        return ChatMessage.select(ChatMessage.id).where(
            (ChatMessage.chat == self) & (ChatMessage.id > message_id)).exists()


class ChatMessage(BaseModel):
    chat = ForeignKeyField(Chat, backref="all_messages", on_delete="CASCADE")
    staff = ForeignKeyField(StaffUser, null=True, backref="messages", on_delete="SET NULL")
    from_staff = BooleanField(default=False)
    text = TextField()
    sent_at = MomentField()

    class Meta:
        indexes = ((("chat", "id"), False),)

    @classmethod
    def sent_by_profile_since(cls, profile, since):
        """When the profile's own messages (not the agents') were sent from `since` on."""
        return [row.sent_at for row in cls.select(cls.sent_at).join(Chat).where(
            (Chat.profile == profile) & (cls.from_staff == False)  # noqa: E712
            & (cls.sent_at >= since))]


class Technician(BaseModel):
    """A Home Internet technician whose day the visits fill."""

    name = CharField(max_length=100)
    active = BooleanField(default=True)

    @classmethod
    def booked(cls, since):
        """{technician id: [held visit starts from `since` on]} for every active technician
        (one query)."""
        booked = {}
        held = (Visit.held == True) & (Visit.starts_at >= since)  # noqa: E712
        query = (cls.select(cls.id, Visit.starts_at).join(
            Visit, JOIN.LEFT_OUTER, on=((Visit.technician == cls.id) & held))
            .where(cls.active).tuples())
        for technician_id, starts_at in query:
            visits = booked.setdefault(technician_id, [])
            if starts_at is not None:
                visits.append(starts_at)
        return booked


class Fault(BaseModel):
    """A Home Internet fault the subscriber reported: a request with states."""

    subscription = ForeignKeyField(Subscription, backref="faults", on_delete="CASCADE")
    problem = CharField(max_length=20)
    details = TextField(default="")
    since = DateField()
    state = CharField(max_length=20, default=support_rules.FAULT_REPORTED)
    created_at = MomentField()
    updated_at = MomentField()

    class Meta:
        indexes = ((("subscription", "created_at"), False), (("state", "updated_at"), False))

    @classmethod
    def has_open(cls, subscription):
        return cls.select().where((cls.subscription == subscription)
                                  & cls.state.in_(support_rules.FAULT_OPEN_STATES)).exists()

    @classmethod
    def of_profile(cls, profile):
        return (cls.select(cls, Subscription).join(Subscription)
                .where(Subscription.in_cabinet(profile))
                .order_by(cls.created_at.desc(), cls.id.desc()))

    @classmethod
    def open_queue(cls):
        """Open faults, those the team must act on (a new report, another slot asked for)
        first, the oldest first."""
        needs_offer = cls.state.in_((support_rules.FAULT_REPORTED, support_rules.FAULT_ANOTHER_ASKED))
        return (cls.select(cls, Subscription).join(Subscription)
                .where(cls.state.in_(support_rules.FAULT_OPEN_STATES))
                .order_by(needs_offer.desc(), cls.updated_at))

    def all_visits(self):
        return (Visit.select(Visit, Technician).join(Technician)
                .where(Visit.fault == self).order_by(Visit.offered_at, Visit.id))

    def current_visit(self):
        """The visit offered or confirmed now, if any."""
        return self.all_visits().where(Visit.held == True).first()  # noqa: E712


class Visit(BaseModel):
    """A technician's visit offered for a fault. While offered or confirmed it holds its
    slot (`held` true): a unique index on (technician, start, held) lets one slot of a
    technician be held once, even when two agents offer it at the same moment. A released
    visit sets `held` to NULL, which the index does not compare."""

    fault = ForeignKeyField(Fault, backref="visits", on_delete="CASCADE")
    technician = ForeignKeyField(Technician, backref="visits")
    starts_at = MomentField()
    # offered, confirmed, declined (another time asked for), done, cancelled
    state = CharField(max_length=12, default="offered")
    held = BooleanField(null=True, default=True)
    offered_by = ForeignKeyField(StaffUser, null=True, backref="offered_visits",
                                 on_delete="SET NULL")
    offered_at = MomentField()
    answered_at = MomentField(null=True)
    # which days and times suit, as the subscriber said when declining this one
    wish = CharField(max_length=support_rules.MAX_VISIT_WISH, default="")

    class Meta:
        indexes = ((("technician", "starts_at", "held"), True), (("fault", "offered_at"), False))
