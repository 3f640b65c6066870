"""The profile: personal data and contact number, the cabinet's numbers and accounts (added
with an SMS code sent to them, or removed), the signed-in sessions, a number's settings and
its device information (PUK1 only after the password is typed again)."""
import csv
import hashlib
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, logout_user
from peewee import fn
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

import models
from models import AuditEvent, AuthSession, Device, LedgerEntry, Profile, Subscription
from rules import profile as rules
from rules.numbers import format_number, parse_mobile
from . import security
from .auth import (IDLE_TIMEOUT, REMEMBER_FOR, _code_refusal_message as code_refusal_message,
                   _lockout_message, current_subscription, own_subscription,
                   subscriber_required)
from .demo import DEMO_LOADERS
from .requests import REQUEST_SOURCES
from .forms import BaseForm, LoginField, MobileField, sms_code_field
from .sms import SmsError, send_sms
from .web import INVALID_FORM, render, see_other

bp = Blueprint("profile", __name__)

TOO_MANY = 429
GATEWAY_DOWN = 503
ADD_PURPOSE = "add-number"
DEVICES_FILE = Path(__file__).resolve().parent.parent / "demo" / "devices.csv"


def _now():
    return current_app.config["CLOCK"].now()


def _profile():
    return current_user._get_current_object()


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
    nickname = StringField(_l("Nickname"))


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
    now = _now()
    rows = AuthSession.open_for(profile).order_by(AuthSession.last_seen_at.desc())
    return [row for row in rows
            if (now - row.created_at <= REMEMBER_FOR if row.remember
                else now - row.last_seen_at <= IDLE_TIMEOUT)]


def session_label(row):
    browser, system = rules.describe_user_agent(row.user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


# The profile page ------------------------------------------------------------------------

def profile_context(contact_form=None, add_form=None, alert=None, notice=None,
                    removing=None):
    profile = _profile()
    if contact_form is None:
        contact_form = ContactForm(formdata=None, contact_phone=format_number(
            profile.contact_phone) if profile.contact_phone else "")
    return {"profile": profile, "numbers": list(profile.numbers()),
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
    "ended": _l("That session is signed out."),
}


@bp.get("/profile")
@subscriber_required
def page():
    notice = NOTICES.get(request.args.get("done", ""))
    return render("profile.html", **profile_context(notice=notice))


@bp.post("/profile/contact")
@subscriber_required
def contact():
    profile = _profile()
    form = ContactForm()
    key = f"profile:{profile.id}"
    until = security.locked_until(key)
    if until:
        return render("profile.html", "contact_form", TOO_MANY, **profile_context(
            contact_form=form, alert=_lockout_message(until)))
    valid = form.validate()
    if form.password.data and not security.verify_password(profile.password_hash,
                                                           form.password.data):
        form.password.errors.append(_("This is not your password."))
        security.record_failure(key)
        valid = False
    if not valid:
        return render("profile.html", "contact_form", INVALID_FORM,
                      **profile_context(contact_form=form))
    with models.db.atomic():
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


def _add_code_page(status=200, form=None, alert=None, sent_to=None):
    pending = session.get("add_number") or {}
    return render("profile_add_code.html", "code_form", status,
                  form=form or AddCodeForm(formdata=None), number=pending.get("number"),
                  alert=alert, sent_to=sent_to)


@bp.post("/profile/numbers/add")
@subscriber_required
def add_number():
    profile = _profile()
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
    count = Subscription.select().where(Subscription.profile == profile.id).count()
    candidate = rules.Candidate(kind=target.kind, status=target.status,
                                owner_profile_id=target.profile_id,
                                code_phone=_code_phone(target))
    try:
        phone = rules.check_addition(candidate, profile.id, count)
    except rules.ProfileRefused as refusal:
        form.number.errors.append(refusal_message(refusal))
        return refused(INVALID_FORM)
    try:
        with models.db.atomic():
            code, nonce = security.issue_code(ADD_PURPOSE, target.number, str(profile.id))
            send_sms(phone, _("Code %(code)s adds %(number)s to another cabinet of My cabinet. "
                              "If you did not ask for it, do not tell it to anyone.",
                              code=code, number=format_number(target.number)))
    except security.CodeRefused as refusal:
        return refused(TOO_MANY, code_refusal_message(refusal))
    except SmsError:
        return refused(GATEWAY_DOWN, _("We could not send the SMS right now. Please try again "
                                       "in a few minutes."))
    session["add_number"] = {"number": target.number, "nonce": nonce}
    security.audit("number_add_asked", profile=profile, subject=target.number)
    return _add_code_page(sent_to=phone)


@bp.post("/profile/numbers/confirm")
@subscriber_required
def confirm_number():
    profile = _profile()
    form = AddCodeForm()
    pending = session.get("add_number") or {}
    target = Subscription.get_or_none(Subscription.number == pending.get("number", ""))
    if target is None:
        return _add_code_page(409, form, alert=_("Ask for a code first."))
    if not form.validate():
        return _add_code_page(INVALID_FORM, form)
    key = f"add-number:{profile.id}"
    until = security.locked_until(key)
    if until:
        return _add_code_page(TOO_MANY, form, alert=_lockout_message(until))
    try:
        security.check_code(ADD_PURPOSE, target.number, pending.get("nonce"), form.code.data,
                            reference=str(profile.id))
    except security.CodeRefused as refusal:
        until = security.record_failure(key) if refusal.code == "wrong" else None
        if until:
            return _add_code_page(TOO_MANY, form, alert=_lockout_message(until))
        form.code.errors.append(code_refusal_message(refusal))
        return _add_code_page(INVALID_FORM, form)
    with models.db.atomic():
        target = Subscription.get_by_id(target.id)  # as it is now, not as it was asked for
        count = Subscription.select().where(Subscription.profile == profile.id).count()
        try:
            rules.check_addition(rules.Candidate(target.kind, target.status, target.profile_id,
                                                 "code sent"), profile.id, count)
        except rules.ProfileRefused as refusal:
            session.pop("add_number", None)
            return _add_code_page(409, form, alert=refusal_message(refusal))
        previous = target.profile_id
        Subscription.update(profile=profile.id, updated_at=_now()).where(
            Subscription.id == target.id).execute()
        security.audit("number_added", profile=profile, subject=target.number,
                       details=f"from profile {previous}")
    session.pop("add_number", None)
    security.forget_failures(key)
    return see_other(url_for("profile.page", done="added"))


@bp.post("/profile/numbers/remove")
@subscriber_required
def remove_number():
    """First the question (the numbers block asks to confirm), then, with confirm=yes, the
    removal itself: one stray tap must not take a number out of the cabinet."""
    profile = _profile()
    subscription = own_subscription(request.form.get("number", ""))
    with models.locking_transaction():
        count = Subscription.select().where(Subscription.profile == profile.id).count()
        try:
            rules.check_removal(count)
        except rules.ProfileRefused as refusal:
            return render("profile.html", "numbers", 409,
                          **profile_context(alert=refusal_message(refusal)))
        if request.form.get("confirm") != "yes":
            return render("profile.html", "numbers", **profile_context(removing=subscription))
        # The number goes to a cabinet of its own, with no password: its holder can sign in
        # by SMS or register it again.
        own = Profile.create(name=subscription.holder_name, created_at=_now())
        Subscription.update(profile=own, updated_at=_now()).where(
            Subscription.id == subscription.id).execute()
        security.audit("number_removed", profile=profile, subject=subscription.number)
    return see_other(url_for("profile.page", done="removed"))


# Sessions --------------------------------------------------------------------------------

@bp.post("/profile/sessions/end")
@subscriber_required
def end_session():
    profile = _profile()
    wanted = request.form.get("session", "")
    row = next((row for row in AuthSession.open_for(profile) if public_id(row.token) == wanted),
               None)
    if row is None:
        abort(404)
    AuthSession.update(ended_at=_now()).where(AuthSession.token == row.token).execute()
    security.audit("session_ended", profile=profile)
    if row.token == current_user.auth_session.token:
        logout_user()
        session.clear()
        return see_other(url_for("auth.login_page"))
    return see_other(url_for("profile.page", done="ended"))


@bp.post("/profile/sessions/end-all")
@subscriber_required
def end_all_sessions():
    profile = _profile()
    ended = AuthSession.end_all(profile, _now())
    security.audit("signed_out_everywhere", profile=profile, details=f"ended {ended} sessions")
    logout_user()
    session.clear()
    return see_other(url_for("auth.login_page"))


# Settings of a number --------------------------------------------------------------------

def settings_context(form=None, notice=None):
    subscription = current_subscription()
    context = {"subscription": subscription, "notice": notice, "form": form, "valid_until": None}
    if subscription is None:
        return context
    if form is None:
        context["form"] = NicknameForm(formdata=None, nickname=subscription.nickname or "")
    last_topup = (LedgerEntry.select(fn.MAX(LedgerEntry.at))
                  .where((LedgerEntry.subscription == subscription)
                         & (LedgerEntry.kind == "topup")).scalar())
    if isinstance(last_topup, str):  # SQLite's MAX() loses the column's type
        last_topup = datetime.fromisoformat(last_topup)
    context["valid_until"] = rules.valid_until(subscription.payment, subscription.status,
                                               subscription.activated_on,
                                               last_topup.date() if last_topup else None)
    return context


@bp.get("/settings")
@subscriber_required
def settings():
    notice = _("The nickname is saved.") if request.args.get("saved") else None
    return render("settings.html", **settings_context(notice=notice))


@bp.post("/settings/nickname")
@subscriber_required
def nickname():
    subscription = current_subscription()
    if subscription is None:
        abort(404)
    form = NicknameForm()
    try:
        cleaned = rules.clean_nickname(form.nickname.data)
    except rules.ProfileRefused as refusal:
        form.validate()
        form.nickname.errors.append(refusal_message(refusal))
        return render("settings.html", "nickname_form", INVALID_FORM, **settings_context(form))
    if not form.validate():
        return render("settings.html", "nickname_form", INVALID_FORM, **settings_context(form))
    with models.db.atomic():
        Subscription.update(nickname=cleaned, updated_at=_now()).where(
            (Subscription.id == subscription.id)
            & (Subscription.profile == current_user.id)).execute()
        security.audit("nickname_changed", profile=current_user.id, subject=subscription.number,
                       details=cleaned or "")
    return see_other(url_for("profile.settings", saved=1))


# Device information ----------------------------------------------------------------------

def device_context(form=None, alert=None, puk=None):
    subscription = current_subscription()
    device = Device.get_or_none(Device.subscription == subscription) if subscription else None
    return {"subscription": subscription, "device": device, "form": form or PukForm(formdata=None),
            "alert": alert, "puk": puk,
            "iccid": rules.format_iccid(device.iccid) if device else None}


@bp.get("/device")
@subscriber_required
def device():
    return render("device.html", **device_context())


@bp.post("/device/puk")
@subscriber_required
def show_puk():
    """PUK1 unlocks a blocked SIM: shown in this answer only, after the password again."""
    profile = _profile()
    form = PukForm()
    context = device_context(form)
    if context["device"] is None:
        abort(404)
    key = f"profile:{profile.id}"
    until = security.locked_until(key)
    if until:
        context["alert"] = _lockout_message(until)
        return render("device.html", "puk", TOO_MANY, **context)
    if not form.validate():
        return render("device.html", "puk", INVALID_FORM, **context)
    if not security.verify_password(profile.password_hash, form.password.data):
        form.password.errors.append(_("This is not your password."))
        until = security.record_failure(key)
        if until:
            context["alert"] = _lockout_message(until)
            return render("device.html", "puk", TOO_MANY, **context)
        return render("device.html", "puk", INVALID_FORM, **context)
    security.forget_failures(key)
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


def archived_changes(profile, narrow):
    """The profile's own changes, done at once, for the request archive."""
    rows = narrow(AuditEvent.select().where((AuditEvent.profile == profile)
                                            & AuditEvent.event.in_(ARCHIVED_EVENTS)),
                  AuditEvent.at, AuditEvent.id)
    return [{"id": row.id, "number": row.subject if row.event != "contact_changed" else "",
             "title": archive_title(row), "state": "done", "state_label": _("Done"),
             "created_at": row.at, "finished_at": row.at} for row in rows]


REQUEST_SOURCES.append(archived_changes)


# Demo data ---------------------------------------------------------------------------------

def load_demo_devices(clock, path=DEVICES_FILE):
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


DEMO_LOADERS.append(load_demo_devices)
