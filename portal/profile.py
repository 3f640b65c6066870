"""The profile: personal data and contact number, the cabinet's numbers and accounts (added
with an SMS code sent to them, or removed), the signed-in sessions, a number's settings and
its device information (PUK1 only after the password is typed again)."""
import csv
import hashlib
from pathlib import Path

from flask import Blueprint, abort, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

import models
from models import (AuditEvent, AuthSession, Device, ManagedNumber, Profile, Subscription,
                    UsageDay)
from rules import alerts as alert_rules, profile as rules
from rules.expenses import CREDIT_TYPES
from rules.numbers import parse_mobile
from rules.sessions import ENDED, check_session
from . import alerts, clock, security, sms
from .auth import (IDLE, REMEMBERED, current_profile, current_subscription,
                   current_subscription_or_404, own_subscription)
from .formatting import phone as phone_text
from .forms import BaseForm, LoginField, MobileField, sms_code_field
from .signin import code_refusal_message, lockout_message, password_key
from .web import (CONFLICT, GATEWAY_DOWN, INVALID_FORM, TOO_MANY, or_404, render, see_other,
                  submitted)

bp = Blueprint("profile", __name__)

ADD_PURPOSE = "add-number"
DEVICES_FILE = Path(__file__).resolve().parent.parent / "demo" / "devices.csv"


# Forms -----------------------------------------------------------------------------------

class ContactForm(BaseForm):
    contact_phone = MobileField(_l("Contact number"), validators=[Optional()])
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Type your password to confirm.")), Length(max=200)])


class AddNumberForm(BaseForm):
    number = LoginField(_l("Number or Home Internet account"))


class AddCodeForm(BaseForm):
    code = sms_code_field()


class NicknameForm(BaseForm):
    number = HiddenField()  # the number whose settings page it was sent from
    nickname = StringField(_l("Nickname"))


class RemoveNumberForm(BaseForm):
    number = HiddenField()
    confirm = HiddenField()  # 'yes' once the question was answered


class RemoveManagerForm(BaseForm):
    manager = HiddenField()  # a ManagedNumber id of one of this cabinet's own numbers


class EndSessionForm(BaseForm):
    session = HiddenField()  # the session's public id


class PukForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Type your password to see the PUK1.")), Length(max=200)])


def refusal_message(refusal):
    return {
        "yours": _("This number is in your cabinet already."),
        "closed": _("This number is closed and cannot be added."),
        "full": _("A cabinet holds at most %(limit)s numbers and accounts.", limit=refusal.limit),
        "no_phone": _("This account has no contact phone for the code. Please call support."),
        "last": _("The last number stays in the cabinet: it is how you sign in."),
        "too_long": _("At most %(limit)s characters.", limit=refusal.limit),
        "characters": _("Use letters, digits, spaces and punctuation only."),
    }[refusal.code]


# Sessions --------------------------------------------------------------------------------

def public_id(token):
    """A session's name on the page: never the token itself, which signs a browser in."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def live_sessions(profile):
    """The profile's sessions that still sign a browser in, newest first."""
    now = clock.now()
    rows = AuthSession.open_for(profile).order_by(AuthSession.last_seen_at.desc())
    return [row for row in rows if check_session(
        REMEMBERED if row.remember else IDLE, row.created_at, row.last_seen_at, now) != ENDED]


def session_label(row):
    browser, system = rules.describe_user_agent(row.user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


# The profile page ------------------------------------------------------------------------

def profile_context(contact_form=None, add_form=None, alert=None, notice=None,
                    removing=None):
    profile = current_profile()
    if contact_form is None:
        contact_form = ContactForm(formdata=None, contact_phone=phone_text(
            profile.contact_phone) if profile.contact_phone else "")
    numbers = list(profile.numbers())
    managers = {}
    for row in (ManagedNumber.select(ManagedNumber, Profile).join(Profile)
                .where(ManagedNumber.subscription.in_(
                    [sub.id for sub in numbers if sub.profile_id == profile.id]))
                .order_by(ManagedNumber.added_at)):
        managers.setdefault(row.subscription_id, []).append(row)
    return {"profile": profile, "numbers": numbers, "managers": managers,
            "current": current_user.auth_session.selected_id,
            "sessions": [(public_id(row.token), row, session_label(row))
                         for row in live_sessions(profile)],
            "this_session": current_user.auth_session.token,
            "contact_form": contact_form, "add_form": add_form or AddNumberForm(formdata=None),
            "alert": alert, "notice": notice, "removing": removing}


NOTICES = {
    "contact": _l("The contact number is saved."),
    "added": _l("The number is added to your cabinet."),
    "removed": _l("The number is removed from your cabinet."),
    "manager_removed": _l("That cabinet no longer manages your number."),
    "ended": _l("That session is signed out."),
}


@bp.get("/profile")
@login_required
def page():
    notice = NOTICES.get(request.args.get("done", ""))
    return render("profile.html", **profile_context(notice=notice))


@bp.post("/profile/contact")
@login_required
def contact():
    profile = current_profile()
    form = ContactForm()

    def refused(status, alert=None):
        return render("profile.html", "contact_form", status,
                      **profile_context(contact_form=form, alert=alert))

    valid = form.validate()
    if form.password.data:
        result = security.attempt(password_key(profile.id), lambda: security.verify_password(
            profile.password_hash, form.password.data))
        if result.refused_unchecked:
            return refused(TOO_MANY, lockout_message(result.until))
        if not result.ok:
            form.password.errors.append(_("This is not your password."))
            valid = False
    if not valid:
        return refused(INVALID_FORM)
    with models.locking_transaction():
        Profile.update(contact_phone=form.contact_phone.parsed).where(
            Profile.id == profile.id).execute()
        security.audit("contact_changed", profile=profile, subject=form.contact_phone.parsed or "")
    return see_other(url_for("profile.page", done="contact"))


# Adding and removing numbers -------------------------------------------------------------

def _code_phone(subscription):
    """A mobile number gets its code itself; an account, at its cabinet's contact phone."""
    if subscription.is_mobile:
        return subscription.number
    owner = subscription.profile
    return owner.contact_phone or owner.sms_phone()


def _in_cabinet(profile, subscription):
    return subscription.profile_id == profile.id or ManagedNumber.select().where(
        (ManagedNumber.profile == profile.id)
        & (ManagedNumber.subscription == subscription.id)).exists()


def _numbers_in_cabinet(profile):
    return Subscription.select().where(Subscription.in_cabinet(profile.id)).count()


def _add_code_page(status=200, form=None, alert=None, sent_to=None):
    pending = session.get("add_number") or {}
    return render("profile_add_code.html", "code_form", status,
                  form=form or AddCodeForm(formdata=None), number=pending.get("number"),
                  alert=alert, sent_to=sent_to)


@bp.post("/profile/numbers/add")
@login_required
def add_number():
    profile = current_profile()
    form = AddNumberForm()

    def refused(status, alert=None):
        return render("profile.html", "add_form", status,
                      **profile_context(add_form=form, alert=alert))

    if not form.validate():
        return refused(INVALID_FORM)
    target = Subscription.get_or_none(Subscription.number == form.number.parsed.number)
    if target is None:
        form.number.errors.append(_("We have no subscriber with this number. Check it."))
        return refused(INVALID_FORM)
    candidate = rules.Candidate(kind=target.kind, state=target.state,
                                in_cabinet=_in_cabinet(profile, target),
                                code_phone=_code_phone(target))
    try:
        phone = rules.check_addition(candidate, _numbers_in_cabinet(profile))
    except rules.ProfileRefused as refusal:
        form.number.errors.append(refusal_message(refusal))
        return refused(INVALID_FORM)
    try:
        with models.locking_transaction():
            code, nonce = security.issue_code(ADD_PURPOSE, target.number, str(profile.id))
            with sms.language_of(target.number):
                message = sms.send(phone, _(
                    "Code %(code)s lets another cabinet of My cabinet manage %(number)s: see its "
                    "balance and spending, top it up, change its services, send money from it. "
                    "You keep signing in as before. If you did not ask for it, tell nobody the "
                    "code.", code=code, number=phone_text(target.number)),
                    kind="add-number", secret=(code,))
    except sms.BudgetRefused as refusal:
        return refused(TOO_MANY, sms.refusal_message(refusal))
    if not sms.deliver(message):
        return refused(GATEWAY_DOWN, sms.not_sent_message())
    session["add_number"] = {"number": target.number, "nonce": nonce}
    security.audit("number_add_asked", profile=profile, subject=target.number)
    return _add_code_page(sent_to=phone)


@bp.post("/profile/numbers/confirm")
@login_required
def confirm_number():
    profile = current_profile()
    form = AddCodeForm()
    pending = session.get("add_number") or {}
    target = Subscription.get_or_none(Subscription.number == pending.get("number", ""))
    if target is None:
        return _add_code_page(409, form, alert=_("Ask for a code first."))
    if not form.validate():
        return _add_code_page(INVALID_FORM, form)
    result = security.attempt(f"add-number:{profile.id}", lambda: bool(security.check_code(
        ADD_PURPOSE, target.number, pending.get("nonce"), form.code.data,
        reference=str(profile.id))))
    if result.refused_unchecked:
        return _add_code_page(TOO_MANY, form, alert=lockout_message(result.until))
    if not result.ok:
        if result.until:
            return _add_code_page(TOO_MANY, form, alert=lockout_message(result.until))
        form.code.errors.append(code_refusal_message(result.refusal))
        return _add_code_page(INVALID_FORM, form)
    with models.locking_transaction():
        target = Subscription.locked(target.id)  # as it is now, not as it was asked for
        try:
            rules.check_addition(rules.Candidate(target.kind, target.state,
                                                 _in_cabinet(profile, target), "code sent"),
                                 _numbers_in_cabinet(profile))
        except rules.ProfileRefused as refusal:
            session.pop("add_number", None)
            return _add_code_page(CONFLICT, form, alert=refusal_message(refusal))
        ManagedNumber.create(profile=profile.id, subscription=target, added_at=clock.now())
        security.audit("number_added", profile=profile, subject=target.number,
                       details=f"managed; its cabinet is profile {target.profile_id}")
    session.pop("add_number", None)
    return see_other(url_for("profile.page", done="added"))


@bp.post("/profile/numbers/remove")
@login_required
def remove_number():
    """First the question (the numbers block asks to confirm), then, with confirm=yes, the
    removal itself: one stray tap must not take a number out of the cabinet."""
    profile = current_profile()
    form = submitted(RemoveNumberForm())
    subscription = own_subscription(form.number.data or "")
    managed = subscription.profile_id != profile.id
    with models.locking_transaction():
        own_count = Subscription.select().where(Subscription.profile == profile.id).count()
        try:
            rules.check_removal(own_count, managed)
        except rules.ProfileRefused as refusal:
            return render("profile.html", "numbers", CONFLICT,
                          **profile_context(alert=refusal_message(refusal)))
        if form.confirm.data != "yes":
            return render("profile.html", "numbers", **profile_context(removing=subscription))
        if managed:  # it stays in its own cabinet; this one stops managing it
            ManagedNumber.delete().where((ManagedNumber.profile == profile.id) & (
                ManagedNumber.subscription == subscription.id)).execute()
        else:
            # The number goes to a cabinet of its own, with no password: its holder can sign
            # in by SMS or register it again.
            own = Profile.create(name=subscription.holder_name, created_at=clock.now())
            Subscription.update(profile=own, updated_at=clock.now()).where(
                Subscription.id == subscription.id).execute()
        security.audit("number_removed", profile=profile, subject=subscription.number)
    return see_other(url_for("profile.page", done="removed"))


@bp.post("/profile/managers/remove")
@login_required
def remove_manager():
    """The owner of a number ends another cabinet's managing of it."""
    profile = current_profile()
    form = RemoveManagerForm()
    if not form.validate() or not (form.manager.data or "").isdigit():
        abort(400)
    row = (ManagedNumber.select(ManagedNumber, Subscription).join(Subscription)
           .where((ManagedNumber.id == int(form.manager.data[:18]))
                  & (Subscription.profile == profile.id)).first())
    if row is None:
        abort(404)
    with models.locking_transaction():
        ManagedNumber.delete_by_id(row.id)
        security.audit("manager_removed", profile=profile, subject=row.subscription.number,
                       details=f"profile {row.profile_id}")
    return see_other(url_for("profile.page", done="manager_removed"))


# Sessions --------------------------------------------------------------------------------

@bp.post("/profile/sessions/end")
@login_required
def end_session():
    profile = current_profile()
    form = submitted(EndSessionForm())
    row = or_404(next((row for row in AuthSession.open_for(profile)
                       if public_id(row.token) == form.session.data), None))
    AuthSession.end(row.token, clock.now())
    security.audit("session_ended", profile=profile)
    if row.token == current_user.auth_session.token:
        logout_user()
        session.clear()
        return see_other(url_for("auth.login_page"))
    return see_other(url_for("profile.page", done="ended"))


@bp.post("/profile/sessions/end-all")
@login_required
def end_all_sessions():
    profile = current_profile()
    ended = AuthSession.end_all(profile, clock.now())
    security.audit("signed_out_everywhere", profile=profile, details=f"ended {ended} sessions")
    logout_user()
    session.clear()
    return see_other(url_for("auth.login_page"))


# Settings of a number --------------------------------------------------------------------

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
        context["alert_form"] = alerts.AlertForm.of(subscription)
    context["valid_until"] = valid_until([subscription])[subscription.id]
    return context


def valid_until(subscriptions):
    """{id: the last valid day (None: a contract, or closed)} of each of `subscriptions`
    (rules.profile.valid_until), in one query: /settings and the balance API show it."""
    # Every top-up counts: the operator's feed, a card, money received from another number.
    last_topups = UsageDay.last_days_of([sub.id for sub in subscriptions], CREDIT_TYPES)
    return {sub.id: rules.valid_until(sub.payment, sub.status, sub.activated_on,
                                      last_topups.get(sub.id)) for sub in subscriptions}


@bp.get("/settings")
@login_required
def settings():
    notices = {"saved": _("The nickname is saved."), "alert_on": _("The alert is saved."),
               "alert_off": _("The alert is off.")}
    notice = next((text for name, text in notices.items() if request.args.get(name)), None)
    return render("settings.html", **settings_context(notice=notice))


@bp.post("/settings/nickname")
@login_required
def nickname():
    form = NicknameForm()
    subscription = current_subscription_or_404(form.number.data)
    try:
        cleaned = rules.clean_nickname(form.nickname.data)
    except rules.ProfileRefused as refusal:
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
    return see_other(url_for("profile.settings", saved=1))


@bp.post("/settings/alert")
@login_required
def low_balance_alert():
    """The low-balance alert of a mobile number (portal/alerts.py); empty turns it off."""
    form = alerts.AlertForm()
    subscription = current_subscription_or_404(form.number.data)
    if not subscription.is_mobile:
        abort(404)  # the form is never offered for a Home Internet account
    form.validate()
    try:
        threshold = alert_rules.parse_threshold(form.threshold.data)
    except alert_rules.ThresholdRefused as refusal:
        form.threshold.errors.append(alerts.threshold_message(refusal))
        return render("settings.html", "alert_form", INVALID_FORM,
                      **settings_context(subscription=subscription, alert_form=form))
    with models.locking_transaction():
        alerts.set_threshold(subscription.id, threshold)
    return see_other(url_for("profile.settings", **{"alert_on" if threshold else "alert_off": 1}))


# Device information ----------------------------------------------------------------------

def device_context(form=None, alert=None, puk=None):
    subscription = current_subscription()
    device = Device.get_or_none(Device.subscription == subscription) if subscription else None
    return {"subscription": subscription, "device": device, "form": form or PukForm(formdata=None),
            "alert": alert, "puk": puk,
            "iccid": rules.format_iccid(device.iccid) if device else None}


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
    result = security.attempt(password_key(profile.id), lambda: security.verify_password(
        profile.password_hash, form.password.data))
    if result.refused_unchecked:
        context["alert"] = lockout_message(result.until)
        return render("device.html", "puk", TOO_MANY, **context)
    if not result.ok:
        form.password.errors.append(_("This is not your password."))
        if result.until:
            context["alert"] = lockout_message(result.until)
            return render("device.html", "puk", TOO_MANY, **context)
        return render("device.html", "puk", INVALID_FORM, **context)
    security.audit("puk_shown", profile=profile, subject=context["subscription"].number)
    context["puk"] = context["device"].puk1
    return render("device.html", "puk", **context)


# The request archive ---------------------------------------------------------------------

ARCHIVED_EVENTS = ("number_added", "number_removed", "contact_changed", "nickname_changed",
                   "signed_out_everywhere")


def archive_title(event):
    return {"number_added": _("Add a number to the cabinet"),
            "number_removed": _("Remove a number from the cabinet"),
            "contact_changed": _("Change the contact number"),
            "nickname_changed": _("Change the nickname of a number"),
            "signed_out_everywhere": _("Sign out everywhere")}[event.event]


def archived_changes(profile_id, narrow):
    """The profile's own changes, done at once, for the request archive."""
    rows = narrow(AuditEvent.select().where((AuditEvent.profile == profile_id)
                                            & AuditEvent.event.in_(ARCHIVED_EVENTS)),
                  AuditEvent.at, AuditEvent.id)
    return [{"id": row.id, "number": row.subject if row.event != "contact_changed" else "",
             "title": archive_title(row), "state": "done", "state_label": _("Done"),
             "created_at": row.at, "finished_at": row.at} for row in rows]



# Demo data ---------------------------------------------------------------------------------

def load_demo(demo_clock, path=DEVICES_FILE):
    """The SIM card and phone of each demo number: what the network knows and the
    subscriber feed does not carry. Safe to run again."""
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not (rules.is_iccid(row["iccid"]) and rules.is_puk(row["puk1"])):
                raise ValueError(f"{path}: bad SIM data for {row['number']}")
            subscription = Subscription.by_number(parse_mobile(row["number"]))
            if subscription is None:
                continue
            fields = {"phone_model": row["phone_model"], "iccid": row["iccid"],
                      "puk1": row["puk1"]}
            if Device.update(**fields).where(Device.subscription == subscription).execute() == 0:
                Device.create(subscription=subscription, **fields)



def init_app(app):
    app.register_blueprint(bp)
