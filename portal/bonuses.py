"""Home Internet bonuses moved to a mobile number (a review step, then the confirmation,
portal.moves), and the bonuses a number shows: what the lapse of moved bonuses has taken
off, even before the nightly run has written it (portal.bonus_jobs)."""
from datetime import timedelta

from flask import Blueprint, abort, g, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import BonusLot, LedgerEntry, Subscription, Transfer
from rules import money as rules, states as rules_states
from . import clock, moves, sms, states
from .auth import current_subscription, own_subscription
from .formatting import amount as bonuses, day
from .web import render

bp = Blueprint("bonuses", __name__)

MESSAGES = {
    "unknown": lambda e: _("There is no subscriber of ours with this number."),
    "account_kind": lambda e: _("Bonuses are moved from a Home Internet account."),
    "target_kind": lambda e: _("Bonuses can be moved to a mobile number only."),
    "target_state": lambda e: states.OTHER[e.value](e.number),
    "target_family": lambda e: _("Bonuses cannot be used on tariffs of the “Free” family. "
                                 "Choose another number."),
    "target_business": lambda e: _("Bonuses can be moved only to prepaid numbers and to "
                                   "contract numbers of individuals."),
    "min": lambda e: _("At least %(limit)s bonus.", limit=bonuses(e.limit)),
    "daily": lambda e: _("Bonuses can be moved once a day. The next move is possible on "
                         "%(day)s.", day=day(e.next_on)),
    "monthly": lambda e: (
        _("At most %(limit)s bonuses a month: %(left)s more this month.",
          limit=bonuses(e.limit), left=bonuses(e.left)) if e.left else
        _("At most %(limit)s bonuses a month: the next move is possible on %(day)s.",
          limit=bonuses(e.limit), day=day(e.next_on))),
    "bonus": lambda e: _("Not enough bonuses: the account has %(left)s.", left=bonuses(e.left)),
}


def message(error, account):
    if error.code == "account_state":
        return states.OWN[error.value](account)
    return MESSAGES[error.code](error)


def last_usable_day(arrived_on):
    """The last day moved bonuses can be used (they lapse the morning after)."""
    return rules.lapse_date(arrived_on) - timedelta(days=1)


class BonusMove:
    """Bonuses from a Home Internet account to a mobile number, where they lapse in 20 days."""

    kind = Transfer.BONUS

    def check(self, source, dest, amount, today):
        last, moved = Transfer.bonus_history(source, today)
        rules.check_bonus_transfer(moves.party(source), moves.party(dest), amount,
                                   rules.BonusHistory(last, moved), today)

    def check_source(self, source):
        rules.check_bonus_source(moves.party(source))

    def check_target(self, source, dest):
        rules.check_bonus_target(moves.party(dest))

    def check_amount(self, source, amount, today):
        last, moved = Transfer.bonus_history(source, today)
        rules.check_bonus_amount(moves.party(source), amount, rules.BonusHistory(last, moved),
                                 today)

    def book(self, done, source, dest, amount, now):
        reference, today = f"transfer:{done.id}", now.date()
        LedgerEntry.post(source, "bonus_transfer_out", now, bonus_change=-amount,
                         reference=reference)
        LedgerEntry.post(dest, "bonus_transfer_in", now, bonus_change=amount,
                         reference=reference)
        BonusLot.create(subscription=dest, transfer=done, amount=amount, arrived_on=today,
                        lapses_on=rules.lapse_date(today))
        with sms.language_of(dest.number):
            sms.send(dest.number, _(
                "You received %(bonuses)s bonuses from Home Internet account %(account)s. They "
                "pay for calls to Ukrainian numbers, SMS and listed data services until "
                "%(day)s inclusive.", bonuses=bonuses(amount),
                account=source.number, day=day(last_usable_day(today))))


# The bonuses a number shows ---------------------------------------------------------------

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
    for lot in BonusLot.open_for(*unread):
        lots.setdefault(lot.subscription_id, []).append(rules.Lot(lot.amount, lot.lapses_on))
    for sub in unread:
        own = lots.get(sub.id, [])
        due, _lapsed = rules.lapsing_now(sub.bonus_balance, own, today)
        balance = sub.bonus_balance - due
        known[sub.id] = (balance, [(lot.amount, lot.lapses_on - timedelta(days=1))
                                   for lot in rules.running_lots(balance, own, today)])


def money_panel(subscription):
    """The dashboard's money block: top-up and transfer links, the next accrual of an
    account, a number's moved bonuses with their last day."""
    today = clock.today()
    if subscription.kind == "home_internet":
        return {"account": True, "next_accrual": rules.next_accrual_date(today)}
    return {"account": False, "lots": shown_bonuses(subscription, today)[1]}


# Pages --------------------------------------------------------------------------------------

def _account(number=None):
    """The Home Internet account bonuses leave: `number` (one of the profile's, else 404),
    the number on show when it is an account, or the profile's first account; None if the
    profile has none."""
    if number:
        return own_subscription(number)
    current = current_subscription()
    if current is not None and current.kind == "home_internet":
        return current
    return (Subscription.select().where(Subscription.in_cabinet(current_user.id)
                                        & (Subscription.kind == "home_internet"))
            .order_by(Subscription.id).first())


def _page(form, account, stage="form", target=None, alert=None, status=200):
    context = {"left": 0, "next_on": None}
    today = clock.today()
    if account is not None:
        last, moved = Transfer.bonus_history(account, today)
        context["left"], context["next_on"] = rules.bonus_transfer_allowance(
            account.bonus_balance, rules.BonusHistory(last, moved), today)
        refused = states.own_refusal(rules_states.BONUS_OUT, account)
        if refused and not alert and stage == "form":
            alert = refused
    return render("bonus_transfer.html", "bonus", status=status, form=form, account=account,
                  stage=stage, target=target, alert=alert, today=today,
                  lapse_on=last_usable_day(today), cap=rules.BONUS_MONTHLY_CAP,
                  lapse_days=rules.BONUS_LAPSE_DAYS, **context)


@bp.get("/bonuses/transfer")
@login_required
def page():
    form = moves.MoveForm(formdata=None, target=request.args.get("target", ""))
    return _page(form, _account())


@bp.post("/bonuses/transfer")
@login_required
def transfer():
    form = moves.MoveForm()
    account = _account(form.number.data)
    if account is None:
        abort(404)
    return moves.answer(BonusMove(), form, account, lambda error: message(error, account),
                        lambda form, **shown: _page(form, account, **shown),
                        "bonuses.done")


@bp.get("/bonuses/transfer/done/<key>")
@login_required
def done(key):
    done = moves.own_transfer(key, Transfer.BONUS)
    return render("transfer_done.html", done=done, bonus=True,
                  lapses_on=last_usable_day(done.created_at.date()))


def init_app(app):
    app.register_blueprint(bp)
