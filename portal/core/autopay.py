"""Autopay's trigger: a debit that leaves a number below its rule's threshold enqueues one
automatic top-up (a `queued` payment) in the debit's own transaction, as a step of the
money events (portal/core/money_events.py, step 4) and after a usage import
(`after_import`, judged on the balance the import implies, as the low-balance alert is).
The `autopay` command charges what is queued (portal/topup/autopay.py). The core only
enqueues: it never calls a provider."""
import secrets

from flask import current_app
from peewee import fn

import models
from models import AutopayRule, Payment, SavedCard, Subscription
from rules import autopay as autopay_rules
from rules.dates import day_start, local_day
from . import clock


def caps():
    config = current_app.config
    return autopay_rules.Caps(count=int(config["AUTOPAY_MONTHLY_COUNT"]),
                              total=int(config["AUTOPAY_MONTHLY_UAH"]) * 100)


def month_used(subscription_id, today):
    """(count, total) of the automatic top-ups of the month that hold a place: queued,
    being charged or paid."""
    start = day_start(today.replace(day=1))
    count, total = (Payment.select(fn.COUNT(Payment.id), fn.COALESCE(fn.SUM(Payment.amount), 0))
                    .where((Payment.target == subscription_id)
                           & Payment.autopay_rule.is_null(False)
                           & (Payment.created_at >= start)
                           & Payment.state.in_(Payment.OPEN + (Payment.SUCCEEDED,)))
                    .tuples().get())
    return int(count), int(total)


def enqueue(rule, subscription_id, now):
    """One attempt of `rule` (in the caller's transaction, the number's row locked), unless
    the rule is paused, the number has no saved card, an attempt of the rule is still
    open, or the month's caps are reached. Returns the payment or None."""
    models.lock_name(f"autopay:{rule.id}")
    card = SavedCard.get_or_none(SavedCard.subscription == subscription_id)
    if rule.paused or card is None:
        return None
    if Payment.select().where((Payment.autopay_rule == rule.id)
                              & Payment.state.in_(Payment.OPEN)).exists():
        return None
    count, total = month_used(subscription_id, local_day(now))
    if not autopay_rules.within_caps(caps(), count, total, rule.amount):
        return None
    # Its key is its order id with the provider: opaque, and like a LiqPay order id.
    return Payment.create(key="a" + secrets.token_hex(15), target=subscription_id,
                          profile=card.profile_id, payer_phone="", amount=rule.amount,
                          card_brand="card", card_last4=card.mask[-4:].lstrip("*"),
                          provider=card.provider, provider_reference="",
                          state=Payment.QUEUED, created_at=now, autopay_rule=rule.id)


def judge(subscription):
    """Money was just taken from `subscription` (locked; its balance is the new one)."""
    _judge(subscription.id, subscription.balance)


def _judge(subscription_id, balance):
    rule = AutopayRule.get_or_none((AutopayRule.subscription == subscription_id)
                                   & (AutopayRule.kind == AutopayRule.THRESHOLD))
    if rule is not None and autopay_rules.below(rule.threshold, balance):
        enqueue(rule, subscription_id, clock.now())


def after_import(charged_by_id):
    """A usage import charged `charged_by_id` (as alerts.after_import takes it): each number
    with a threshold rule is judged on the balance the import implies."""
    if not charged_by_id:
        return
    watched = (AutopayRule.select(AutopayRule.subscription, Subscription.balance)
               .join(Subscription)
               .where((AutopayRule.kind == AutopayRule.THRESHOLD)
                      & AutopayRule.subscription.in_(list(charged_by_id))).tuples())
    for subscription_id, balance in watched:
        charged = charged_by_id[subscription_id]
        if charged > 0:
            _judge(subscription_id, balance - charged)
