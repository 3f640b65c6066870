"""Services, tariffs and the requests that change them: who may do what, and when.

Each check returns None when the change is allowed, or a `Refusal` whose `code` names the
reason and whose fields carry the numbers a translated message needs.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import states

MOBILE = "mobile"
HOME_INTERNET = "home_internet"


# Request kinds: what a subscriber asked for.
SERVICE_CONNECT = "service_connect"
SERVICE_DISCONNECT = "service_disconnect"
TARIFF_SWITCH = "tariff_switch"
SIM_BLOCK = "sim_block"
SIM_UNBLOCK = "sim_unblock"
PAUSE = "pause"
RESUME = "resume"
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
    state             the subscription's state does not allow it (`state` says which:
                      rules.states)
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
    state: str = ""
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

    @property
    def state(self):
        return states.state_of(self.status, self.sim_blocked)


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


def _state_refusal(action, subscriber):
    refused = states.refusal(action, subscriber.state)
    if refused is None:
        return None
    if refused.code == "state":
        return Refusal("state", state=subscriber.state)
    return Refusal(refused.code)


def can_connect(subscriber, service, connected):
    """Connect `service`; `connected` is the set of codes connected already."""
    if service.kind != subscriber.kind:
        return Refusal("wrong_kind")
    refused = _state_refusal(states.SERVICE_CONNECT, subscriber)
    if refused:
        return refused
    if service.code in connected:
        return Refusal("already")
    return _balance_short(subscriber, service.fee)


def can_disconnect(subscriber, service, connected):
    """Disconnecting is free and allowed whatever the balance, so a subscriber in debt
    can still stop paying for a service; only a closed subscription cannot change."""
    if service.code not in connected:
        return Refusal("not_connected")
    return _state_refusal(states.SERVICE_DISCONNECT, subscriber)


def can_switch_tariff(subscriber, tariff, last_switch_at, now):
    """Switch to `tariff`; `last_switch_at` is when the last switch was done (or None)."""
    if tariff.code == subscriber.tariff:
        return Refusal("already")
    if tariff.kind != subscriber.kind:
        return Refusal("wrong_kind")
    if tariff.payment and tariff.payment != subscriber.payment:
        return Refusal("wrong_payment")
    refused = _state_refusal(states.TARIFF_SWITCH, subscriber)
    if refused:
        return refused
    if last_switch_at is not None and now < last_switch_at + SWITCH_INTERVAL:
        return Refusal("too_soon", allowed_at=last_switch_at + SWITCH_INTERVAL)
    return _balance_short(subscriber, tariff.fee)


def _no_pending(pending_kinds, kinds):
    if set(pending_kinds) & set(kinds):
        return Refusal("pending")
    return None


def can_block_sim(subscriber, pending_kinds=()):
    """A temporary block of a mobile number's SIM (a lost or stolen phone): allowed in any
    state but closed, even in debt, since it protects the subscriber."""
    if subscriber.kind != MOBILE:
        return Refusal("wrong_kind")
    return (_state_refusal(states.SIM_BLOCK, subscriber)
            or _no_pending(pending_kinds, (SIM_BLOCK, SIM_UNBLOCK)))


def can_unblock_sim(subscriber, pending_kinds=()):
    if subscriber.kind != MOBILE:
        return Refusal("wrong_kind")
    return (_state_refusal(states.SIM_UNBLOCK, subscriber)
            or _no_pending(pending_kinds, (SIM_BLOCK, SIM_UNBLOCK)))


def can_pause(subscriber, pending_kinds=()):
    """Pause a number or a Home Internet account at the subscriber's request (no fee, no
    bonuses for the days paused)."""
    return (_state_refusal(states.PAUSE, subscriber)
            or _no_pending(pending_kinds, (PAUSE, RESUME)))


def can_resume(subscriber, pending_kinds=()):
    return (_state_refusal(states.RESUME, subscriber)
            or _no_pending(pending_kinds, (PAUSE, RESUME)))


DEFERRED_CHECKS = {SIM_BLOCK: can_block_sim, SIM_UNBLOCK: can_unblock_sim,
                   PAUSE: can_pause, RESUME: can_resume}


def check_deferred(kind, subscriber, pending_kinds=()):
    """The eligibility check of a deferred request kind."""
    return DEFERRED_CHECKS[kind](subscriber, pending_kinds)


def status_after(kind, status):
    """The subscription's status once a deferred request is done."""
    return {PAUSE: states.SUSPENDED, RESUME: states.ACTIVE}.get(kind, status)


def sim_blocked_after(kind, sim_blocked):
    """Whether the SIM is blocked once a deferred request is done."""
    return {SIM_BLOCK: True, SIM_UNBLOCK: False}.get(kind, sim_blocked)


def can_transition(state, new_state):
    return new_state in TRANSITIONS.get(state, ())


def due_at(created_at):
    """When a deferred request is to be done."""
    return created_at + PROCESSING_DELAY


# A tariff switch's fee as its usage record names it (in Ukrainian, like the billing's feed;
# the expenses report puts it in the reader's language).
SWITCH_COUNTERPART = "Перехід на тариф «{}»"
