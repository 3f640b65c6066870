"""The settings of the number on show (nickname, low-balance alert) and its device
information (PUK1 only after the password again)."""
from flask import abort, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

import models
from models import Device, Subscription
from rules import alerts as alerts_rules, profile as profile_rules
from ..core import alerts, clock, security
from ..core.auth import current_profile, current_subscription, current_subscription_or_404
from ..core.formatting import typed, uah
from ..core.forms import BaseForm
from ..core.web import INVALID_FORM, TOO_MANY, flashed_notice, render, see_other
from . import service
from .views import bp, refusal_message


class AlertForm(BaseForm):
    number = HiddenField()  # the number whose settings page it was sent from
    threshold = StringField(_l("Send an SMS when the balance falls below, UAH"))

    @classmethod
    def of(cls, subscription):
        """The form showing the alert `subscription` has now."""
        threshold = subscription.alert_threshold
        return cls(formdata=None, number=subscription.number,
                   threshold="" if threshold is None else typed(threshold))


def threshold_message(refusal):
    """A rules.alerts.ThresholdRefused in the subscriber's words."""
    if refusal.code == "format":
        return _("Type an amount in hryvnias, like 50 or 50.25, or leave it empty.")
    if refusal.code == "min":
        return _("At least %(limit)s.", limit=uah(refusal.limit))
    return _("At most %(limit)s.", limit=uah(refusal.limit))



class NicknameForm(BaseForm):
    number = HiddenField()  # the number whose settings page it was sent from
    nickname = StringField(_l("Nickname"))


class PukForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Type your password to see the PUK1.")), Length(max=200)])


def settings_context(form=None, notice=None, subscription=None, alert_form=None):
    subscription = subscription or current_subscription()
    context = {"subscription": subscription, "notice": notice, "form": form, "valid_until": None,
               "alert_form": alert_form}
    if subscription is None:
        return context
    if form is None:
        context["form"] = NicknameForm(formdata=None, number=subscription.number,
                                       nickname=subscription.nickname or "")
    if alert_form is None and subscription.is_mobile:
        context["alert_form"] = AlertForm.of(subscription)
    context["valid_until"] = service.valid_until([subscription])[subscription.id]
    return context


@bp.get("/settings")
@login_required
def settings():
    return render("settings.html", **settings_context(notice=flashed_notice()))


@bp.post("/settings/nickname")
@login_required
def nickname():
    form = NicknameForm()
    subscription = current_subscription_or_404(form.number.data)
    try:
        cleaned = profile_rules.clean_nickname(form.nickname.data)
    except profile_rules.ProfileRefused as refusal:
        form.validate()
        form.nickname.errors.append(refusal_message(refusal))
        return render("settings.html", "nickname_form", INVALID_FORM,
                      **settings_context(form, subscription=subscription))
    if not form.validate():
        return render("settings.html", "nickname_form", INVALID_FORM,
                      **settings_context(form, subscription=subscription))
    with models.locking_transaction():
        Subscription.update(nickname=cleaned, updated_at=clock.now()).where(
            (Subscription.id == subscription.id)
            & Subscription.in_cabinet(current_user.id)).execute()
        security.audit("nickname_changed", profile=current_user.id, subject=subscription.number,
                       details=cleaned or "")
    return see_other(url_for("profile.settings"), notice=_("The nickname is saved."))


@bp.post("/settings/alert")
@login_required
def low_balance_alert():
    """The low-balance alert of a mobile number (portal/core/alerts.py); empty turns it off."""
    form = AlertForm()
    subscription = current_subscription_or_404(form.number.data)
    if not subscription.is_mobile:
        abort(404)  # the form is never offered for a Home Internet account
    form.validate()
    try:
        threshold = alerts_rules.parse_threshold(form.threshold.data)
    except alerts_rules.ThresholdRefused as refusal:
        form.threshold.errors.append(threshold_message(refusal))
        return render("settings.html", "alert_form", INVALID_FORM,
                      **settings_context(subscription=subscription, alert_form=form))
    with models.locking_transaction():
        alerts.set_threshold(subscription.id, threshold)
    return see_other(url_for("profile.settings"), notice=_("The alert is saved.") if threshold
                     else _("The alert is off."))


def device_context(form=None, alert=None, puk=None):
    subscription = current_subscription()
    device = Device.get_or_none(Device.subscription == subscription) if subscription else None
    return {"subscription": subscription, "device": device, "form": form or PukForm(formdata=None),
            "alert": alert, "puk": puk,
            "iccid": profile_rules.format_iccid(device.iccid) if device else None}


@bp.get("/device")
@login_required
def device():
    return render("device.html", **device_context())


@bp.post("/device/puk")
@login_required
def show_puk():
    """PUK1 unlocks a blocked SIM: shown in this answer only, after the password again."""
    profile = current_profile()
    form = PukForm()
    context = device_context(form)
    if context["device"] is None:
        abort(404)
    if not form.validate():
        return render("device.html", "puk", INVALID_FORM, **context)
    result = security.attempt(security.password_key(profile.id), lambda: security.verify_password(
        profile.password_hash, form.password.data))
    if result.refused_unchecked:
        context["alert"] = security.lockout_message(result.until)
        return render("device.html", "puk", TOO_MANY, **context)
    if not result.ok:
        form.password.errors.append(_("This is not your password."))
        if result.until:
            context["alert"] = security.lockout_message(result.until)
            return render("device.html", "puk", TOO_MANY, **context)
        return render("device.html", "puk", INVALID_FORM, **context)
    security.audit("puk_shown", profile=profile, subject=context["subscription"].number)
    context["puk"] = context["device"].puk1
    return render("device.html", "puk", **context)
