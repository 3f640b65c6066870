"""`/settings/autopay`: the saved card of the number on show, its two rules ("when the
balance falls below X, top up Y"; "every month on day D, top up Y"), and removing the card.
The operator's monthly caps bound what may be set (portal/core/autopay.py `caps`)."""
from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from wtforms import HiddenField, StringField

from models import AutopayRule
from rules import autopay as autopay_rules
from rules.amounts import AmountError, parse_uah
from ..core import autopay as core_autopay
from ..core.auth import current_profile, current_subscription, current_subscription_or_404
from ..core.formatting import plain, uah
from ..core.forms import BaseForm
from ..core.web import CONFLICT, INVALID_FORM, flashed_notice, render, see_other
from . import autopay
from .views import bp


class AutopayForm(BaseForm):
    """One rule, or removing the card. `action` is the pressed button: 'threshold',
    'monthly', 'threshold-off', 'monthly-off' or 'remove-card'; without one, the posted
    fields tell (`day` a monthly rule, else a threshold rule)."""
    number = HiddenField()
    action = HiddenField()
    threshold = StringField(_l("When the balance falls below, UAH"))
    day = StringField(_l("Day of the month, 1 to 28"))
    amount = StringField(_l("Top up by, UAH"))

    def kind(self):
        action = self.action.data or ""
        if action in ("threshold", "monthly", "threshold-off", "monthly-off", "remove-card"):
            return action
        return "monthly" if self.day.data else "threshold"


REFUSALS = {
    ("threshold", "min"): lambda limit: _("At least %(limit)s.", limit=uah(limit)),
    ("threshold", "max"): lambda limit: _("At most %(limit)s.", limit=uah(limit)),
    ("amount", "min"): lambda limit: _("At least %(limit)s.", limit=uah(limit)),
    ("amount", "max"): lambda limit: _("At most %(limit)s in one automatic top-up.",
                                       limit=uah(limit)),
    ("day", "min"): lambda limit: _("A day from 1 to 28."),
    ("day", "max"): lambda limit: _("A day from 1 to 28."),
}


def _forms(rules, subscription):
    threshold, monthly = rules.get(AutopayRule.THRESHOLD), rules.get(AutopayRule.MONTHLY)
    return {
        AutopayRule.THRESHOLD: AutopayForm(
            formdata=None, number=subscription.number,
            threshold=plain(threshold.threshold) if threshold else "",
            amount=plain(threshold.amount) if threshold else ""),
        AutopayRule.MONTHLY: AutopayForm(
            formdata=None, number=subscription.number,
            day=str(monthly.day) if monthly else "",
            amount=plain(monthly.amount) if monthly else ""),
    }


def _context(subscription, posted=None, kind=None, alert=None, notice=None):
    context = {"subscription": subscription, "alert": alert, "notice": notice}
    if subscription is None or not subscription.is_mobile:
        return context
    rules = autopay.rules_of(subscription)
    forms = _forms(rules, subscription)
    if posted is not None:
        forms[kind] = posted
    caps = core_autopay.caps()
    context.update(saved_card=autopay.card_of(subscription), rules=rules, forms=forms,
                   caps={"count": caps.count, "total": uah(caps.total)})
    return context


@bp.get("/settings/autopay")
@login_required
def autopay_settings():
    return render("settings_autopay.html",
                  **_context(current_subscription(), notice=flashed_notice()))


def _parse(form, kind):
    """The rule's figures, or None with the reasons on the fields."""
    figures = {}
    try:
        figures["amount"] = parse_uah(form.amount.data)
    except AmountError:
        form.amount.errors.append(_("Type an amount in hryvnias, like 100 or 100.50."))
    if kind == AutopayRule.THRESHOLD:
        try:
            figures["threshold"] = parse_uah(form.threshold.data)
        except AmountError:
            form.threshold.errors.append(_("Type an amount in hryvnias, like 20 or 20.50."))
    else:
        text = (form.day.data or "").strip()
        if text.isdecimal() and len(text) <= 2:
            figures["day"] = int(text)
        else:
            form.day.errors.append(_("A day from 1 to 28."))
    return None if form.errors else figures


@bp.post("/settings/autopay")
@login_required
def autopay_save():
    form = AutopayForm()
    form.validate()  # the CSRF token, and the fields' error lists
    subscription = current_subscription_or_404(form.number.data)
    if not subscription.is_mobile:
        return render("settings_autopay.html", "autopay", CONFLICT, **_context(
            subscription, alert=_("Automatic top-ups are for mobile numbers.")))
    kind = form.kind()
    done = url_for("topup.autopay_settings")
    if kind == "remove-card":
        autopay.remove_card(subscription.id, current_profile().id)
        return see_other(done, notice=_("The card is removed and automatic top-ups stop."))
    if kind.endswith("-off"):
        autopay.remove_rule(subscription.id, kind[:-len("-off")])
        return see_other(done, notice=_("The rule is turned off."))
    if autopay.card_of(subscription) is None:
        return render("settings_autopay.html", "autopay", CONFLICT, **_context(
            subscription, alert=_("Save a card first: tick “Save this card” when you top up "
                                  "this number.")))
    figures = _parse(form, kind)
    if figures is not None:
        try:
            autopay.set_rule(subscription.id, kind, **figures)
        except autopay_rules.AutopayRefused as refused:
            getattr(form, refused.field).errors.append(
                REFUSALS[(refused.field, refused.code)](refused.limit))
        else:
            return see_other(done, notice=_("Saved: automatic top-ups are on."))
    return render("settings_autopay.html", "autopay", INVALID_FORM,
                  **_context(subscription, posted=form, kind=kind))
