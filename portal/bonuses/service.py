"""Home Internet bonuses: the monthly accrual and the lapse of moved bonuses (run by the
commands the timers call, deploy/systemd), a move to a mobile number (a two-step move,
portal/core/moves.py), and the bonuses a number shows: what the lapse of moved bonuses has
taken off, even before the nightly run has written it."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g
from flask_babel import gettext as _
from peewee import IntegrityError

import models
from models import (
    BonusAccrual,
    BonusLot,
    LedgerEntry,
    ServiceInterruption,
    Subscription,
    Transfer,
    UsageDay,
)
from rules import bonus_spending as spending_rules, money as money_rules, states as states_rules
from rules.dates import add_months, local_day
from ..core import catalogue, clock, moves, sms
from ..core.formatting import amount as bonuses, day
from ..core.i18n import current_locale


def interruptions_of(subscription, month):
    last = add_months(month, 1)
    rows = ServiceInterruption.select().where(
        (ServiceInterruption.subscription == subscription) & (ServiceInterruption.start < last)
        & (ServiceInterruption.end.is_null() | (ServiceInterruption.end >= month)))
    return [money_rules.Interruption(row.start, row.end) for row in rows]


def accrue(today, now):
    """Accrue the bonuses due by `today` to every Home Internet account that has not had
    them for that month: as many as the subscription fee it paid that month (the usage
    feed's `subscription` charges; no charge, no bonuses), less the days without service.
    Returns (month, accounts credited, bonuses in total)."""
    month = money_rules.due_accrual_month(today)
    done = BonusAccrual.select(BonusAccrual.subscription).where(BonusAccrual.month == month)
    accounts = (Subscription.select(Subscription.id)
                .where((Subscription.kind == "home_internet")
                       & (Subscription.status != states_rules.CLOSED)
                       & Subscription.id.not_in(done)).order_by(Subscription.id))
    count = total = 0
    for (account_id,) in accounts.tuples():
        try:
            with models.locking_transaction():
                account = Subscription.locked(account_id)
                fee_paid = UsageDay.amount_of(account, ("subscription",), month,
                                              add_months(month, 1))
                gaps = interruptions_of(account, month)
                bonus = money_rules.accrual_amount(max(0, fee_paid), month, gaps,
                                                   account.activated_on)
                days = (add_months(month, 1) - month).days
                row = BonusAccrual.create(
                    subscription=account, month=month, amount=bonus, created_at=now,
                    fee_paid=max(0, fee_paid),
                    days_out=days - money_rules.paid_days(month, gaps, account.activated_on))
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
        due, _lapsed = money_rules.lapsing_now(
            subscription.bonus_balance, [money_rules.Lot(lot.left, lot.lapses_on) for lot in lots],
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


def last_usable_day(arrived_on):
    """The last day moved bonuses can be used (they lapse the morning after)."""
    return money_rules.lapse_date(arrived_on) - timedelta(days=1)


class BonusMove:
    """Bonuses from a Home Internet account to a mobile number, where they lapse in 20 days."""

    kind = Transfer.BONUS

    def check(self, source, dest, amount, today):
        last, moved = Transfer.bonus_history(source, today)
        money_rules.check_bonus_transfer(moves.party(source), moves.party(dest), amount,
                                   money_rules.BonusHistory(last, moved), today)

    def check_source(self, source):
        money_rules.check_bonus_source(moves.party(source))

    def check_target(self, source, dest):
        money_rules.check_bonus_target(moves.party(dest))

    def check_amount(self, source, amount, today):
        last, moved = Transfer.bonus_history(source, today)
        money_rules.check_bonus_amount(moves.party(source), amount, money_rules.BonusHistory(last, moved),
                                 today)

    def book(self, done, source, dest, amount, now):
        reference, today = f"transfer:{done.id}", local_day(now)
        LedgerEntry.post(source, "bonus_transfer_out", now, bonus_change=-amount,
                         reference=reference)
        LedgerEntry.post(dest, "bonus_transfer_in", now, bonus_change=amount,
                         reference=reference)
        BonusLot.create(subscription=dest, transfer=done, amount=amount, arrived_on=today,
                        lapses_on=money_rules.lapse_date(today))
        with sms.language_of(dest.number):
            sms.send(dest.number, _(
                "You received %(bonuses)s bonuses from Home Internet account %(account)s. They "
                "pay for %(uses)s until %(day)s inclusive.", bonuses=bonuses(amount),
                account=source.number, uses=catalogue.bonus_texts("summary", current_locale()),
                day=day(last_usable_day(today))))


def shown_bonuses(subscription, today):
    """(the bonus balance, [(bonuses, last usable day)] of the moves still running) as they
    stand `today`: moved bonuses whose 20 days are over are left out, whether or not the
    nightly lapse has taken them off yet. Read once a request (the dashboard asks twice)."""
    if subscription.kind != "mobile":
        return subscription.bonus_balance, []
    read_bonuses([subscription], today)
    return g.shown_bonuses[subscription.id]


def read_bonuses(subscriptions, today):
    """Read the moved bonuses of the mobile ones of `subscriptions` not read yet, in one
    query, for shown_bonuses to answer from."""
    known = g.setdefault("shown_bonuses", {})
    unread = [sub for sub in subscriptions if sub.kind == "mobile" and sub.id not in known]
    if not unread:
        return
    lots = {}
    for subscription_id, left, lapses_on in BonusLot.left_in_open(*unread):
        lots.setdefault(subscription_id, []).append(money_rules.Lot(left, lapses_on))
    for sub in unread:
        own = lots.get(sub.id, [])
        due, _lapsed = money_rules.lapsing_now(sub.bonus_balance, own, today)
        balance = sub.bonus_balance - due
        known[sub.id] = (balance, [(lot.amount, lot.lapses_on - timedelta(days=1))
                                   for lot in money_rules.running_lots(balance, own, today)])


def money_panel(subscription):
    """The dashboard's money block: top-up and transfer links, the next accrual of an
    account, a number's moved bonuses with their last day."""
    today = clock.today()
    if subscription.kind == "home_internet":
        # Only on the 4th does it matter whether this month's accrual has been made.
        accrued = today.day == money_rules.BONUS_ACCRUAL_DAY and BonusAccrual.select().where(
            (BonusAccrual.subscription == subscription)
            & (BonusAccrual.month == money_rules.due_accrual_month(today))).exists()
        return {"account": True, "next_accrual": money_rules.next_accrual_date(today, accrued)}
    return {"account": False, "lots": shown_bonuses(subscription, today)[1]}


# Usage paid from moved bonuses --------------------------------------------------------------

class _NumberSpending:
    """One number's moved bonuses as a usage import takes bonus parts off them: its row
    and its live lots read (and locked) once, each month's spending so far."""

    def __init__(self, subscription_id):
        self.subscription = Subscription.locked(subscription_id)
        self.payer = spending_rules.Payer(self.subscription.kind,
                                          self.subscription.tariff.family,
                                          self.subscription.payment, self.subscription.customer)
        rows = models.for_update(BonusLot.select(BonusLot, Transfer.created_at)
                                 .join(Transfer)
                                 .where((BonusLot.subscription == subscription_id)
                                        & BonusLot.lapsed_at.is_null()))
        self.lots = [spending_rules.LiveLot(lot.id, lot.transfer.created_at, lot.lapses_on,
                                            lot.left) for lot in rows]
        self.months = spending_rules.MonthlySpending(
            lambda month: UsageDay.bonus_spent(self.subscription, month, add_months(month, 1)))
        self.taken = {}  # lot id -> taken by this import
        self.spends = []  # (moment, bonuses, type, counterpart)


class BonusSpending:
    """The bonus parts of one usage import, checked as its rows stream by (the guide's
    rules, the live lots at each record's moment, 200 a month across imports) and booked
    in the import's transaction: the lots' spent parts and a ledger entry per record."""

    def __init__(self):
        self.numbers = {}
        self.answering_machines = catalogue.answering_machines()

    def accept(self, subscription_id, row):
        """Take a record's bonus part; spending_rules.BonusSpendError if the guide or the
        bonuses on hand refuse it (nothing then taken)."""
        if subscription_id not in self.numbers:
            self.numbers[subscription_id] = _NumberSpending(subscription_id)
        number = self.numbers[subscription_id]
        spending_rules.check_bonus_part(row.type, row.counterpart, row.amount,
                                        row.bonus_amount, number.payer,
                                        self.answering_machines)
        number.months.check(row.started_at, row.bonus_amount)
        taken = spending_rules.take_from_lots(number.lots, row.bonus_amount, row.started_at)
        number.months.add(row.started_at, row.bonus_amount)
        for lot_id, part in taken:
            number.taken[lot_id] = number.taken.get(lot_id, 0) + part
        number.spends.append((row.started_at, row.bonus_amount, row.type, row.counterpart))

    def book(self):
        """Write what the import took: in the caller's transaction, after its last row."""
        for number in self.numbers.values():
            for lot_id, part in number.taken.items():
                BonusLot.update(spent=BonusLot.spent + part).where(BonusLot.id == lot_id).execute()
            for moment, bonus, usage_type, counterpart in sorted(number.spends):
                LedgerEntry.post(number.subscription, SPEND, moment, bonus_change=-bonus,
                                 reference=f"usage:{usage_type}:{counterpart}"[:64])


SPEND = "bonus_spend"  # the ledger's kind of a usage record's bonus part


def correct(subscription, billing_bonuses, now):
    """The subscriber feed brings a bonus balance other than the one kept here: the
    billing's stands, and the difference is a correction in the history."""
    change = billing_bonuses - subscription.bonus_balance
    if change:
        LedgerEntry.post(subscription, CORRECTION, now, bonus_change=change,
                         reference="subscriber-feed")


CORRECTION = "bonus_correction"


# The bonus history --------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryLine:
    """One change of a bonus balance as /bonuses shows it: `kind` one of accrual, move_in,
    move_out, spend, lapse, correction; `details` what the line says of it."""

    at: datetime
    kind: str
    change: int
    after: int
    details: dict


HISTORY_KINDS = {"bonus_accrual": "accrual", "bonus_transfer_in": "move_in",
                 "bonus_transfer_out": "move_out", SPEND: "spend", "bonus_lapse": "lapse",
                 CORRECTION: "correction"}


def bonus_history(subscription, start, end):
    """(the bonuses before `start` or None when nothing was ever recorded, [HistoryLine])
    of every bonus change from `start` to the moment before `end`, oldest first."""
    ledger = LedgerEntry
    changes = ((ledger.subscription == subscription) & (ledger.bonus_change != 0))
    entries = list(ledger.select().where(changes & (ledger.at >= start) & (ledger.at < end))
                   .order_by(ledger.at, ledger.id))
    if entries:  # what the first change started from
        opening = entries[0].bonus_after - entries[0].bonus_change
    else:
        before = (ledger.select(ledger.bonus_after).where(changes & (ledger.at < start))
                  .order_by(ledger.at.desc(), ledger.id.desc()).first())
        opening = before.bonus_after if before else None
    transfers = _referenced(Transfer, entries, "transfer")
    accruals = _referenced(BonusAccrual, entries, "accrual")
    lines = []
    for entry in entries:
        kind = HISTORY_KINDS.get(entry.kind, "correction")
        lines.append(HistoryLine(entry.at, kind, entry.bonus_change, entry.bonus_after,
                                 _details(kind, entry, transfers, accruals)))
    return opening, lines


def _referenced(model, entries, prefix):
    """{id: row} of the `model` rows the entries' references `prefix:<id>` name, in one
    query (none without such a reference)."""
    ids = [_reference_id(e.reference, prefix) for e in entries
           if e.reference.startswith(prefix + ":")]
    return {row.id: row for row in model.select().where(model.id.in_(ids))} if ids else {}


def _reference_id(reference, prefix):
    text = reference[len(prefix) + 1:]
    return int(text) if text.isdigit() else 0


def _details(kind, entry, transfers, accruals):
    if kind == "accrual":
        accrual = accruals.get(_reference_id(entry.reference, "accrual"))
        if accrual is None or accrual.fee_paid is None:
            return {}
        return {"month": accrual.month, "fee": accrual.fee_paid, "days_out": accrual.days_out}
    if kind in ("move_in", "move_out"):
        done = transfers.get(_reference_id(entry.reference, "transfer"))
        if done is None:
            return {}
        other = done.target if kind == "move_out" else done.source
        return {"number": other.number}
    if kind == "spend":
        _usage, usage_type, counterpart = (entry.reference.split(":", 2) + ["", ""])[:3]
        return {"type": usage_type, "counterpart": counterpart}
    return {}
