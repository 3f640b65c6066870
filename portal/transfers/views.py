"""Money sent from the number on show to another subscriber's number: a review step, then
the confirmation (portal.moves); both numbers get an SMS."""
from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import login_required

from models import Transfer
from rules import money as money_rules, states as states_rules
from ..core import clock, moves, states
from ..core.auth import current_subscription_or_404
from ..core.formatting import day, uah
from ..core.web import render
from . import service

bp = Blueprint("transfers", __name__)

MESSAGES = {
    "same": lambda e: _("This is the number you send from. Choose another number."),
    "target_state": lambda e: states.OTHER[e.value](e.number),
    "unknown": lambda e: _("There is no subscriber of ours with this number."),
    "target_kind": lambda e: _("Money can be sent to a mobile number only."),
    "target_closed": lambda e: _("This number is closed."),
    "sender_kind": lambda e: _("Money can be sent from a mobile number only. Choose one with "
                               "the switcher."),
    "min": lambda e: _("At least %(limit)s.", limit=uah(e.limit)),
    "max": lambda e: _("At most %(limit)s in one transfer.", limit=uah(e.limit)),
    "balance": lambda e: _("Not enough money: the balance is %(left)s.", left=uah(e.left)),
    "daily": lambda e: (
        _("At most %(limit)s a day: %(left)s more can be sent today.", limit=uah(e.limit),
          left=uah(e.left)) if e.left else
        _("At most %(limit)s a day: the next transfer is possible on %(day)s.",
          limit=uah(e.limit), day=day(e.next_on))),
}


def message(error, sender):
    if error.code == "sender_state":
        return states.OWN[error.value](sender)
    return MESSAGES[error.code](error)


def _page(form, sender, stage="form", target=None, alert=None, status=200):
    today = clock.today()
    sent_today = (Transfer.sent_on(sender, Transfer.BALANCE, today) if sender.is_mobile else 0)
    # A number whose state forbids sending is told so at once, not after the form.
    refused = states.own_refusal(states_rules.TRANSFER_OUT, sender) if sender.is_mobile else None
    return render("transfer.html", "transfer", status=status, form=form, sender=sender,
                  stage=stage, target=target, alert=alert or refused, refused=refused,
                  left_today=max(0, money_rules.TRANSFER_DAILY_CAP - sent_today),
                  limits={"min": money_rules.TRANSFER_MIN, "max": money_rules.TRANSFER_MAX,
                          "daily": money_rules.TRANSFER_DAILY_CAP})


@bp.get("/transfer")
@login_required
def page():
    sender = current_subscription_or_404()
    form = moves.MoveForm(formdata=None, target=request.args.get("target", ""))
    return _page(form, sender)


@bp.post("/transfer")
@login_required
def transfer():
    form = moves.MoveForm()
    sender = current_subscription_or_404(form.number.data)
    return moves.answer(service.BalanceMove(), form, sender, message, _page, "transfers.done")


@bp.get("/transfer/done/<key>")
@login_required
def done(key):
    return render("transfer_done.html", done=moves.own_transfer(key, Transfer.BALANCE),
                  bonus=False)
