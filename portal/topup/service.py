"""Card top-ups: the payment's steps, whatever the provider.

- The demo acquirer: a payment authorised on the card, its code sent by SMS to the paying
  phone, the hold captured and the money credited (a money event) once the code is right,
  or the payment cancelled and its hold released.
- LiqPay: a pending payment whose order id is its key, paid on LiqPay's page; its signed
  callback, or `status` asked by `reconcile-payments`, is applied once (`apply`).

Whatever says how a payment ended is applied under the target's and the payment's row
locks, from the states it may follow only, so a repeated, late or concurrent word credits
nothing more."""
from datetime import timedelta

from flask_babel import gettext as _

import models
from models import AutopayRule, OneTimeCode, Payment, SavedCard, Subscription
from rules import (
    autopay as autopay_rules,
    budget as budget_rules,
    liqpay as liqpay_rules,
    money as money_rules,
)
from rules.dates import local_day
from ..core import autopay as core_autopay, clock, metrics, money_events, security, sms
from ..core.formatting import phone, uah
from . import autopay, cards, liqpay
from .acquiring import Declined, provider, result_of

# A payment LiqPay has not called back about is asked after this long...
RECONCILE_AFTER = timedelta(minutes=2)
# ...and closed once LiqPay still does not know it after this long.
UNKNOWN_AFTER = timedelta(hours=24)


def purpose(payment):
    return f"topup:{payment.key}"


def cancel(payment, failure, state=Payment.CANCELLED, from_state=Payment.PENDING):
    """End a payment without money and release the card's hold (once)."""
    ended = Payment.update(state=state, failure=failure, completed_at=clock.now()).where(
        (Payment.id == payment.id) & (Payment.state == from_state)).execute()
    if ended and payment.provider == "demo":
        provider().void(payment.provider_reference)
        metrics.payment(payment.provider, state)
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
    metrics.payment(fresh.provider, Payment.CAPTURING)
    return True


def _cause(payment, card):
    if payment.autopay_rule:
        return money_events.Cause("topup", "topup", card, payment=True, receipt=lambda sub: _(
            "Automatic top-up of %(target)s by %(amount)s from the card %(card)s. Balance: "
            "%(balance)s.", target=phone(sub.number), amount=uah(payment.amount), card=card,
            balance=uah(sub.balance)))
    return money_events.Cause("topup", "topup", card, payment=True, receipt=lambda sub: _(
        "%(target)s is topped up by %(amount)s. Balance: %(balance)s.",
        target=phone(sub.number), amount=uah(payment.amount), balance=uah(sub.balance)))


def credit_captured(payment):
    """Credit a captured payment once, in one transaction under the target's lock: False
    when it was no longer being captured (credited meanwhile, by a request or by
    reconciliation)."""
    now = clock.now()
    with models.locking_transaction():
        target = Subscription.locked(payment.target_id)
        moved = Payment.update(state=Payment.SUCCEEDED, completed_at=now).where(
            (Payment.id == payment.id) & (Payment.state == Payment.CAPTURING)).execute()
        if not moved:
            return False
        money_events.credited(target, payment.amount, _cause(
            payment, f"{payment.card_brand.upper()} *{payment.card_last4}"), now,
            payment.reference)
        if payment.save_card:
            token, mask = provider().saved_card(payment)
            autopay.save_card(payment, target, token, mask)
    metrics.payment(payment.provider, Payment.SUCCEEDED)
    return True


def expire_payments(now):
    """Cancel every demo payment whose code expired unconfirmed and release its hold;
    returns how many."""
    stale = Payment.select().where((Payment.state == Payment.PENDING)
                                   & (Payment.provider == "demo")
                                   & Payment.autopay_rule.is_null()
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
        sent = sms.send_secret(payer, "top-up", issue, lambda code: _(
            "Code %(code)s confirms a top-up of %(amount)s to %(target)s from the card "
            "*%(last4)s. Never tell it to anyone.", code=code,
            amount=uah(payment_fields["amount"]), target=phone(target.number),
            last4=card.last4))
        metrics.payment(acquirer.name, Payment.PENDING)
        return sent
    except sms.NotSent as failure:
        if failure.issued is None:
            acquirer.void(payment_fields["provider_reference"])
        else:
            cancel(failure.issued[0], "sms")
        raise


def lapse_if_expired(payment, now):
    """A pending demo payment whose code has expired lapses when it is looked at."""
    if (payment.state == Payment.PENDING and payment.provider == "demo"
            and payment.created_at + security.CODE_LIFETIME <= now):
        cancel(payment, "expired")


# --- LiqPay --------------------------------------------------------------------------------

def start_hosted(target, amount, profile_id, payer, save_card, language):
    """A pending payment at LiqPay's checkout: (the payment, the checkout form)."""
    hosted = provider()
    order_id = liqpay.new_order_id()
    payment = Payment.create(key=order_id, target=target, profile=profile_id,
                             payer_phone=payer or "", amount=amount, card_brand="liqpay",
                             card_last4="", provider=hosted.name, provider_reference="",
                             created_at=clock.now(), save_card=save_card)
    checkout = hosted.client.checkout(
        order_id=order_id, kopiyky=amount, language=language, save_card=save_card,
        description=_("Top-up of %(target)s", target=phone(target.number)),
        result_url=hosted.result_url(order_id), server_url=hosted.callback_url)
    return payment, checkout


def callback(data, signature):
    """LiqPay's callback: the payment's state after it is applied, or liqpay.Refused (the
    caller answers 400 and writes an audit line)."""
    notice = provider().client.callback(data, signature)
    payment = Payment.get_or_none((Payment.key == notice.order_id)
                                  & (Payment.provider == "liqpay"))
    if payment is None:
        raise liqpay.UnknownOrder(notice.order_id[:80])
    notice.require_order(payment.amount)
    return apply(payment, result_of(notice), notice.summary())


def _mask_digits(mask):
    return (mask or "").rpartition("*")[2][-4:]


def apply(payment, result, summary=""):
    """What the provider said about `payment` (a `Result`), applied once: PAID credits a
    pending payment (or one closed as unknown: LiqPay took the money after all), FAILED
    closes a pending one, REVERSED takes a credited payment's money back; anything else
    changes nothing. A word that contradicts a final state (a "success" after a
    "failure") changes nothing either and leaves an audit line for the staff. Returns the
    state after."""
    now = clock.now()
    with models.locking_transaction():
        target = Subscription.locked(payment.target_id)
        fresh = Payment.locked(payment.id)
        after = _settle(fresh, target, result, summary, now)
    if after != fresh.state:
        metrics.payment(fresh.provider, after)
    return after


def _settle(fresh, target, result, summary, now):
    """apply()'s decision and writes, under the locks of the payment and its target."""
    state, outcome = fresh.state, result.outcome
    open_ = state in (Payment.PENDING, Payment.QUEUED)
    if outcome == liqpay_rules.PAID and (open_ or (state == Payment.CANCELLED
                                                   and fresh.failure == "unknown")):
        _paid(fresh, target, result, now)
        return Payment.SUCCEEDED
    if outcome == liqpay_rules.FAILED and open_:
        Payment.update(state=Payment.FAILED, failure=result.failure or "declined",
                       completed_at=now).where(Payment.id == fresh.id).execute()
        if fresh.autopay_rule:
            autopay.failed(fresh, target)
        return Payment.FAILED
    if outcome == liqpay_rules.REVERSED and state == Payment.SUCCEEDED:
        _reversed(fresh, target, now)
        return Payment.REVERSED
    if outcome == liqpay_rules.REVERSED and open_:
        Payment.update(state=Payment.FAILED, failure="reversed",
                       completed_at=now).where(Payment.id == fresh.id).execute()
        return Payment.FAILED
    settled = {liqpay_rules.PAID: Payment.SUCCEEDED, liqpay_rules.FAILED: Payment.FAILED,
               liqpay_rules.REVERSED: Payment.REVERSED}
    if outcome in settled and settled[outcome] != state:
        security.audit("payment_conflict", profile=fresh.profile_id,
                       subject=target.number,
                       details=f"{fresh.reference} is {state}; the provider says "
                               f"{outcome}: {summary}")
    return state


def _paid(payment, target, result, now):
    digits = _mask_digits(result.card_mask) or payment.card_last4
    Payment.update(state=Payment.SUCCEEDED, completed_at=now, card_last4=digits,
                   provider_reference=(result.reference or payment.provider_reference)[:64]
                   ).where(Payment.id == payment.id).execute()
    card = result.card_mask or f"{payment.card_brand.upper()} *{digits}"
    money_events.credited(target, payment.amount, _cause(payment, card), now,
                          payment.reference)
    if payment.save_card and result.card_token:
        autopay.save_card(payment, target, result.card_token, result.card_mask or card)
    if payment.autopay_rule:
        AutopayRule.update(failures=0).where(AutopayRule.id == payment.autopay_rule).execute()


def _reversed(payment, target, now):
    """LiqPay refunded the payer: the credit is taken back through the ledger, and the
    subscriber told."""
    Payment.update(state=Payment.REVERSED, completed_at=now).where(
        Payment.id == payment.id).execute()
    money_events.debited(target, payment.amount, money_events.Cause(
        "topup_reversed", "topup", f"{payment.card_brand.upper()} *{payment.card_last4}",
        receipt=lambda sub: _(
            "The card payment of %(amount)s to %(target)s was returned to the card, so it is "
            "taken off the balance. Balance: %(balance)s.", amount=uah(payment.amount),
            target=phone(sub.number), balance=uah(sub.balance))),
        now, f"{payment.reference}:reversed")


# --- Reconciliation --------------------------------------------------------------------------

def reconcile(now):
    """What `reconcile-payments` does each minute; returns counts by what happened:
    demo codes that expired, demo payments stuck capturing taken again, and every LiqPay
    payment pending for RECONCILE_AFTER asked of LiqPay and applied as its callback would
    be (less often as they age: rules.liqpay.status_due); those LiqPay still does not know
    after UNKNOWN_AFTER are closed."""
    counts = {"expired": expire_payments(now)}

    def count(what):
        counts[what] = counts.get(what, 0) + 1

    acquirer = provider()
    if acquirer is None:
        return counts
    stale = now - RECONCILE_AFTER
    if not acquirer.hosted:
        for payment in list(Payment.select().where((Payment.state == Payment.CAPTURING)
                                                   & (Payment.created_at <= stale))):
            try:
                acquirer.capture(payment.provider_reference, payment.amount)
            except Declined:
                cancel(payment, "declined", state=Payment.FAILED, from_state=Payment.CAPTURING)
                count(Payment.FAILED)
                continue
            count(Payment.SUCCEEDED if credit_captured(payment) else "unchanged")
        return counts
    asked = Payment.select().where((Payment.state == Payment.PENDING)
                                   & (Payment.provider == acquirer.name)
                                   & (Payment.created_at <= stale))
    for payment in list(asked):
        age = now - payment.created_at
        if age < UNKNOWN_AFTER and not liqpay_rules.status_due(int(age.total_seconds() // 60)):
            continue
        count(_reconcile_one(acquirer.client, payment, now))
    return counts


def _reconcile_one(client, payment, now):
    try:
        notice = client.status(payment.key)
        notice.require_order(payment.amount)
    except liqpay.OrderNotFound:
        if payment.created_at > now - UNKNOWN_AFTER:
            return "waiting"
        closed = Payment.update(state=Payment.CANCELLED, failure="unknown",
                                completed_at=now).where(
            (Payment.id == payment.id) & (Payment.state == Payment.PENDING)).execute()
        return "closed" if closed else "unchanged"
    except liqpay.Refused as refused:
        security.audit("payment_status_refused", profile=payment.profile_id,
                       details=f"{payment.reference}: {refused.code} {refused.detail}"[:500])
        return "unanswered"
    except liqpay.ApiError as error:
        security.audit("payment_status_unanswered", profile=payment.profile_id,
                       details=f"{payment.reference}: {error.code} {error}"[:500])
        return "unanswered"
    before = payment.state
    after = apply(payment, result_of(notice), notice.summary())
    return after if after != before else "waiting"


# --- Autopay's charges -----------------------------------------------------------------------

def charge_queued(now):
    """Charge every queued automatic top-up with its number's saved card (the `autopay`
    command, after `autopay.enqueue_monthly`); returns counts by the state each ended in.
    An attempt whose card, rule or caps no longer allow it is cancelled unpaid."""
    acquirer = provider()
    counts = {}
    for payment in list(Payment.select().where(Payment.state == Payment.QUEUED)):
        token = _claim(payment, acquirer, now)
        if token is None:
            state = Payment.CANCELLED
        else:
            with sms.language_of(payment.target.number):
                description = _("Automatic top-up of %(target)s",
                                target=phone(payment.target.number))
            result = acquirer.charge_saved(token, payment.amount, payment.key, description)
            state = apply(payment, result, f"order={payment.key} outcome={result.outcome}")
        counts[state] = counts.get(state, 0) + 1
    return counts


def _claim(payment, acquirer, now):
    """Under the number's lock: the attempt moves from queued to pending and the card's
    token comes back, or it is cancelled (None) when its rule is paused or gone, the card
    is gone or not the cabinet's, the provider is another, or a cap is reached."""
    with models.locking_transaction():
        target = Subscription.locked(payment.target_id)
        fresh = Payment.locked(payment.id)
        if fresh.state != Payment.QUEUED:
            return None
        card = SavedCard.get_or_none(SavedCard.subscription == target.id)
        rule = AutopayRule.get_or_none(AutopayRule.id == fresh.autopay_rule)
        token = cards.decrypt(card.token) if card is not None else None
        count, total = core_autopay.month_used(target.id, local_day(now))
        failure = ""
        if rule is None or rule.paused:
            failure = "paused"
        elif token is None or card.profile_id != target.profile_id or acquirer is None \
                or card.provider != acquirer.name:
            failure = "card"
        elif not autopay_rules.within_caps(core_autopay.caps(), count - 1,
                                           total - fresh.amount, fresh.amount):
            failure = "cap"
        else:
            try:
                money_rules.check_topup_amount(fresh.amount,
                                               Payment.paid_today(target.id, local_day(now)))
            except money_rules.MoneyError:
                failure = "cap"
        if failure:
            cancel(fresh, failure, from_state=Payment.QUEUED)
            return None
        Payment.update(state=Payment.PENDING, provider_reference="").where(
            Payment.id == fresh.id).execute()
    return token
