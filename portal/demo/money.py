"""The demo's money history: Олена's bonus move and Тарас's paused account (bonuses), and
Тарас's open self-service credit."""
from datetime import timedelta

from models import (
    BonusLot,
    Credit,
    LedgerEntry,
    ServiceInterruption,
    Subscription,
    Transfer,
    UsageRecord,
)
from rules import credit as credit_rules, money as money_rules, states as states_rules
from ..core import money_events
from ..credit.service import TAKEN
from .usage import state_since

DEMO_MOVE_KEY = "demo-bonus-move-olena"


def load_bonuses(demo_clock):
    """Олена moved 30 bonuses from 10000001 to 067 123 45 67 five days ago (they show with
    the day they lapse); Тарас's account 10000002 has been paused since the 11th of last
    month (the accrual leaves those days out).

    The feed's balances (demo/subscribers.csv) are the billing's, taken after that move:
    the move is recorded with its ledger entries as history, balances untouched."""
    now = demo_clock.now()
    paused = Subscription.by_number("10000002")
    if paused is not None and paused.status == states_rules.SUSPENDED:
        since = state_since(paused.number, now).date()
        ServiceInterruption.update(start=since).where(
            (ServiceInterruption.subscription == paused) & ServiceInterruption.end.is_null()
            & (ServiceInterruption.start > since)).execute()
    account, phone = Subscription.by_number("10000001"), Subscription.by_number("+380671234567")
    if account is None or phone is None or Transfer.get_or_none(Transfer.key == DEMO_MOVE_KEY):
        return
    at = now - timedelta(days=5)
    moved = 3000
    done = Transfer.create(key=DEMO_MOVE_KEY, kind=Transfer.BONUS, source=account, target=phone,
                           profile=account.profile_id, amount=moved, created_at=at)
    for side, change in ((account, -moved), (phone, moved)):
        LedgerEntry.create(subscription=side, at=at, kind="bonus_transfer_" + (
            "out" if change < 0 else "in"), bonus_change=change, balance_after=side.balance,
            bonus_after=side.bonus_balance, reference=f"transfer:{done.id}")
    BonusLot.create(subscription=phone, transfer=done, amount=moved, arrived_on=at.date(),
                    lapses_on=money_rules.lapse_date(at.date()))


DEMO_KEY = "demo-credit-taras"


def load_credit(demo_clock):
    """Тарас took a credit of 50 UAH three days ago and has not repaid it: his dashboard
    shows it with its last day. The feed's balance (demo/subscribers.csv) is the billing's,
    taken after it: the credit is recorded as history, the balance untouched."""
    taras = Subscription.by_number("+380672223344")
    if taras is None or Credit.get_or_none(Credit.key == DEMO_KEY):
        return
    at = (demo_clock.now() - timedelta(days=3)).replace(hour=19, minute=40, second=0,
                                                         microsecond=0)
    amount = 5000
    done = Credit.create(key=DEMO_KEY, subscription=taras, profile=taras.profile_id,
                         amount=amount, owed=amount, granted_at=at,
                         last_day=credit_rules.last_day(at.date()))
    LedgerEntry.create(subscription=taras, at=at, kind="credit", balance_change=amount,
                       balance_after=taras.balance, bonus_after=taras.bonus_balance,
                       reference=done.reference)
    UsageRecord.create(subscription=taras, started_at=at, type=money_events.CREDIT_USAGE_TYPE,
                       counterpart=TAKEN, quantity=1, amount=-amount)
