"""Home Internet bonuses moved to a mobile number: the form, its review step and the done
page (the move itself: service.BonusMove)."""
from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Subscription, Transfer
from rules import money as money_rules, states as states_rules
from rules.dates import local_day
from ..core import clock, moves, states
from ..core.auth import current_subscription, own_subscription
from ..core.formatting import amount as bonuses, day
from ..core.web import render
from . import service

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


# The bonuses a number shows ---------------------------------------------------------------


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
    context = {"left": 0, "next_on": None, "refused": None}
    today = clock.today()
    if account is not None:
        last, moved = Transfer.bonus_history(account, today)
        context["left"], context["next_on"] = money_rules.bonus_transfer_allowance(
            account.bonus_balance, money_rules.BonusHistory(last, moved), today)
        # The account's state forbids moving: say what to do instead of offering the form.
        context["refused"] = states.own_refusal(states_rules.BONUS_OUT, account)
        if context["refused"] and not alert and stage == "form":
            alert = context["refused"]
    return render("bonus_transfer.html", "bonus", status=status, form=form, account=account,
                  stage=stage, target=target, alert=alert, today=today,
                  lapse_on=service.last_usable_day(today), cap=money_rules.BONUS_MONTHLY_CAP,
                  lapse_days=money_rules.BONUS_LAPSE_DAYS, **context)


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
    return moves.answer(service.BonusMove(), form, account, message, _page, "bonuses.done")


@bp.get("/bonuses/transfer/done/<key>")
@login_required
def done(key):
    done = moves.own_transfer(key, Transfer.BONUS)
    return render("transfer_done.html", done=done, bonus=True,
                  lapses_on=service.last_usable_day(local_day(done.created_at)))
