"""Money sent from the number on show to another subscriber's number: a review step, then
the confirmation (portal.moves); both numbers get an SMS."""
from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import login_required

from models import Transfer
from rules import money as rules, states as rules_states
from . import clock, money_events, moves, states
from .auth import current_subscription_or_404
from .formatting import day, phone, uah
from .web import render

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


class BalanceMove:
    """A transfer of money between two mobile numbers."""

    kind = Transfer.BALANCE

    def check(self, source, dest, amount, today):
        rules.check_transfer(moves.party(source), moves.party(dest), amount,
                             Transfer.sent_on(source, Transfer.BALANCE, today), today)

    def check_source(self, source):
        rules.check_transfer_sender(moves.party(source))

    def check_target(self, source, dest):
        rules.check_transfer_target(moves.party(source), moves.party(dest))

    def check_amount(self, source, amount, today):
        rules.check_transfer_amount(moves.party(source), amount,
                                    Transfer.sent_on(source, Transfer.BALANCE, today), today)

    def book(self, done, source, dest, amount, now):
        reference = f"transfer:{done.id}"
        money_events.debited(source, amount, money_events.Cause(
            "transfer_out", "transfer_out", dest.number, receipt=lambda sub: _(
                "Transfer of %(amount)s to %(number)s is done. Balance: %(balance)s.",
                amount=uah(amount), number=phone(dest.number), balance=uah(sub.balance))),
            now, reference)
        money_events.credited(dest, amount, money_events.Cause(
            "transfer_in", "transfer_in", source.number, payment=True, receipt=lambda sub: _(
                "You received %(amount)s from %(number)s. Balance: %(balance)s.",
                amount=uah(amount), number=phone(source.number), balance=uah(sub.balance))),
            now, reference)


def _page(form, sender, stage="form", target=None, alert=None, status=200):
    today = clock.today()
    sent_today = (Transfer.sent_on(sender, Transfer.BALANCE, today) if sender.is_mobile else 0)
    # A number whose state forbids sending is told so at once, not after the form.
    refused = states.own_refusal(rules_states.TRANSFER_OUT, sender) if sender.is_mobile else None
    return render("transfer.html", "transfer", status=status, form=form, sender=sender,
                  stage=stage, target=target, alert=alert or refused, refused=refused,
                  left_today=max(0, rules.TRANSFER_DAILY_CAP - sent_today),
                  limits={"min": rules.TRANSFER_MIN, "max": rules.TRANSFER_MAX,
                          "daily": rules.TRANSFER_DAILY_CAP})


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
    return moves.answer(BalanceMove(), form, sender, lambda error: message(error, sender),
                        lambda form, **shown: _page(form, sender, **shown),
                        "transfers.done")


@bp.get("/transfer/done/<key>")
@login_required
def done(key):
    return render("transfer_done.html", done=moves.own_transfer(key, Transfer.BALANCE),
                  bonus=False)


def init_app(app):
    app.register_blueprint(bp)
