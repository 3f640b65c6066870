"""Self-service credit ("promised payment", rules.credit): a prepaid number that ran out of
money takes a small credit at /credit, on its balance at once; the next top-up or money
received repays it first, and `flask settle-credits` (a daily timer) charges what is still
owed after its seventh day, even into a negative balance.

The form carries a one-time key that becomes the credit's unique key, so a replayed or
doubled press finds the credit it made; every rule is checked again under the number's
row lock, which also keeps a second credit out when two tabs press at once (a form sent
without a key, as a script may, gets one here: the rules still grant once a month).

Its records among the payments and expenses are of the usage type `transfer_out`: money
moved between the number and its credit, credited (negative) when taken, charged when
repaid or settled, so the credit nets to nothing there. The contract's types are fixed,
and `topup` or `transfer_in` would make a credit extend a prepaid number's validity
(portal/profile/service.py `valid_until`), which only money paid in does; no spending type
is touched, so neither the spending figures nor the credit tiers see it. The
counterparts name it in Ukrainian, as the operator's feed names its records."""
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from peewee import IntegrityError

import models
from models import Credit, Subscription, UsageDay
from rules import credit as credit_rules, states as states_rules
from rules.dates import local_day
from rules.expenses import SPENDING_TYPES
from ..core import clock, money_events, security
from ..core.formatting import day, phone, plain, uah

STATE_LABELS = {Credit.OPEN: _l("open"), Credit.REPAID: _l("repaid"),
                Credit.SETTLED: _l("charged after its last day")}


def applicant(subscription, latest):
    """What the rules need of `subscription`, whose latest credit is `latest` (or None)."""
    return credit_rules.Applicant(
        kind=subscription.kind, customer=subscription.customer,
        payment=subscription.payment, state=subscription.state,
        activated_on=subscription.activated_on,
        last_granted_on=local_day(latest.granted_at) if latest else None,
        has_open=latest is not None and latest.state == Credit.OPEN)


def offered_amounts(subscription, today):
    """The amounts `subscription` may take: by its spending over the last whole months,
    read from the days' totals."""
    start, end = credit_rules.spending_window(today)
    spent = UsageDay.amount_of(subscription, SPENDING_TYPES, start, end)
    return credit_rules.offered_amounts(current_app.config["CREDIT_TIERS"],
                                 credit_rules.average_spending(spent))


TAKEN, SETTLED = "Кредит", "Кредит: списання"  # the usage records' counterparts


def grant(subscription_id, key, amount, profile_id):
    """Give the credit of `amount` once under `key`: the rules again under the number's
    lock, the money event (portal.money_events), the audit log. Returns the Credit made
    with this key (the first, however often it is sent); raises credit_rules.CreditRefused."""
    now = clock.now()
    done = Credit.get_or_none(Credit.key == key)
    if done is not None:
        return done
    try:
        with models.locking_transaction():
            subscription = Subscription.locked(subscription_id)
            done = Credit.get_or_none(Credit.key == key)  # a copy of this press, committed
            if done is not None:
                return done
            credit_rules.check(applicant(subscription, Credit.latest_of(subscription)), local_day(now))
            credit_rules.check_amount(amount, offered_amounts(subscription, local_day(now)))
            done = Credit.create(key=key, subscription=subscription, profile=profile_id,
                                 amount=amount, owed=amount, granted_at=now,
                                 last_day=credit_rules.last_day(local_day(now)))
            money_events.credited(subscription, amount, money_events.Cause(
                "credit", money_events.CREDIT_USAGE_TYPE, TAKEN, receipt=lambda sub: _(
                    "A credit of %(amount)s is on %(number)s. Balance: %(balance)s. The next "
                    "top-up repays it; what is not repaid by %(day)s is charged on the next "
                    "day.", amount=uah(amount), number=phone(sub.number),
                    balance=uah(sub.balance), day=day(done.last_day))), now, done.reference)
            security.audit("credit_granted", profile=profile_id, subject=subscription.number,
                           details=f"{done.reference}: {plain(amount)} UAH, repay by "
                                   f"{done.last_day.isoformat()}")
    except IntegrityError:  # the same key pressed at the same moment on another node
        done = Credit.get_or_none(Credit.key == key)
        if done is None:
            raise
    return done


def settle_one(credit_id, subscription_id, now):
    """Charge what a credit past its last day still owes (once). Returns the amount."""
    with models.locking_transaction():
        subscription = Subscription.locked(subscription_id)
        credit = Credit.locked(credit_id)
        if credit.state != Credit.OPEN:
            return 0
        owed = credit.owed
        Credit.update(owed=0, state=Credit.SETTLED, closed_at=now).where(
            Credit.id == credit.id).execute()
        money_events.debited(subscription, owed, money_events.Cause(
            "credit_settle", money_events.CREDIT_USAGE_TYPE, SETTLED, receipt=lambda sub: _(
                "The credit of %(owed)s was not repaid by %(day)s and is charged from the "
                "balance now. Balance: %(balance)s.", owed=uah(owed),
                day=day(credit.last_day), balance=uah(sub.balance))), now, credit.reference)
        security.audit("credit_settled", profile=subscription.profile_id,
                       subject=subscription.number,
                       details=f"{credit.reference}: {plain(owed)} UAH charged")
    return owed


def settle(today, now):
    """Charge every credit past its last day on `today`. Returns (credits, kopiyky)."""
    count = total = 0
    for credit in list(Credit.due(credit_rules.last_day_charged_on(today))):
        charged = settle_one(credit.id, credit.subscription_id, now)
        count += bool(charged)
        total += charged
    return count, total


def credit_panel(subscription):
    """The dashboard's credit block of a prepaid number of a person: the open credit with
    its last day, or a way to take one when its state allows it."""
    if not (subscription.is_mobile and subscription.payment == "prepaid"
            and subscription.customer == "individual"):
        return None
    open_credit = Credit.open_one(subscription)
    if open_credit is None and states_rules.refusal(states_rules.CREDIT, subscription.state):
        return None
    return {"open": open_credit}
