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
(portal/profile.py `settings_context`), which only money paid in does; no spending type
is touched, so neither the spending figures nor the credit tiers see it. The
counterparts name it in Ukrainian, as the operator's feed names its records."""
import secrets
from datetime import timedelta

import click
from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from peewee import IntegrityError
from wtforms import HiddenField
from wtforms.validators import DataRequired

import models
from models import Credit, LedgerEntry, Subscription, UsageDay, UsageRecord
from rules import credit as rules, states as rules_states
from rules.expenses import SPENDING_TYPES
from . import bonus_jobs, catalogue, clock, money_events, security, sms, states
from .auth import current_subscription_or_404
from .formatting import day, phone, plain, uah
from .forms import AmountField, BaseForm
from .moves import checked_key
from .web import CONFLICT, INVALID_FORM, render, see_other

bp = Blueprint("credit", __name__)

STATE_LABELS = {Credit.OPEN: _l("open"), Credit.REPAID: _l("repaid"),
                Credit.SETTLED: _l("charged after its last day")}


def _refusal(error, subscription, latest, offered=()):
    """A rules.credit.CreditRefused in the subscriber's words: why, and from when."""
    if error.code == "state":
        return states.OWN[error.state](subscription)
    if error.code == "open":
        owed = _("You have a credit of %(owed)s to repay by %(day)s: the next top-up repays "
                 "it.", owed=uah(latest.owed), day=day(latest.last_day))
        return owed + " " + (_("A new one is possible once it is repaid, from %(day)s.",
                                day=day(error.on)) if error.on else
                              _("A new one is possible once it is repaid."))
    return {
        "kind": lambda: _("A credit is for mobile numbers only."),
        "customer": lambda: _("A credit is for numbers of private persons, not of "
                              "businesses."),
        "payment": lambda: _("A credit is for prepaid numbers: a contract number pays its "
                             "bill after the month."),
        "month": lambda: _("One credit a calendar month: the next is possible from %(day)s.",
                           day=day(error.on)),
        "young": lambda: _("A credit is possible after %(days)s days with us: from %(day)s.",
                           days=rules.MIN_AGE_DAYS, day=day(error.on)),
        "amount": lambda: _("Choose one of the amounts offered: %(amounts)s.",
                            amounts=", ".join(uah(amount) for amount in offered)),
    }[error.code]()


class CreditForm(BaseForm):
    number = HiddenField()  # the number the page was showing
    amount = AmountField(_l("Amount"), validators=[DataRequired(_l("Choose an amount."))])
    key = HiddenField()  # the form's one-time key


def applicant(subscription, latest):
    """What the rules need of `subscription`, whose latest credit is `latest` (or None)."""
    return rules.Applicant(
        kind=subscription.kind, customer=subscription.customer,
        payment=subscription.payment, state=subscription.state,
        activated_on=subscription.activated_on,
        last_granted_on=latest.granted_at.date() if latest else None,
        has_open=latest is not None and latest.state == Credit.OPEN)


def offered_amounts(subscription, today):
    """The amounts `subscription` may take: by its spending over the last whole months,
    read from the days' totals."""
    start, end = rules.spending_window(today)
    spent = UsageDay.amount_of(subscription, SPENDING_TYPES, start, end)
    return rules.offered_amounts(current_app.config["CREDIT_TIERS"],
                                 rules.average_spending(spent))


# Money -------------------------------------------------------------------------------------

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
            rules.check(applicant(subscription, Credit.latest_of(subscription)), now.date())
            rules.check_amount(amount, offered_amounts(subscription, now.date()))
            done = Credit.create(key=key, subscription=subscription, profile=profile_id,
                                 amount=amount, owed=amount, granted_at=now,
                                 last_day=rules.last_day(now.date()))
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
    for credit in list(Credit.due(rules.last_day_charged_on(today))):
        charged = settle_one(credit.id, credit.subscription_id, now)
        count += bool(charged)
        total += charged
    return count, total


# Pages -------------------------------------------------------------------------------------

def credit_panel(subscription):
    """The dashboard's credit block of a prepaid number of a person: the open credit with
    its last day, or a way to take one when its state allows it."""
    if not (subscription.is_mobile and subscription.payment == "prepaid"
            and subscription.customer == "individual"):
        return None
    open_credit = Credit.open_of(subscription).first()
    if open_credit is None and rules_states.refusal(rules_states.CREDIT, subscription.state):
        return None
    return {"open": open_credit}


def _page(form, subscription, status=200, alert=None, notice=None):
    today = clock.today()
    latest = Credit.latest_of(subscription) if subscription.is_mobile else None
    offered, refused = [], None
    try:
        rules.check(applicant(subscription, latest), today)
    except rules.CreditRefused as error:
        refused = _refusal(error, subscription, latest)
    else:
        offered = offered_amounts(subscription, today)
        if not form.key.data:
            form.key.data = secrets.token_hex(16)
    open_credit = latest if latest is not None and latest.state == Credit.OPEN else None
    return render("credit.html", "credit", status=status, form=form,
                  subscription=subscription, offered=offered, open_credit=open_credit,
                  alert=alert or refused, refused=refused, notice=notice,
                  term=rules.TERM_DAYS)


@bp.get("/credit")
@login_required
def page():
    subscription = current_subscription_or_404()
    notice = _("The credit is on your balance.") if request.args.get("taken") else None
    return _page(CreditForm(formdata=None, number=subscription.number), subscription,
                 notice=notice)


@bp.post("/credit")
@login_required
def take():
    form = CreditForm()
    subscription = current_subscription_or_404(form.number.data)
    key = checked_key(form.key.data) if form.key.data else secrets.token_hex(16)
    if not form.validate():
        return _page(form, subscription, INVALID_FORM)
    try:
        done = grant(subscription.id, key, form.amount.kopiyky, current_user.id)
    except rules.CreditRefused as error:
        if error.code != "amount":
            return _page(form, subscription, CONFLICT, alert=_refusal(
                error, subscription, Credit.latest_of(subscription)))
        form.amount.errors.append(_refusal(error, subscription, None, offered_amounts(
            subscription, clock.today())))
        return _page(form, subscription, INVALID_FORM)
    if done.profile_id != current_user.id or done.subscription_id != subscription.id:
        abort(404)
    return see_other(url_for("credit.page", taken=1))


# Demo data and the command -----------------------------------------------------------------

DEMO_KEY = "demo-credit-taras"


def load_demo(demo_clock):
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
                         last_day=rules.last_day(at.date()))
    LedgerEntry.create(subscription=taras, at=at, kind="credit", balance_change=amount,
                       balance_after=taras.balance, bonus_after=taras.bonus_balance,
                       reference=done.reference)
    UsageRecord.create(subscription=taras, started_at=at, type=money_events.CREDIT_USAGE_TYPE,
                       counterpart=TAKEN, quantity=1, amount=-amount)


def init_app(app):
    app.register_blueprint(bp)
    app.config.setdefault("CREDIT_TIERS", catalogue.credit_tiers(catalogue.load()))

    @app.cli.command("settle-credits")
    @bonus_jobs.DATE_OPTION
    def settle_credits_command(day):
        """Charge the self-service credits whose 7 days are over (run daily); running it
        again charges nothing twice."""
        today, now = bonus_jobs.command_clock(day.date() if day else None)
        with models.db.connection_context():
            count, total = settle(today, now)
            sms.deliver_queued()
        click.echo(f"Credits settled: {count}, {plain(total)} UAH.")
