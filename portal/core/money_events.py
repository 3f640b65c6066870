"""The one owner of what follows money in or out of a subscriber's balance.

Every move of money on a balance (a top-up, a transfer, a self-service credit, its
repayment and its charge, a service's or a tariff's fee) is `credited` or `debited` here,
in the caller's transaction, on the row the caller has locked. Each posts the ledger entry
and the usage record (its type and counterpart as the billing's feed would write them),
then runs what follows, always in this order:

1. money paid in (a `Cause` with `payment`: a top-up, money received) repays an open
   self-service credit first;
2. a debt block the balance now pays off is lifted (`states.lift_paid_debt_block`);
3. the low-balance alert is judged on the balance after both (`alerts.judge`; only a
   top-up re-arms it);
4. after a debit, automatic top-ups with a saved card are judged (`autopay.judge`): one
   below its threshold enqueues an attempt in this transaction, which the `autopay`
   command charges (the receipt tells the balance the debit left);
5. the cause's receipt SMS, telling the balance after all of the above.

Money out runs 3 to 5. A new way money moves (a card provider's callback, autopay) builds
its `Cause` and calls `credited` or `debited`: it never posts a balance change itself
(tests/test_money_events.py holds every module to that).

Bonuses are not money: bonus moves, accruals and lapses post their bonus changes
themselves, and none of the follow-ups above concerns them."""
from dataclasses import dataclass
from typing import Callable

from flask_babel import gettext as _

import models
from models import Credit, LedgerEntry, UsageRecord
from rules import credit as credit_rules
from . import alerts, autopay, security, sms, states
from .formatting import day, plain, uah

# A self-service credit's records among the payments and expenses: money moved between the
# number and its credit (portal/credit.py says why this type), named as the feed names them.
CREDIT_USAGE_TYPE = "transfer_out"
CREDIT_REPAID = "Кредит: погашення"
TOP_UP = "topup"  # the ledger's kind of money paid in by card (by hand or autopay)


@dataclass(frozen=True)
class Cause:
    """Why money moved. `kind` is the ledger's ('topup', 'transfer_in', 'service_fee'...);
    `usage_type` and `counterpart` make the usage record; `payment` is money paid in, which
    repays an open credit first; `receipt(subscription)` is the SMS text (None: no SMS),
    made in the recipient's language once the balance is final."""

    kind: str
    usage_type: str
    counterpart: str
    payment: bool = False
    receipt: Callable | None = None


def credited(subscription, amount, cause, now, reference):
    """`amount` (kopiyky, > 0) put on `subscription` (locked) for `cause`, and everything
    that follows it (the module's steps 1 to 5)."""
    _post(subscription, amount, cause, now, reference)
    if cause.payment:
        _repay_credit(subscription, amount, now, reference)
    states.lift_paid_debt_block(subscription, now, reference)
    alerts.judge(subscription, debit=False, topped_up=cause.kind == TOP_UP)
    _send_receipt(subscription, cause)


def debited(subscription, amount, cause, now, reference):
    """`amount` (kopiyky, > 0) taken from `subscription` (locked) for `cause`, even below
    zero, and everything that follows it (steps 3 to 5)."""
    _post(subscription, -amount, cause, now, reference)
    alerts.judge(subscription, debit=True)
    autopay.judge(subscription)
    _send_receipt(subscription, cause)


def _post(subscription, change, cause, now, reference):
    if change == 0:
        raise ValueError("a money event moves money")
    LedgerEntry.post(subscription, cause.kind, now, balance_change=change, reference=reference)
    UsageRecord.create(subscription=subscription, started_at=now, type=cause.usage_type,
                       counterpart=cause.counterpart[:64], quantity=1, amount=-change)


def _send_receipt(subscription, cause):
    to = subscription.sms_phone() if cause.receipt else None
    if to:
        with sms.language_of(to):
            sms.send(to, cause.receipt(subscription))


def _repay_credit(subscription, paid, now, reference):
    """`paid` just came in by `reference`: it repays the open credit first, in full or in
    part. The follow-ups of the payment itself (steps 2 to 5) see the balance after it."""
    credit = models.for_update(Credit.open_of(subscription)).first()
    if credit is None:
        return
    result = credit_rules.repayment(credit.owed, paid)
    if not result.repaid:
        return
    closed = result.owed == 0
    Credit.update(owed=result.owed, state=Credit.REPAID if closed else Credit.OPEN,
                  closed_at=now if closed else None).where(Credit.id == credit.id).execute()

    def receipt(subscription):
        if closed:
            return _("Your credit of %(amount)s is repaid. Balance: %(balance)s.",
                     amount=uah(credit.amount), balance=uah(subscription.balance))
        return _("%(repaid)s of your credit is repaid; %(owed)s is still to repay by "
                 "%(day)s. Balance: %(balance)s.", repaid=uah(result.repaid),
                 owed=uah(result.owed), day=day(credit.last_day),
                 balance=uah(subscription.balance))

    cause = Cause("credit_repay", CREDIT_USAGE_TYPE, CREDIT_REPAID, receipt=receipt)
    _post(subscription, -result.repaid, cause, now, credit.reference)
    _send_receipt(subscription, cause)
    security.audit("credit_repaid", profile=subscription.profile_id,
                   subject=subscription.number,
                   details=f"{credit.reference}: {plain(result.repaid)} UAH from {reference}, "
                           f"{plain(result.owed)} UAH still owed")
