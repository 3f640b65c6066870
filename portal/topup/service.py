"""Card top-ups: a payment authorised on the card, its code sent by SMS to the paying phone,
the hold captured and the money credited (a money event) once the code is right, or the
payment cancelled and its hold released."""
from flask_babel import gettext as _

import models
from models import OneTimeCode, Payment, Subscription
from rules import budget as budget_rules, money as money_rules
from ..core import clock, money_events, security, sms
from ..core.formatting import phone, uah
from .acquiring import provider


def purpose(payment):
    return f"topup:{payment.key}"


def cancel(payment, failure, state=Payment.CANCELLED, from_state=Payment.PENDING):
    """End a payment without money and release the card's hold (once)."""
    ended = Payment.update(state=state, failure=failure, completed_at=clock.now()).where(
        (Payment.id == payment.id) & (Payment.state == from_state)).execute()
    if ended:
        provider().void(payment.provider_reference)
    payment.state, payment.failure = state, failure


def reserve(payment):
    """Hold the payment's place under the day's cap, under the target's row lock, before
    the money is captured (never inside that lock: the provider may be slow). False when
    the cap is reached meanwhile, or the payment is no longer pending."""
    with models.locking_transaction():
        Subscription.locked(payment.target_id)
        fresh = Payment.locked(payment.id)
        if fresh.state != Payment.PENDING:
            return False
        try:
            money_rules.check_topup_amount(fresh.amount, Payment.paid_today(fresh.target_id,
                                                                            clock.today()))
        except money_rules.MoneyError:
            return False
        Payment.update(state=Payment.CAPTURING).where(Payment.id == fresh.id).execute()
    return True


def credit_captured(payment):
    """Credit a captured payment, in one transaction under the target's lock."""
    now = clock.now()
    with models.locking_transaction():
        target = Subscription.locked(payment.target_id)
        Payment.update(state=Payment.SUCCEEDED, completed_at=now).where(
            Payment.id == payment.id).execute()
        money_events.credited(target, payment.amount, money_events.Cause(
            "topup", "topup", f"{payment.card_brand.upper()} *{payment.card_last4}",
            payment=True, receipt=lambda sub: _(
                "%(target)s is topped up by %(amount)s. Balance: %(balance)s.",
                target=phone(sub.number), amount=uah(payment.amount),
                balance=uah(sub.balance))), now, payment.reference)


def expire_payments(now):
    """Cancel every payment whose code expired unconfirmed and release its hold; returns
    how many."""
    stale = Payment.select().where((Payment.state == Payment.PENDING)
                                   & (Payment.created_at <= now - security.CODE_LIFETIME))
    count = 0
    for payment in list(stale):
        cancel(payment, "expired")
        count += 1
    return count


def asked_from(payment, nonce):
    """The payment's code was asked for by the browser holding `nonce`."""
    return bool(nonce) and OneTimeCode.select().where(
        (OneTimeCode.reference == payment.key) & (OneTimeCode.nonce == nonce)).exists()


def check_payer_budget(payer, target):
    """In the code's transaction: the payer's payments still waiting for their code are
    its budget (rules.budget.check_open_top_ups), counted under the payer's lock on any
    number of servers. BudgetRefused."""
    now = clock.now()
    models.lock_name(f"payer:{payer}")
    open_payments = Payment.select(Payment.target, Payment.created_at).where(
        (Payment.payer_phone == payer) & (Payment.state == Payment.PENDING)
        & (Payment.created_at > now - security.CODE_LIFETIME)).tuples()
    budget_rules.check_open_top_ups(list(open_payments), target.id, now,
                                    security.CODE_LIFETIME)


def send_code(payment_fields, target, card, payer, acquirer):
    """The pending payment and its code, sent by SMS to `payer` (sms.send_secret): returns
    (the payment, the code's nonce for the browser that asked). When the budget refuses the
    SMS nothing is kept and the card's hold is released; when the gateway fails the payment
    is cancelled (sms.NotSent either way)."""
    def issue():
        check_payer_budget(payer, target)
        payment = Payment.create(target=target, payer_phone=payer, card_brand=card.brand,
                                 card_last4=card.last4, provider=acquirer.name,
                                 created_at=clock.now(), **payment_fields)
        code, nonce = security.issue_code(purpose(payment), payer, reference=payment.key,
                                          nonce=security.browser_nonce())
        return code, (payment, nonce)

    try:
        return sms.send_secret(payer, "top-up", issue, lambda code: _(
            "Code %(code)s confirms a top-up of %(amount)s to %(target)s from the card "
            "*%(last4)s. Never tell it to anyone.", code=code,
            amount=uah(payment_fields["amount"]), target=phone(target.number),
            last4=card.last4))
    except sms.NotSent as failure:
        if failure.issued is None:
            acquirer.void(payment_fields["provider_reference"])
        else:
            cancel(failure.issued[0], "sms")
        raise


def lapse_if_expired(payment, now):
    """A pending payment whose code has expired lapses when it is looked at."""
    if payment.state == Payment.PENDING and payment.created_at + security.CODE_LIFETIME <= now:
        cancel(payment, "expired")
