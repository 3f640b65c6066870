"""The states a number or a Home Internet account is in, and what each state allows.

A subscription is in exactly one state. The subscriber feed gives its status (active,
suspended, debt_blocked, closed); a temporary SIM block the subscriber asked for comes from
the portal's requests. Where two hold at once, the one to deal with first wins: a closed
number is closed, a blocked SIM (a lost phone) comes before a debt, a debt before a pause.

Every page and command that acts on a number asks `refusal(action, state)`: None when the
state allows the action, else a StateRefusal whose code says why, and `next_step(state)`
names the one step that moves the number on."""
from dataclasses import dataclass

ACTIVE = "active"
SUSPENDED = "suspended"  # paused at the subscriber's request
DEBT_BLOCKED = "debt_blocked"
SIM_BLOCKED = "sim_blocked"  # a temporary SIM block the subscriber asked for
CLOSED = "closed"
STATES = (ACTIVE, SUSPENDED, DEBT_BLOCKED, SIM_BLOCKED, CLOSED)

# What a subscriber (or anyone, for a top-up) may do to or with a number.
TOP_UP = "top_up"
TRANSFER_OUT = "transfer_out"  # send money from it
TRANSFER_IN = "transfer_in"  # receive money sent from another number
BONUS_OUT = "bonus_out"  # move Home Internet bonuses from it
BONUS_IN = "bonus_in"  # receive moved bonuses
SMS_OUT = "sms_out"  # send a free SMS from it
SMS_IN = "sms_in"  # receive a free SMS
SERVICE_CONNECT = "service_connect"
SERVICE_DISCONNECT = "service_disconnect"
TARIFF_SWITCH = "tariff_switch"
CABINET_ADD = "cabinet_add"  # add it to a cabinet
CABINET_REMOVE = "cabinet_remove"  # take it out of a cabinet
PAUSE = "pause"
RESUME = "resume"
SIM_BLOCK = "sim_block"
SIM_UNBLOCK = "sim_unblock"
CREDIT = "credit"  # take a self-service credit
ACTIONS = (TOP_UP, TRANSFER_OUT, TRANSFER_IN, BONUS_OUT, BONUS_IN, SMS_OUT, SMS_IN,
           SERVICE_CONNECT, SERVICE_DISCONNECT, TARIFF_SWITCH, CABINET_ADD, CABINET_REMOVE,
           PAUSE, RESUME, SIM_BLOCK, SIM_UNBLOCK, CREDIT)

_ALL = frozenset(ACTIONS)
# What each state allows. A debt block keeps the ways out of it (a top-up, money received)
# and what protects the subscriber (a SIM block, stopping a paid service); the guide lets
# a blocked Home Internet account still move its bonuses, and forbids it when paused.
# A self-service credit (CREDIT) is the way out of a debt too: one that brings the balance
# to zero or more lifts the block, like a payment; a paused or SIM-blocked number takes none.
ALLOWED = {
    ACTIVE: _ALL - {RESUME, SIM_UNBLOCK},
    SUSPENDED: frozenset({TOP_UP, TRANSFER_IN, SERVICE_DISCONNECT, CABINET_ADD, CABINET_REMOVE,
                          RESUME, SIM_BLOCK}),
    DEBT_BLOCKED: frozenset({TOP_UP, TRANSFER_IN, BONUS_OUT, BONUS_IN, SMS_IN,
                             SERVICE_DISCONNECT, CABINET_ADD, CABINET_REMOVE, SIM_BLOCK,
                             CREDIT}),
    SIM_BLOCKED: frozenset({TOP_UP, TRANSFER_IN, SERVICE_DISCONNECT, CABINET_ADD,
                            CABINET_REMOVE, SIM_UNBLOCK}),
    CLOSED: frozenset({CABINET_REMOVE}),
}

# The one step that moves a number on from its state (None: nothing to do).
NEXT_STEP = {ACTIVE: None, SUSPENDED: RESUME, DEBT_BLOCKED: TOP_UP, SIM_BLOCKED: SIM_UNBLOCK,
             CLOSED: None}


@dataclass(frozen=True)
class StateRefusal(Exception):
    """`action` refused in `state`. `code`: 'state' (the state forbids it: the message says
    the state and its next step), 'already' (a pause of a paused number, a block of a
    blocked SIM), 'not_paused', 'not_blocked' (nothing to resume or unblock)."""

    code: str
    action: str
    state: str


def state_of(status, sim_blocked=False):
    """The one state of a subscription with the feed's `status` and a SIM block or not."""
    if status == CLOSED:
        return CLOSED
    if sim_blocked:
        return SIM_BLOCKED
    if status in (DEBT_BLOCKED, SUSPENDED):
        return status
    return ACTIVE


def refusal(action, state):
    """None when `state` allows `action`, else the StateRefusal that says why."""
    if action in ALLOWED[state]:
        return None
    if (action, state) in ((PAUSE, SUSPENDED), (SIM_BLOCK, SIM_BLOCKED)):
        return StateRefusal("already", action, state)
    if action == RESUME and state in (ACTIVE, DEBT_BLOCKED):
        return StateRefusal("not_paused", action, state)
    if action == SIM_UNBLOCK and state in (ACTIVE, SUSPENDED, DEBT_BLOCKED):
        return StateRefusal("not_blocked", action, state)
    return StateRefusal("state", action, state)


def check(action, state):
    """Raise the StateRefusal of `action` in `state`, if any."""
    refused = refusal(action, state)
    if refused is not None:
        raise refused


def next_step(state):
    return NEXT_STEP[state]


def amount_due(balance):
    """What a debt-blocked number must be paid to work again: its debt, in kopiyky."""
    return max(0, -balance)


def unblocked_by(status, balance_after):
    """A payment that brings a number blocked for debt (its feed status) to zero or more
    lifts the block."""
    return status == DEBT_BLOCKED and balance_after >= 0
