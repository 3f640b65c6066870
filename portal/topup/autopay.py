"""Autopay ("автопоповнення") with a saved card: the card kept from a paid top-up, the two
rules of a mobile number (`/settings/autopay`), the monthly rules made due, and what a
failed attempt does. The trigger on debits is the core's (portal/core/autopay.py); the
charge itself is the top-up's (service.charge_queued)."""
from flask_babel import gettext as _

import models
from models import AutopayRule, Payment, SavedCard, Subscription
from rules import autopay as autopay_rules
from rules.dates import local_day
from ..core import autopay as core_autopay, clock, security, sms
from ..core.formatting import phone, uah
from . import cards


def save_card(payment, target, token, mask):
    """Keep the card that paid `payment` for `target`'s autopay, in the caller's
    transaction (the target locked). Only for a mobile number of the cabinet that paid;
    a token already kept for another cabinet is refused (a replayed token) and audited."""
    if payment.profile_id is None or payment.profile_id != target.profile_id \
            or not target.is_mobile:
        security.audit("card_not_saved", profile=payment.profile_id, subject=target.number,
                       details=f"{payment.reference}: not a number of the paying cabinet")
        return False
    digest = cards.digest(token)
    elsewhere = SavedCard.select().where((SavedCard.token_digest == digest)
                                         & (SavedCard.profile != payment.profile_id))
    if elsewhere.exists():
        security.audit("card_token_replayed", profile=payment.profile_id,
                       subject=target.number,
                       details=f"{payment.reference}: the card token belongs to another cabinet")
        return False
    SavedCard.delete().where((SavedCard.subscription == target.id)
                             | (SavedCard.token_digest == digest)).execute()
    SavedCard.create(subscription=target.id, profile=payment.profile_id,
                     provider=payment.provider, token=cards.encrypt(token),
                     token_digest=digest, mask=mask[:32], created_at=clock.now())
    security.audit("card_saved", profile=payment.profile_id, subject=target.number,
                   details=f"{payment.reference}: {mask[:32]}")
    return True


def failed(payment, target):
    """An automatic top-up failed (in the caller's transaction): the subscriber is told, and
    the third failure in a row pauses the rule."""
    rule = AutopayRule.get_or_none(AutopayRule.id == payment.autopay_rule)
    if rule is None:
        return
    failures = rule.failures + 1
    paused = failures >= AutopayRule.MAX_FAILURES
    AutopayRule.update(failures=failures, paused=paused).where(
        AutopayRule.id == rule.id).execute()
    to = target.sms_phone()
    if not to:
        return
    with sms.language_of(to):
        text = _("The automatic top-up of %(target)s by %(amount)s failed: the bank refused "
                 "the card.", target=phone(target.number), amount=uah(payment.amount))
        if paused:
            text += " " + _("After %(count)s failures in a row autopay is paused: turn it on "
                            "again in My cabinet, Settings.", count=AutopayRule.MAX_FAILURES)
        sms.send(to, text)


def card_of(subscription):
    return SavedCard.get_or_none(SavedCard.subscription == subscription.id)


def rules_of(subscription):
    """The number's rules by kind."""
    return {rule.kind: rule for rule in
            AutopayRule.select().where(AutopayRule.subscription == subscription.id)}


def set_rule(subscription_id, kind, amount, threshold=None, day=None):
    """Set (or replace) the number's rule of `kind`; a rule set again is no longer paused.
    autopay_rules.AutopayRefused when the subscriber may not set it."""
    autopay_rules.check_rule(amount, core_autopay.caps(), threshold=threshold, day=day)
    with models.locking_transaction():
        Subscription.locked(subscription_id)
        fields = {"amount": amount, "threshold": threshold, "day": day, "failures": 0,
                  "paused": False}
        updated = AutopayRule.update(**fields).where(
            (AutopayRule.subscription == subscription_id) & (AutopayRule.kind == kind)).execute()
        if not updated:
            AutopayRule.create(subscription=subscription_id, kind=kind, created_at=clock.now(),
                               # a monthly rule set after its day starts next month
                               last_month=(autopay_rules.month_key(clock.today())
                                           if day is not None and day < clock.today().day
                                           else ""), **fields)


def remove_rule(subscription_id, kind):
    with models.locking_transaction():
        Subscription.locked(subscription_id)
        rules = AutopayRule.select(AutopayRule.id).where(
            (AutopayRule.subscription == subscription_id) & (AutopayRule.kind == kind))
        _cancel_queued(rules)
        AutopayRule.delete().where((AutopayRule.subscription == subscription_id)
                                   & (AutopayRule.kind == kind)).execute()


def remove_card(subscription_id, profile_id):
    """The card's token is dropped and the number's rules stop (removed, with any attempt
    still queued)."""
    with models.locking_transaction():
        subscription = Subscription.locked(subscription_id)
        rules = AutopayRule.select(AutopayRule.id).where(
            AutopayRule.subscription == subscription_id)
        _cancel_queued(rules)
        AutopayRule.delete().where(AutopayRule.subscription == subscription_id).execute()
        removed = SavedCard.delete().where(SavedCard.subscription == subscription_id).execute()
        if removed:
            security.audit("card_removed", profile=profile_id, subject=subscription.number)
        return bool(removed)


def _cancel_queued(rules):
    Payment.update(state=Payment.CANCELLED, failure="card", completed_at=clock.now()).where(
        (Payment.state == Payment.QUEUED) & Payment.autopay_rule.in_(rules)).execute()


def enqueue_monthly(now):
    """Monthly rules whose day has come this month enqueue their attempt; returns how many."""
    today = local_day(now)
    month = autopay_rules.month_key(today)
    due = AutopayRule.select().where((AutopayRule.kind == AutopayRule.MONTHLY)
                                     & (AutopayRule.day <= today.day)
                                     & (AutopayRule.last_month != month))
    count = 0
    for rule in list(due):
        with models.locking_transaction():
            Subscription.locked(rule.subscription_id)
            fresh = AutopayRule.locked(rule.id)
            if not autopay_rules.monthly_due(fresh.day, today, fresh.last_month):
                continue
            AutopayRule.update(last_month=month).where(AutopayRule.id == fresh.id).execute()
            if core_autopay.enqueue(fresh, fresh.subscription_id, now):
                count += 1
    return count
