"""The bonus history (/bonuses): every change of the bonuses of the number or account on
show, a month at a time, with the balance after each (the move itself: views.py)."""
from flask import request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from wtforms import Form, StringField

from rules import money as money_rules
from rules.expenses import parse_period
from ..core import clock
from ..core.auth import current_subscription_or_404
from ..core.formatting import day, month, phone, uah
from ..core.web import INVALID_FORM, render
from . import service
from .views import bp


class MonthForm(Form):
    month = StringField(_l("Month"))


MONTH_MESSAGES = {
    "month_format": lambda error: _("Choose a month, like 2026-11."),
    "too_early": lambda error: _("The history starts from %(earliest)s.",
                                 earliest=day(error.params["earliest"])),
    "future": lambda error: _("This month has not begun yet."),
}


def describe(line):
    """What a line of the history says, in the reader's language."""
    details = line.details
    if line.kind == "accrual":
        if not details:
            return _("Monthly accrual")
        text = _("Accrual for %(month)s: the fee paid, %(fee)s",
                 month=month(details["month"]), fee=uah(details["fee"]))
        if details["days_out"]:
            text += "; " + _("%(days)s day(s) without service left out",
                             days=details["days_out"])
        return text
    if line.kind == "move_out":
        return _("Moved to %(number)s", number=phone(details["number"])) if details \
            else _("Moved to a mobile number")
    if line.kind == "move_in":
        return _("Moved from account %(number)s", number=details["number"]) if details \
            else _("Moved from a Home Internet account")
    if line.kind == "spend":
        usage_type, counterpart = details.get("type"), details.get("counterpart", "")
        if usage_type == "call_out":
            return _("Paid for a call to %(number)s", number=phone(counterpart))
        if usage_type == "sms_out":
            return _("Paid for a message to %(number)s", number=phone(counterpart))
        return _("Paid for mobile internet")
    if line.kind == "lapse":
        return _("Lapsed: %(days)s days after the move", days=money_rules.BONUS_LAPSE_DAYS)
    return _("Correction by the billing")


@bp.get("/bonuses")
@login_required
def history():
    subscription = current_subscription_or_404()
    form = MonthForm(request.args)
    today = clock.today()
    period, errors = parse_period(request.args.get("month"), None, None, today)
    if errors:
        form.month.errors = [MONTH_MESSAGES.get(errors[0].code, MONTH_MESSAGES["month_format"])(
            errors[0])]
        return render("bonus_history.html", "history", status=INVALID_FORM, form=form,
                      subscription=subscription, period=None, lines=[], opening=None)
    form.month.data = period.month
    opening, lines = service.bonus_history(subscription, period.since, period.until)
    previous, following = period.previous_month(), period.next_month()
    return render("bonus_history.html", "history", form=form, subscription=subscription,
                  period=period, opening=opening,
                  lines=[(line, describe(line)) for line in reversed(lines)],
                  previous=previous.month, following=following.month
                  if following.start <= today else None)
