"""The demo's money history: Олена's bonus move and Тарас's paused account (bonuses), and
Тарас's open self-service credit."""
from datetime import time, timedelta

from models import (
    BonusAccrual,
    BonusLot,
    Credit,
    LedgerEntry,
    ServiceInterruption,
    Subscription,
    Transfer,
    UsageRecord,
)
from rules import credit as credit_rules, money as money_rules, states as states_rules
from rules.dates import add_months, local_day, on_day
from ..bonuses import service as bonuses_service
from ..core import money_events
from ..credit.service import TAKEN
from .usage import state_since

DEMO_MOVE_KEY = "demo-bonus-move-olena"


def load_bonuses(demo_clock):
    """Олена's account 10000001 had last month's accrual (100 bonuses for the fee paid),
    then she moved 30 bonuses to 067 123 45 67 five days ago (they show with the day they
    lapse), and a call three days later was paid with 7.50 of them (the usage feed's
    bonus part): her bonus history shows each. Тарас's account 10000002 has been paused
    since the 11th of last month (the accrual leaves those days out).

    The feed's balances (demo/subscribers.csv) are the billing's, taken after all that:
    each is recorded with its ledger entries as history, balances untouched."""
    now = demo_clock.now()
    paused = Subscription.by_number("10000002")
    if paused is not None and paused.status == states_rules.SUSPENDED:
        since = local_day(state_since(paused.number, now))
        ServiceInterruption.update(start=since).where(
            (ServiceInterruption.subscription == paused) & ServiceInterruption.end.is_null()
            & (ServiceInterruption.start > since)).execute()
    account, phone = Subscription.by_number("10000001"), Subscription.by_number("+380671234567")
    if account is None or phone is None or Transfer.get_or_none(Transfer.key == DEMO_MOVE_KEY):
        return
    at = now - timedelta(days=5)
    moved, spent = 3000, 750
    # The latest accrual before the move (the history shows 100 in, then 30 out).
    month = money_rules.due_accrual_month(local_day(at))
    accrued_at = on_day(add_months(month, 1).replace(day=money_rules.BONUS_ACCRUAL_DAY),
                        time(6, 0))
    fee = account.tariff.monthly_fee
    accrual = BonusAccrual.create(subscription=account, month=month, amount=fee,
                                  created_at=accrued_at, fee_paid=fee, days_out=0)
    LedgerEntry.create(subscription=account, at=accrued_at, kind="bonus_accrual",
                       bonus_change=fee, balance_after=account.balance,
                       bonus_after=account.bonus_balance + moved,
                       reference=f"accrual:{accrual.id}")
    done = Transfer.create(key=DEMO_MOVE_KEY, kind=Transfer.BONUS, source=account, target=phone,
                           profile=account.profile_id, amount=moved, created_at=at)
    for side, change, after in ((account, -moved, account.bonus_balance),
                                (phone, moved, phone.bonus_balance + spent)):
        LedgerEntry.create(subscription=side, at=at, kind="bonus_transfer_" + (
            "out" if change < 0 else "in"), bonus_change=change, balance_after=side.balance,
            bonus_after=after, reference=f"transfer:{done.id}")
    BonusLot.create(subscription=phone, transfer=done, amount=moved, spent=spent,
                          arrived_on=local_day(at), lapses_on=money_rules.lapse_date(local_day(at)))
    # Three days later a five-minute call to another network was paid with bonuses, as the
    # billing's usage feed says (a record with its bonus part, as BonusSpending books it).
    call = on_day(local_day(now - timedelta(days=2)), time(18, 5))
    UsageRecord.create(subscription=phone, started_at=call, type="call_out",
                       counterpart="+380501234567", quantity=300, amount=spent,
                       bonus_amount=spent)
    LedgerEntry.create(subscription=phone, at=call, kind=bonuses_service.SPEND,
                       bonus_change=-spent, balance_after=phone.balance,
                       bonus_after=phone.bonus_balance, reference="usage:call_out:+380501234567")


DEMO_KEY = "demo-credit-taras"


def load_credit(demo_clock):
    """Тарас took a credit of 50 UAH three days ago and has not repaid it: his dashboard
    shows it with its last day. The feed's balance (demo/subscribers.csv) is the billing's,
    taken after it: the credit is recorded as history, the balance untouched."""
    taras = Subscription.by_number("+380672223344")
    if taras is None or Credit.get_or_none(Credit.key == DEMO_KEY):
        return
    at = on_day(local_day(demo_clock.now() - timedelta(days=3)), time(19, 40))
    amount = 5000
    done = Credit.create(key=DEMO_KEY, subscription=taras, profile=taras.profile_id,
                         amount=amount, owed=amount, granted_at=at,
                         last_day=credit_rules.last_day(local_day(at)))
    LedgerEntry.create(subscription=taras, at=at, kind="credit", balance_change=amount,
                       balance_after=taras.balance, bonus_after=taras.bonus_balance,
                       reference=done.reference)
    UsageRecord.create(subscription=taras, started_at=at, type=money_events.CREDIT_USAGE_TYPE,
                       counterpart=TAKEN, quantity=1, amount=-amount)
