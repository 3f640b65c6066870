"""Free SMS from the current number to another subscriber of the operator, through the SMS
gateway, with the characters and parts counted as the subscriber types (and by the server)."""
from flask import Blueprint, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from wtforms import HiddenField, TextAreaField

from models import FreeSms, Subscription
from rules import sms as sms_rules, states as states_rules
from rules.states import StateRefusal
from ..core import clock, states
from ..core.auth import current_subscription, current_subscription_or_404
from ..core.formatting import phone
from ..core.forms import BaseForm, MobileField
from ..core.web import CONFLICT, INVALID_FORM, TOO_MANY, flashed_notice, render, see_other
from . import service

bp = Blueprint("free_sms", __name__)


class SmsForm(BaseForm):
    number = HiddenField()  # the sender: the number the page was sent from
    to = MobileField(_l("To (a number of ours)"))
    text = TextAreaField(_l("Text"))


def refusal_message(refusal):
    return {
        "empty": _("Type the text of the SMS."),
        "too_long": _("The text takes %(parts)s SMS; a free SMS may take at most %(limit)s.",
                      parts=refusal.parts, limit=refusal.limit),
        "cap": _("Today's free SMS are used up: %(left)s of %(limit)s left, this text takes "
                 "%(parts)s. Try again tomorrow.", left=refusal.left, limit=refusal.limit,
                 parts=refusal.parts),
        "not_mobile": _("Free SMS are sent from a mobile number. Choose one of your numbers."),
    }[refusal.code]


def sms_context(form, subscription, alert=None, notice=None, parts_today=None):
    prefix = service.sender_prefix(subscription) if subscription else ""
    # A number whose state forbids sending is told so at once, not after the form.
    refused = (states.own_refusal(states_rules.SMS_OUT, subscription)
               if subscription is not None and subscription.is_mobile else None)
    if parts_today is None and subscription is not None:
        parts_today = FreeSms.parts_since(subscription, service.start_of_day())
    return {"form": form, "subscription": subscription, "prefix": prefix,
            "counted": sms_rules.count(prefix + sms_rules.normalize(form.text.data)),
            "typed": len(sms_rules.normalize(form.text.data)),
            "left_today": sms_rules.parts_left_today(parts_today or 0), "cap": sms_rules.DAILY_CAP,
            "max_parts": sms_rules.MAX_PARTS, "alert": alert or refused, "notice": notice,
            "refused": refused}


@bp.get("/sms")
@login_required
def page():
    subscription = current_subscription()
    notice = flashed_notice()
    form = SmsForm(formdata=None, to=request.args.get("to", ""))
    return render("sms.html", **sms_context(form, subscription, notice=notice))


@bp.post("/sms/send")
@login_required
def send():
    form = SmsForm()
    subscription = current_subscription_or_404(form.number.data)

    def refused(status, alert=None, **extra):
        return render("sms.html", "sms_form", status,
                      **sms_context(form, subscription, alert=alert, **extra))

    try:
        sms_rules.check_sender(subscription.kind, subscription.state)
    except sms_rules.SmsRefused as refusal:
        return refused(CONFLICT, refusal_message(refusal))
    except StateRefusal as refusal:
        return refused(CONFLICT, states.refusal_message(refusal, subscription))
    valid = form.validate()
    text = sms_rules.normalize(form.text.data)
    counted = None
    try:
        sms_rules.check_text(text)
        counted = sms_rules.check_text(service.sender_prefix(subscription) + text)
    except sms_rules.SmsRefused as refusal:
        form.text.errors.append(refusal_message(refusal))
        valid = False
    if valid:
        recipient = Subscription.get_or_none((Subscription.number == form.to.parsed)
                                             & (Subscription.kind == "mobile"))
        if recipient is None:
            form.to.errors.append(_("No subscriber of ours has this number. Check it."))
            valid = False
        elif states_rules.refusal(states_rules.SMS_IN, recipient.state):
            form.to.errors.append(states.OTHER[recipient.state](recipient.number))
            valid = False
    if not valid:
        return refused(INVALID_FORM)
    try:
        service.send(subscription.id, form.to.parsed, text, counted, clock.now())
    except sms_rules.SmsRefused as refusal:
        return refused(TOO_MANY, refusal_message(refusal), parts_today=refusal.limit - refusal.left)
    return see_other(url_for("free_sms.page"), notice=_(
        "The SMS is on its way to %(number)s.", number=phone(form.to.parsed)))
