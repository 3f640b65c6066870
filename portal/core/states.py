"""The states of a number in the subscriber's words: why an action is refused and what
to do about it, and the state's one next step for the dashboard (rules.states)."""
from flask_babel import gettext as _, lazy_gettext as _l

from models import LedgerEntry, ServiceInterruption, Subscription
from rules import states as states_rules
from rules.dates import local_day
from . import sms
from .formatting import phone, uah

DEBT_UNBLOCK = "debt_unblock"  # the ledger's record of a block lifted by a payment

LABELS = {
    states_rules.ACTIVE: _l("Active"),
    states_rules.SUSPENDED: _l("Paused at your request"),
    states_rules.DEBT_BLOCKED: _l("Blocked for debt"),
    states_rules.SIM_BLOCKED: _l("SIM card blocked at your request"),
    states_rules.CLOSED: _l("Closed"),
}

# Why the number itself cannot do it now, and what to do.
OWN = {
    states_rules.SUSPENDED: lambda sub: _("This number is paused at your request. Resume it first.")
    if sub.is_mobile else _("This Home Internet account is paused at your request. Resume it "
                            "first."),
    states_rules.DEBT_BLOCKED: lambda sub: _(
        "This number is blocked for debt. Top it up by %(due)s and it works again at once.",
        due=uah(states_rules.amount_due(sub.balance))) if sub.is_mobile else _(
        "This Home Internet account is blocked for debt. Top it up by %(due)s and it works "
        "again at once.", due=uah(states_rules.amount_due(sub.balance))),
    states_rules.SIM_BLOCKED: lambda sub: _("The SIM card of this number is blocked at your request. "
                                      "Unblock it first."),
    states_rules.CLOSED: lambda sub: _("This number is closed.") if sub.is_mobile
    else _("This Home Internet account is closed."),
}
# Why another number (given as '+380…') cannot receive it now.
OTHER = {
    states_rules.SUSPENDED: lambda number: _("%(number)s is paused and cannot receive it now.",
                                       number=phone(number)),
    states_rules.DEBT_BLOCKED: lambda number: _("%(number)s is blocked for debt and cannot receive "
                                          "it now.", number=phone(number)),
    states_rules.SIM_BLOCKED: lambda number: _("The SIM card of %(number)s is blocked: it cannot "
                                         "receive it now.", number=phone(number)),
    states_rules.CLOSED: lambda number: _("%(number)s is closed.", number=phone(number)),
}
OTHER_CODES = {
    "already": {states_rules.PAUSE: _l("The service is paused already."),
                states_rules.SIM_BLOCK: _l("The SIM card is blocked already.")},
    "not_paused": _l("The service is not paused."),
    "not_blocked": _l("The SIM card is not blocked."),
}


def refusal_message(refused, subscription):
    """A rules.states.StateRefusal of the number acting, in the subscriber's words."""
    if refused.code == "state":
        return OWN[refused.state](subscription)
    message = OTHER_CODES[refused.code]
    return str(message[refused.action] if isinstance(message, dict) else message)


def own_refusal(action, subscription):
    """Why `subscription` may not take `action` now (None when it may)."""
    refused = states_rules.refusal(action, subscription.state)
    return refusal_message(refused, subscription) if refused else None


def next_step(subscription):
    """The dashboard's one step out of the number's state, or None: {'action', 'due'}."""
    step = states_rules.next_step(subscription.state)
    if step is None:
        return None
    return {"action": step, "due": states_rules.amount_due(subscription.balance)}


def lift_paid_debt_block(subscription, now, reference):
    """Money was just credited to `subscription` (locked, in the caller's transaction): when
    it pays off a debt block, the block is lifted at once, with a ledger record under the
    payment's `reference` and an SMS. The subscriber feed stays the authority: its next
    import may set any status again. Returns True when the block was lifted."""
    if not states_rules.unblocked_by(subscription.status, subscription.balance):
        return False
    Subscription.update(status=states_rules.ACTIVE, updated_at=now).where(
        Subscription.id == subscription.id).execute()
    subscription.status = states_rules.ACTIVE
    ServiceInterruption.track(subscription.id, states_rules.ACTIVE, local_day(now))
    LedgerEntry.post(subscription, DEBT_UNBLOCK, now, reference=reference)
    to = subscription.sms_phone()
    if to:
        with sms.language_of(to):
            sms.send(to, _("%(number)s works again: the debt is paid. Balance: %(balance)s.",
                           number=phone(subscription.number), balance=uah(subscription.balance)))
    return True


def lifted_by(reference):
    """Whether the payment or transfer `reference` lifted a debt block."""
    return LedgerEntry.select().where((LedgerEntry.reference == reference)
                                      & (LedgerEntry.kind == DEBT_UNBLOCK)).exists()
