"""The self-service credit's page: what the number may take, and the press that takes it
(the rules and the money: service.py)."""
import secrets

from flask import Blueprint, abort, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import HiddenField
from wtforms.validators import DataRequired

from models import Credit
from rules import credit as credit_rules
from ..core import clock, states
from ..core.auth import current_subscription_or_404
from ..core.formatting import day, uah
from ..core.forms import AmountField, BaseForm
from ..core.moves import checked_key
from ..core.web import CONFLICT, INVALID_FORM, flashed_notice, render, see_other
from . import service

bp = Blueprint("credit", __name__)


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
                           days=credit_rules.MIN_AGE_DAYS, day=day(error.on)),
        "amount": lambda: _("Choose one of the amounts offered: %(amounts)s.",
                            amounts=", ".join(uah(amount) for amount in offered)),
    }[error.code]()


class CreditForm(BaseForm):
    number = HiddenField()  # the number the page was showing
    amount = AmountField(_l("Amount"), validators=[DataRequired(_l("Choose an amount."))])
    key = HiddenField()  # the form's one-time key


# Pages -------------------------------------------------------------------------------------


def _page(form, subscription, status=200, alert=None, notice=None):
    today = clock.today()
    latest = Credit.latest_of(subscription) if subscription.is_mobile else None
    offered, refused = [], None
    try:
        credit_rules.check(service.applicant(subscription, latest), today)
    except credit_rules.CreditRefused as error:
        refused = _refusal(error, subscription, latest)
    else:
        offered = service.offered_amounts(subscription, today)
        if not form.key.data:
            form.key.data = secrets.token_hex(16)
    open_credit = latest if latest is not None and latest.state == Credit.OPEN else None
    return render("credit.html", "credit", status=status, form=form,
                  subscription=subscription, offered=offered, open_credit=open_credit,
                  alert=alert or refused, refused=refused, notice=notice,
                  term=credit_rules.TERM_DAYS)


@bp.get("/credit")
@login_required
def page():
    subscription = current_subscription_or_404()
    return _page(CreditForm(formdata=None, number=subscription.number), subscription,
                 notice=flashed_notice())


@bp.post("/credit")
@login_required
def take():
    form = CreditForm()
    subscription = current_subscription_or_404(form.number.data)
    key = checked_key(form.key.data) if form.key.data else secrets.token_hex(16)
    if not form.validate():
        return _page(form, subscription, INVALID_FORM)
    try:
        done = service.grant(subscription.id, key, form.amount.kopiyky, current_user.id)
    except credit_rules.CreditRefused as error:
        if error.code != "amount":
            return _page(form, subscription, CONFLICT, alert=_refusal(
                error, subscription, Credit.latest_of(subscription)))
        form.amount.errors.append(_refusal(error, subscription, None, service.offered_amounts(
            subscription, clock.today())))
        return _page(form, subscription, INVALID_FORM)
    if done.profile_id != current_user.id or done.subscription_id != subscription.id:
        abort(404)
    return see_other(url_for("credit.page"), notice=_("The credit is on your balance."))
