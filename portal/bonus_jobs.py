"""The monthly Home Internet bonus accrual and the lapse of moved bonuses: the commands the
timers run (deploy/systemd), and the demo's bonus history."""
from datetime import datetime, time, timedelta

import click
from peewee import IntegrityError

import models
from models import (BonusAccrual, BonusLot, LedgerEntry, ServiceInterruption, Subscription,
                    Transfer, UsageDay)
from rules import money as rules, states
from rules.dates import add_months, month_start
from . import clock
from .formatting import amount


def interruptions_of(subscription, month):
    last = add_months(month, 1)
    rows = ServiceInterruption.select().where(
        (ServiceInterruption.subscription == subscription) & (ServiceInterruption.start < last)
        & (ServiceInterruption.end.is_null() | (ServiceInterruption.end >= month)))
    return [rules.Interruption(row.start, row.end) for row in rows]


def accrue(today, now):
    """Accrue the bonuses due by `today` to every Home Internet account that has not had
    them for that month: as many as the subscription fee it paid that month (the usage
    feed's `subscription` charges; no charge, no bonuses), less the days without service.
    Returns (month, accounts credited, bonuses in total)."""
    month = rules.due_accrual_month(today)
    done = BonusAccrual.select(BonusAccrual.subscription).where(BonusAccrual.month == month)
    accounts = (Subscription.select(Subscription.id)
                .where((Subscription.kind == "home_internet")
                       & (Subscription.status != states.CLOSED)
                       & Subscription.id.not_in(done)).order_by(Subscription.id))
    count = total = 0
    for (account_id,) in accounts.tuples():
        try:
            with models.locking_transaction():
                account = Subscription.locked(account_id)
                fee_paid = UsageDay.amount_of(account, ("subscription",), month,
                                              add_months(month, 1))
                bonus = rules.accrual_amount(max(0, fee_paid), month,
                                             interruptions_of(account, month),
                                             account.activated_on)
                row = BonusAccrual.create(subscription=account, month=month, amount=bonus,
                                          created_at=now)
                if bonus:
                    LedgerEntry.post(account, "bonus_accrual", now, bonus_change=bonus,
                                     reference=f"accrual:{row.id}")
        except IntegrityError:  # another run accrued it at the same moment
            continue
        count += 1
        total += bonus
    return month, count, total


def lapse_number(subscription_id, today, now):
    """Take off one number the moved bonuses whose 20 days are over; returns how many."""
    with models.locking_transaction():
        subscription = Subscription.locked(subscription_id)
        lots = list(models.for_update(BonusLot.open_for(subscription)))
        due, _lapsed = rules.lapsing_now(
            subscription.bonus_balance, [rules.Lot(lot.amount, lot.lapses_on) for lot in lots],
            today)
        if due:
            LedgerEntry.post(subscription, "bonus_lapse", now, bonus_change=-due,
                             reference=f"lapse:{today.isoformat()}")
        ids = [lot.id for lot in lots if lot.lapses_on <= today]
        if ids:
            BonusLot.update(lapsed_at=now).where(BonusLot.id.in_(ids)).execute()
    return due


def lapse(today, now):
    """Take off every number the moved bonuses whose 20 days are over. Returns (numbers,
    bonuses lapsed)."""
    due = (BonusLot.select(BonusLot.subscription).distinct()
           .where(BonusLot.lapsed_at.is_null() & (BonusLot.lapses_on <= today)))
    numbers = total = 0
    for (subscription_id,) in list(due.tuples()):
        total += lapse_number(subscription_id, today, now)
        numbers += 1
    return numbers, total


# Demo data ----------------------------------------------------------------------------------

DEMO_MOVE_KEY = "demo-bonus-move-olena"


def load_demo(demo_clock):
    """Олена moved 30 bonuses from 10000001 to 067 123 45 67 five days ago (they show with
    the day they lapse); Тарас's account 10000002 has been paused since the 11th of last
    month (the accrual leaves those days out).

    The feed's balances (demo/subscribers.csv) are the billing's, taken after that move:
    the move is recorded with its ledger entries as history, balances untouched."""
    today, now = demo_clock.today(), demo_clock.now()
    paused = Subscription.by_number("10000002")
    if paused is not None and paused.status == states.SUSPENDED:
        since = add_months(month_start(today), -1).replace(day=11)
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
                    lapses_on=rules.lapse_date(at.date()))


# Commands -----------------------------------------------------------------------------------

def command_clock(day):
    """(today, now) of a daily command run with `--date` (that day, 03:30) or without."""
    if day is None:
        return clock.today(), clock.now()
    return day, datetime.combine(day, time(3, 30))


DATE_OPTION = click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]),
                           default=None, help="Act as on this day (YYYY-MM-DD); today by default.")


def init_app(app):
    @app.cli.command("accrue-bonuses")
    @DATE_OPTION
    def accrue_bonuses_command(day):
        """The monthly Home Internet bonus accrual (once per month however often it runs);
        moved bonuses whose 20 days are over lapse too."""
        today, now = command_clock(day.date() if day else None)
        with models.db.connection_context():
            month, count, total = accrue(today, now)
            numbers, lapsed = lapse(today, now)
        click.echo(f"Accrued {month:%Y-%m}: {count} account(s), {amount(total)} bonuses. "
                   f"Lapsed: {numbers} number(s), {amount(lapsed)} bonuses.")

    @app.cli.command("lapse-bonuses")
    @DATE_OPTION
    def lapse_bonuses_command(day):
        """Moved bonuses whose 20 days are over lapse (run daily)."""
        today, now = command_clock(day.date() if day else None)
        with models.db.connection_context():
            numbers, lapsed = lapse(today, now)
        click.echo(f"Lapsed: {numbers} number(s), {amount(lapsed)} bonuses.")
