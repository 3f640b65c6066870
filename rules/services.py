"""Services, tariffs and the requests that change them: who may do what, and when.

Each check returns None when the change is allowed, or a `Refusal` whose `code` names the
reason and whose fields carry the numbers a translated message needs.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

MOBILE = "mobile"
HOME_INTERNET = "home_internet"

ACTIVE = "active"
SUSPENDED = "suspended"
DEBT_BLOCKED = "debt_blocked"
CLOSED = "closed"

# Request kinds: what a subscriber asked for.
SERVICE_CONNECT = "service_connect"
SERVICE_DISCONNECT = "service_disconnect"
TARIFF_SWITCH = "tariff_switch"
SIM_BLOCK = "sim_block"
SIM_UNBLOCK = "sim_unblock"
PAUSE = "pause"
RESUME = "resume"
REQUEST_KINDS = (SERVICE_CONNECT, SERVICE_DISCONNECT, TARIFF_SWITCH, SIM_BLOCK, SIM_UNBLOCK,
                 PAUSE, RESUME)
# Done by the network some time later, not at once (the operator: "within half an hour").
DEFERRED_KINDS = (SIM_BLOCK, SIM_UNBLOCK, PAUSE, RESUME)

# Request states and the moves between them.
PENDING = "pending"
DONE = "done"
REJECTED = "rejected"
STATES = (PENDING, DONE, REJECTED)
TRANSITIONS = {PENDING: (DONE, REJECTED), DONE: (), REJECTED: ()}

PROCESSING_DELAY = timedelta(minutes=30)
SWITCH_INTERVAL = timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    """Why a change is refused. `code` is one of:

    wrong_kind        the service or tariff is for another kind of subscription
    wrong_payment     the tariff is for another payment type (prepaid / contract)
    status            the subscription's status does not allow it (`status` says which)
    already           it is already so (connected, on this tariff, blocked, paused)
    not_connected     the service is not connected
    not_blocked       the SIM is not blocked
    not_paused        the service is not paused
    balance           the balance is short of the fee (`fee`, `balance`, `missing`)
    too_soon          the tariff was switched less than a day ago (`allowed_at`)
    pending           a request of the same sort is still pending
    """

    code: str
    fee: int = 0
    balance: int = 0
    missing: int = 0
    status: str = ""
    allowed_at: datetime | None = None


@dataclass(frozen=True)
class Subscriber:
    """What the rules need to know of a subscription."""

    kind: str
    status: str
    payment: str
    balance: int  # kopiyky
    tariff: str = ""
    sim_blocked: bool = False


@dataclass(frozen=True)
class Offer:
    """A service or a tariff as the rules see it."""

    code: str
    kind: str
    fee: int = 0  # what the change costs now, kopiyky
    payment: str = ""  # '' for any payment type


def _balance_short(subscriber, fee):
    if fee > 0 and subscriber.balance < fee:
        return Refusal("balance", fee=fee, balance=subscriber.balance,
                       missing=fee - subscriber.balance)
    return None


def can_connect(subscriber, service, connected):
    """Connect `service`; `connected` is the set of codes connected already."""
    if service.kind != subscriber.kind:
        return Refusal("wrong_kind")
    if subscriber.status != ACTIVE:
        return Refusal("status", status=subscriber.status)
    if service.code in connected:
        return Refusal("already")
    return _balance_short(subscriber, service.fee)


def can_disconnect(subscriber, service, connected):
    """Disconnecting is free and allowed whatever the balance, so a subscriber in debt
    can still stop paying for a service; only a closed subscription cannot change."""
    if service.code not in connected:
        return Refusal("not_connected")
    if subscriber.status == CLOSED:
        return Refusal("status", status=subscriber.status)
    return None


def can_switch_tariff(subscriber, tariff, last_switch_at, now):
    """Switch to `tariff`; `last_switch_at` is when the last switch was done (or None)."""
    if tariff.code == subscriber.tariff:
        return Refusal("already")
    if tariff.kind != subscriber.kind:
        return Refusal("wrong_kind")
    if tariff.payment and tariff.payment != subscriber.payment:
        return Refusal("wrong_payment")
    if subscriber.status != ACTIVE:
        return Refusal("status", status=subscriber.status)
    if last_switch_at is not None and now < last_switch_at + SWITCH_INTERVAL:
        return Refusal("too_soon", allowed_at=last_switch_at + SWITCH_INTERVAL)
    return _balance_short(subscriber, tariff.fee)


def _no_pending(pending_kinds, kinds):
    if set(pending_kinds) & set(kinds):
        return Refusal("pending")
    return None


def can_block_sim(subscriber, pending_kinds=()):
    """A temporary block of a mobile number's SIM (a lost or stolen phone): allowed in any
    status but closed, even in debt, since it protects the subscriber."""
    if subscriber.kind != MOBILE:
        return Refusal("wrong_kind")
    if subscriber.status == CLOSED:
        return Refusal("status", status=subscriber.status)
    if subscriber.sim_blocked:
        return Refusal("already")
    return _no_pending(pending_kinds, (SIM_BLOCK, SIM_UNBLOCK))


def can_unblock_sim(subscriber, pending_kinds=()):
    if subscriber.kind != MOBILE:
        return Refusal("wrong_kind")
    if subscriber.status == CLOSED:
        return Refusal("status", status=subscriber.status)
    if not subscriber.sim_blocked:
        return Refusal("not_blocked")
    return _no_pending(pending_kinds, (SIM_BLOCK, SIM_UNBLOCK))


def can_pause(subscriber, pending_kinds=()):
    """Pause a Home Internet service at the subscriber's request (no fee, no bonuses)."""
    if subscriber.kind != HOME_INTERNET:
        return Refusal("wrong_kind")
    if subscriber.status == SUSPENDED:
        return Refusal("already")
    if subscriber.status != ACTIVE:
        return Refusal("status", status=subscriber.status)
    return _no_pending(pending_kinds, (PAUSE, RESUME))


def can_resume(subscriber, pending_kinds=()):
    if subscriber.kind != HOME_INTERNET:
        return Refusal("wrong_kind")
    if subscriber.status != SUSPENDED:
        return Refusal("not_paused")
    return _no_pending(pending_kinds, (PAUSE, RESUME))


DEFERRED_CHECKS = {SIM_BLOCK: can_block_sim, SIM_UNBLOCK: can_unblock_sim,
                   PAUSE: can_pause, RESUME: can_resume}


def check_deferred(kind, subscriber, pending_kinds=()):
    """The eligibility check of a deferred request kind."""
    return DEFERRED_CHECKS[kind](subscriber, pending_kinds)


def status_after(kind, status):
    """The subscription's status once a deferred request is done."""
    return {PAUSE: SUSPENDED, RESUME: ACTIVE}.get(kind, status)


def can_transition(state, new_state):
    return new_state in TRANSITIONS.get(state, ())


def due_at(created_at):
    """When a deferred request is to be done."""
    return created_at + PROCESSING_DELAY
