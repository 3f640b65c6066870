"""Balance transfers between subscribers, Home Internet bonuses moved to mobile numbers,
the monthly bonus accrual and the lapse of moved bonuses.

Every move goes through a review page whose form carries a one-time key: the key becomes
the Transfer's unique key, so a replayed confirmation finds the transfer it made and never
moves money twice. Rows are locked (`locking_transaction()`, `.for_update()` on
PostgreSQL) in id order, so concurrent confirmations never overdraw."""
import functools
import re
import secrets
from datetime import datetime, time, timedelta

import click
from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import format_date, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from peewee import IntegrityError
from wtforms import HiddenField
from wtforms.validators import DataRequired

import models
from models import (BonusAccrual, BonusLot, LedgerEntry, ServiceInterruption, Subscription,
                    Tariff, Transfer, UsageRecord)
from rules import money as rules
from rules.amounts import format_grouped
from .auth import current_subscription, own_subscription, subscriber_required
from .dashboard import dashboard_panel
from .demo import DEMO_LOADERS
from .forms import AmountField, BaseForm, MobileField
from .requests import for_update
from .sms import SmsError, send_sms
from .web import INVALID_FORM, render, see_other

bp = Blueprint("money", __name__)
CONFLICT = 409
KEY_PATTERN = re.compile(r"[0-9a-f]{32}")


def _clock():
    return current_app.config["CLOCK"]


class MoveForm(BaseForm):
    target = MobileField(_l("To the number"), validators=[
        DataRequired(_l("Enter the number to send to."))])
    amount = AmountField(_l("Amount"), validators=[DataRequired(_l("Enter an amount."))])
    key = HiddenField()


# Messages -----------------------------------------------------------------------------------

def uah(kopiyky):
    decimal_sep = "." if str(get_locale()) == "en" else ","
    return format_grouped(kopiyky, decimal_sep, "\u00a0") + "\u00a0₴"


def bonuses(kopiyky):
    decimal_sep = "." if str(get_locale()) == "en" else ","
    return format_grouped(kopiyky, decimal_sep, "\u00a0")


def valid_until(arrived_on):
    """The last day moved bonuses can be used (they lapse the morning after)."""
    return rules.lapse_date(arrived_on) - timedelta(days=1)


def _day(value):
    return format_date(value, "dd.MM.yyyy")


def transfer_message(error):
    code = error.code
    if code == "same":
        return _("This is the number you send from. Choose another number.")
    if code == "unknown":
        return _("There is no subscriber of ours with this number.")
    if code == "target_kind":
        return _("Money can be sent to a mobile number only.")
    if code == "target_closed":
        return _("This number is closed.")
    if code == "sender_kind":
        return _("Money can be sent from a mobile number only. Choose one with the switcher.")
    if code == "sender_status":
        return _("This number is not active, so it cannot send money.")
    if code == "min":
        return _("At least %(limit)s.", limit=uah(error.limit))
    if code == "max":
        return _("At most %(limit)s in one transfer.", limit=uah(error.limit))
    if code == "balance":
        return _("Not enough money: the balance is %(left)s.", left=uah(error.left))
    if code == "daily":
        if error.left:
            return _("At most %(limit)s a day: %(left)s more can be sent today.",
                     limit=uah(error.limit), left=uah(error.left))
        return _("At most %(limit)s a day: the next transfer is possible on %(day)s.",
                 limit=uah(error.limit), day=_day(error.next_on))
    raise KeyError(code)


def bonus_message(error):
    code = error.code
    if code == "unknown":
        return _("There is no subscriber of ours with this number.")
    if code == "account_kind":
        return _("Bonuses are moved from a Home Internet account.")
    if code == "paused":
        return _("The Home Internet service is paused: bonuses cannot be moved until it is "
                 "resumed.")
    if code == "account_closed":
        return _("This Home Internet account is closed.")
    if code == "target_kind":
        return _("Bonuses can be moved to a mobile number only.")
    if code == "target_closed":
        return _("This number is closed.")
    if code == "target_family":
        return _("Bonuses cannot be used on tariffs of the “Free” family. Choose another "
                 "number.")
    if code == "target_business":
        return _("Bonuses can be moved only to prepaid numbers and to contract numbers of "
                 "individuals.")
    if code == "min":
        return _("At least %(limit)s bonus.", limit=bonuses(error.limit))
    if code == "daily":
        return _("Bonuses can be moved once a day. The next move is possible on %(day)s.",
                 day=_day(error.next_on))
    if code == "monthly":
        if error.left:
            return _("At most %(limit)s bonuses a month: %(left)s more this month.",
                     limit=bonuses(error.limit), left=bonuses(error.left))
        return _("At most %(limit)s bonuses a month: the next move is possible on %(day)s.",
                 limit=bonuses(error.limit), day=_day(error.next_on))
    if code == "bonus":
        return _("Not enough bonuses: the account has %(left)s.", left=bonuses(error.left))
    raise KeyError(code)


# Shared pieces ------------------------------------------------------------------------------

def party(subscription):
    tariff = Tariff.get_by_id(subscription.tariff_id)
    return rules.Party(number=subscription.number, kind=subscription.kind,
                       status=subscription.status, payment=subscription.payment,
                       customer=subscription.customer, tariff_family=tariff.family,
                       balance=subscription.balance, bonus_balance=subscription.bonus_balance)


def lock_pair(first_id, second_id):
    """Both subscriptions re-read and locked, in id order (no deadlock between A→B and
    B→A on PostgreSQL)."""
    rows = {row.id: row for row in for_update(
        Subscription.select().where(Subscription.id.in_([first_id, second_id]))
        .order_by(Subscription.id))}
    return rows[first_id], rows[second_id]


def _apply_error(form, error, message):
    field = getattr(form, error.field, None) if error.field in ("target", "amount") else None
    if field is not None:
        field.errors = list(field.errors) + [message]
        return None
    return message


def _target(form, message):
    """The subscriber the form's target names, or None with the error on the field."""
    found = Subscription.by_number(form.target.parsed)
    if found is None:
        form.target.errors = list(form.target.errors) + [message(rules.MoneyError("unknown",
                                                                                 "target"))]
    return found


def _sms(to, text):
    send_sms(to, text)


# Balance transfer ---------------------------------------------------------------------------

def _transfer_page(form, sender, stage="form", target=None, alert=None, status=200):
    sent_today = Transfer.sent_on(sender, Transfer.BALANCE, _clock().today()) \
        if sender is not None and sender.is_mobile else 0
    return render("transfer.html", "transfer", status=status, form=form, sender=sender,
                  stage=stage, target=target, alert=alert,
                  left_today=max(0, rules.TRANSFER_DAILY_CAP - sent_today),
                  limits={"min": rules.TRANSFER_MIN, "max": rules.TRANSFER_MAX,
                          "daily": rules.TRANSFER_DAILY_CAP})


def _check_transfer(form, sender, today):
    """The target subscription if the transfer may go ahead; else None with the errors put
    on the form (or returned as the page's alert)."""
    alert = None
    if not form.validate():
        return None, None
    target = _target(form, transfer_message)
    if target is None:
        return None, None
    try:
        rules.check_transfer(party(sender), party(target), form.amount.kopiyky,
                             Transfer.sent_on(sender, Transfer.BALANCE, today), today)
    except rules.MoneyError as error:
        alert = _apply_error(form, error, transfer_message(error))
        return None, alert
    return target, None


def _sender():
    """The number money leaves: the form's `number` when one of the profile's (else 404),
    or the number the pages show."""
    given = request.form.get("number", "").strip()
    if given:
        return own_subscription(given)
    current = current_subscription()
    if current is None:
        abort(404)
    return current


@bp.get("/transfer")
@subscriber_required
def transfer_page():
    sender = current_subscription()
    if sender is None:
        abort(404)
    form = MoveForm(formdata=None, target=request.args.get("target", ""))
    return _transfer_page(form, sender)


@bp.post("/transfer")
@subscriber_required
def transfer():
    sender = _sender()
    form = MoveForm()
    key = (request.form.get("key") or "").strip()
    if key:
        return _confirm_transfer(form, sender, key)
    today = _clock().today()
    target, alert = _check_transfer(form, sender, today)
    if target is None:
        return _transfer_page(form, sender, alert=alert,
                              status=CONFLICT if alert else INVALID_FORM)
    form.key.data = secrets.token_hex(16)
    return _transfer_page(form, sender, stage="review", target=target)


def _checked_key(key):
    """A review form's one-time key is 32 hex digits; anything else is a forged form."""
    if not KEY_PATTERN.fullmatch(key):
        abort(400)
    return key


def _confirm_move(form, key, source_id, kind, page, message, done_endpoint, check, book):
    """Confirm a reviewed move of money or bonuses (`kind`), once: a replayed key shows
    the first result; the check and the bookings run on both rows locked, in one
    transaction. `page(**kwargs)` re-renders the form, `message(error)` words a refusal,
    `check(source, dest, amount, today)` raises rules.MoneyError, `book(done, source,
    dest, amount, now)` posts the ledger and sends the SMS."""
    _checked_key(key)
    done = Transfer.get_or_none(Transfer.key == key)
    if done is not None:
        return _replayed(done, done_endpoint)
    if not form.validate():
        return page(status=INVALID_FORM)
    target = Subscription.by_number(form.target.parsed)
    if target is None:
        return page(status=INVALID_FORM, alert=message(rules.MoneyError("unknown")))
    amount, now = form.amount.kopiyky, _clock().now()
    try:
        with models.locking_transaction():
            done = Transfer.get_or_none(Transfer.key == key)
            if done is not None:
                return _replayed(done, done_endpoint)
            source, dest = lock_pair(source_id, target.id)
            check(source, dest, amount, now.date())
            done = Transfer.create(key=key, kind=kind, source=source, target=dest,
                                   profile=current_user.id, amount=amount, created_at=now)
            book(done, source, dest, amount, now)
    except rules.MoneyError as error:
        alert = _apply_error(form, error, message(error))
        form.key.data = ""
        return page(alert=alert, status=CONFLICT)
    except IntegrityError:  # the same key confirmed at the same moment elsewhere
        done = Transfer.get_or_none(Transfer.key == key)
        if done is None:
            raise
        return _replayed(done, done_endpoint)
    except SmsError:
        return page(status=503, alert=_(
            "The SMS service does not answer, so nothing was sent. Try again in a few "
            "minutes."))
    return see_other(url_for(done_endpoint, key=key))


def _confirm_transfer(form, sender, key):
    def check(source, dest, amount, today):
        rules.check_transfer(party(source), party(dest), amount,
                             Transfer.sent_on(source, Transfer.BALANCE, today), today)

    def book(done, source, dest, amount, now):
        reference = f"transfer:{done.id}"
        LedgerEntry.post(source, "transfer_out", now, balance_change=-amount,
                         reference=reference)
        LedgerEntry.post(dest, "transfer_in", now, balance_change=amount, reference=reference)
        UsageRecord.create(subscription=source, started_at=now, type="transfer_out",
                           counterpart=dest.number, quantity=1, amount=amount)
        UsageRecord.create(subscription=dest, started_at=now, type="transfer_in",
                           counterpart=source.number, quantity=1, amount=-amount)
        _sms(source.number, f"Переказ {_plain(amount)} грн на номер {dest.number} "
                            f"виконано. Баланс: {_plain(source.balance)} грн.")
        _sms(dest.number, f"Вам надійшло {_plain(amount)} грн з номера {source.number}. "
                          f"Баланс: {_plain(dest.balance)} грн.")

    return _confirm_move(form, key, sender.id, Transfer.BALANCE,
                         functools.partial(_transfer_page, form, sender), transfer_message,
                         "money.transfer_done", check, book)


def _plain(kopiyky):
    return format_grouped(kopiyky, ",", " ")


def _replayed(done, endpoint):
    if done.profile_id != current_user.id:
        abort(404)
    return see_other(url_for(endpoint, key=done.key))


def _own_transfer(key, kind):
    done = Transfer.get_or_none((Transfer.key == key) & (Transfer.kind == kind))
    if done is None or done.profile_id != current_user.id:
        abort(404)
    return done


@bp.get("/transfer/done/<key>")
@subscriber_required
def transfer_done(key):
    done = _own_transfer(key, Transfer.BALANCE)
    return render("transfer_done.html", done=done, bonus=False)


# Home Internet bonuses moved to a mobile number ---------------------------------------------

def _bonus_account():
    """The Home Internet account bonuses leave: the form's `number` (one of the profile's,
    else 404), the number the pages show when it is an account, or the profile's first
    account; None if the profile has none."""
    given = request.form.get("number", "").strip()
    if given:
        return own_subscription(given)
    current = current_subscription()
    if current is not None and current.kind == "home_internet":
        return current
    return (Subscription.select().where((Subscription.profile == current_user.id)
                                        & (Subscription.kind == "home_internet"))
            .order_by(Subscription.id).first())


def _allowance(account, today):
    last, moved = Transfer.bonus_history(account, today)
    history = rules.BonusHistory(last, moved)
    left, next_on = rules.bonus_transfer_allowance(account.bonus_balance, history, today)
    return history, left, next_on


def _bonus_page(form, account, stage="form", target=None, alert=None, status=200):
    context = {"left": 0, "next_on": None}
    today = _clock().today()
    if account is not None:
        _history, context["left"], context["next_on"] = _allowance(account, today)
        if account.status == rules.SUSPENDED and not alert and stage == "form":
            alert = bonus_message(rules.MoneyError("paused"))
    return render("bonus_transfer.html", "bonus", status=status, form=form, account=account,
                  stage=stage, target=target, alert=alert, today=today,
                  lapse_on=valid_until(today), cap=rules.BONUS_MONTHLY_CAP,
                  lapse_days=rules.BONUS_LAPSE_DAYS, **context)


@bp.get("/bonuses/transfer")
@subscriber_required
def bonus_transfer_page():
    account = _bonus_account()
    form = MoveForm(formdata=None, target=request.args.get("target", ""))
    return _bonus_page(form, account)


def _check_bonus(form, account, today):
    if not form.validate():
        return None, None
    target = _target(form, bonus_message)
    if target is None:
        return None, None
    history, _left, _next = _allowance(account, today)
    try:
        rules.check_bonus_transfer(party(account), party(target), form.amount.kopiyky,
                                   history, today)
    except rules.MoneyError as error:
        return None, _apply_error(form, error, bonus_message(error))
    return target, None


@bp.post("/bonuses/transfer")
@subscriber_required
def bonus_transfer():
    account = _bonus_account()
    if account is None:
        abort(404)
    form = MoveForm()
    key = (request.form.get("key") or "").strip()
    if key:
        return _confirm_bonus(form, account, key)
    target, alert = _check_bonus(form, account, _clock().today())
    if target is None:
        return _bonus_page(form, account, alert=alert,
                           status=CONFLICT if alert else INVALID_FORM)
    form.key.data = secrets.token_hex(16)
    return _bonus_page(form, account, stage="review", target=target)


def _confirm_bonus(form, account, key):
    def check(source, dest, amount, today):
        last, moved = Transfer.bonus_history(source, today)
        rules.check_bonus_transfer(party(source), party(dest), amount,
                                   rules.BonusHistory(last, moved), today)

    def book(done, source, dest, amount, now):
        reference, today = f"transfer:{done.id}", now.date()
        LedgerEntry.post(source, "bonus_transfer_out", now, bonus_change=-amount,
                         reference=reference)
        LedgerEntry.post(dest, "bonus_transfer_in", now, bonus_change=amount,
                         reference=reference)
        BonusLot.create(subscription=dest, transfer=done, amount=amount, arrived_on=today,
                        lapses_on=rules.lapse_date(today))
        _sms(dest.number, f"Вам надійшло {_plain(amount)} бонусів з рахунку Домашнього "
                          f"інтернету {source.number}. Діють до "
                          f"{valid_until(today):%d.%m.%Y} включно.")

    return _confirm_move(form, key, account.id, Transfer.BONUS,
                         functools.partial(_bonus_page, form, account), bonus_message,
                         "money.bonus_transfer_done", check, book)


@bp.get("/bonuses/transfer/done/<key>")
@subscriber_required
def bonus_transfer_done(key):
    done = _own_transfer(key, Transfer.BONUS)
    return render("transfer_done.html", done=done, bonus=True,
                  lapses_on=valid_until(done.created_at.date()))


# The dashboard ------------------------------------------------------------------------------

@dashboard_panel("panels/money.html")
def money_panel(subscription):
    today = _clock().today()
    if subscription.kind == "home_internet":
        return {"account": True, "next_accrual": rules.next_accrual_date(today)}
    open_lots = list(BonusLot.open_for(subscription))
    if any(lot.lapses_on <= today for lot in open_lots):
        # The daily lapse has not run yet: do this number's now, so the page is right.
        lapse_number(subscription.id, today, _clock().now())
        subscription.bonus_balance = Subscription.get_by_id(subscription.id).bonus_balance
        open_lots = list(BonusLot.open_for(subscription))
    lots = [rules.Lot(lot.amount, lot.lapses_on) for lot in open_lots]
    return {"account": False,
            "lots": [(lot.amount, lot.lapses_on - timedelta(days=1))
                     for lot in rules.running_lots(subscription.bonus_balance, lots, today)]}


# The monthly accrual and the lapse of moved bonuses -----------------------------------------

def interruptions_of(subscription, month):
    last = rules.add_months(month, 1)
    rows = ServiceInterruption.select().where(
        (ServiceInterruption.subscription == subscription) & (ServiceInterruption.start < last)
        & (ServiceInterruption.end.is_null() | (ServiceInterruption.end >= month)))
    return [rules.Interruption(row.start, row.end) for row in rows]


def accrue(today, now):
    """Accrue the bonuses due by `today` to every Home Internet account that has not had
    them for that month. Returns (month, accounts credited, bonuses in total)."""
    month = rules.due_accrual_month(today)
    done = BonusAccrual.select(BonusAccrual.subscription).where(BonusAccrual.month == month)
    accounts = (Subscription.select(Subscription.id)
                .where((Subscription.kind == "home_internet")
                       & (Subscription.status != rules.CLOSED)
                       & Subscription.id.not_in(done)).order_by(Subscription.id))
    count = total = 0
    for (account_id,) in accounts.tuples():
        try:
            with models.locking_transaction():
                account = for_update(Subscription.select().where(
                    Subscription.id == account_id)).get()
                tariff = Tariff.get_by_id(account.tariff_id)
                amount = rules.accrual_amount(tariff.monthly_fee, month,
                                              interruptions_of(account, month),
                                              account.activated_on)
                row = BonusAccrual.create(subscription=account, month=month, amount=amount,
                                          created_at=now)
                if amount:
                    LedgerEntry.post(account, "bonus_accrual", now, bonus_change=amount,
                                     reference=f"accrual:{row.id}")
        except IntegrityError:  # another run accrued it at the same moment
            continue
        count += 1
        total += amount
    return month, count, total


def lapse_number(subscription_id, today, now):
    """Take off one number the moved bonuses whose 20 days are over; returns how many."""
    with models.locking_transaction():
        subscription = for_update(Subscription.select().where(
            Subscription.id == subscription_id)).get()
        lots = list(for_update(BonusLot.open_for(subscription)))
        amount, _lapsed = rules.lapsing_now(
            subscription.bonus_balance, [rules.Lot(lot.amount, lot.lapses_on) for lot in lots],
            today)
        if amount:
            LedgerEntry.post(subscription, "bonus_lapse", now, bonus_change=-amount,
                             reference=f"lapse:{today.isoformat()}")
        ids = [lot.id for lot in lots if lot.lapses_on <= today]
        if ids:
            BonusLot.update(lapsed_at=now).where(BonusLot.id.in_(ids)).execute()
    return amount


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


def load_demo_money(clock):
    """Олена moved 30 bonuses from 10000001 to 067 123 45 67 five days ago (they show with
    the day they lapse); Тарас's account 10000002 has been paused since the 11th of last
    month (the accrual leaves those days out).

    The feed's balances (demo/subscribers.csv) are the billing's, taken after that move:
    the move is recorded with its ledger entries as history, balances untouched."""
    today, now = clock.today(), clock.now()
    paused = Subscription.by_number("10000002")
    if paused is not None and paused.status == rules.SUSPENDED:
        since = rules.add_months(rules.month_start(today), -1).replace(day=11)
        ServiceInterruption.update(start=since).where(
            (ServiceInterruption.subscription == paused) & ServiceInterruption.end.is_null()
            & (ServiceInterruption.start > since)).execute()
    account, phone = Subscription.by_number("10000001"), Subscription.by_number("+380671234567")
    if account is None or phone is None or Transfer.get_or_none(Transfer.key == DEMO_MOVE_KEY):
        return
    at = now - timedelta(days=5)
    amount = 3000
    done = Transfer.create(key=DEMO_MOVE_KEY, kind=Transfer.BONUS, source=account, target=phone,
                           profile=account.profile_id, amount=amount, created_at=at)
    for side, change in ((account, -amount), (phone, amount)):
        LedgerEntry.create(subscription=side, at=at, kind="bonus_transfer_" + (
            "out" if change < 0 else "in"), bonus_change=change, balance_after=side.balance,
            bonus_after=side.bonus_balance, reference=f"transfer:{done.id}")
    BonusLot.create(subscription=phone, transfer=done, amount=amount, arrived_on=at.date(),
                    lapses_on=rules.lapse_date(at.date()))


DEMO_LOADERS.append(load_demo_money)


def _command_clock(day):
    clock = current_app.config["CLOCK"]
    if day is None:
        return clock.today(), clock.now()
    return day, datetime.combine(day, time(3, 30))


def init_app(app):
    app.register_blueprint(bp)
    app.jinja_env.filters["format_day"] = _day

    @app.cli.command("accrue-bonuses")
    @click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Act as on this day (YYYY-MM-DD); today by default.")
    def accrue_bonuses_command(day):
        """The monthly Home Internet bonus accrual (once per month however often it runs);
        moved bonuses whose 20 days are over lapse too."""
        today, now = _command_clock(day.date() if day else None)
        with models.db.connection_context():
            month, count, total = accrue(today, now)
            numbers, lapsed = lapse(today, now)
        click.echo(f"Accrued {month:%Y-%m}: {count} account(s), {_plain(total)} bonuses. "
                   f"Lapsed: {numbers} number(s), {_plain(lapsed)} bonuses.")

    @app.cli.command("lapse-bonuses")
    @click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    def lapse_bonuses_command(day):
        """Moved bonuses whose 20 days are over lapse (run daily)."""
        today, now = _command_clock(day.date() if day else None)
        with models.db.connection_context():
            numbers, lapsed = lapse(today, now)
        click.echo(f"Lapsed: {numbers} number(s), {_plain(lapsed)} bonuses.")
