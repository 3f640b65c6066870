"""The profile page: personal data and contact number, the cabinet's numbers and accounts
(added with an SMS code sent to them, or removed) and the signed-in sessions."""
from flask import Blueprint, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from wtforms import HiddenField, PasswordField
from wtforms.validators import DataRequired, Length, Optional

import models
from models import AuthSession, ManagedNumber, Profile, Subscription
from rules import profile as profile_rules
from rules.dates import local_day
from ..core import clock, security, sms
from ..core.auth import current_profile, own_subscription
from ..core.confirmation import ConfirmedField, ask_first, confirmed
from ..core.formatting import phone as phone_text
from ..core.forms import BaseForm, LoginField, MobileField, RecordIdField, sms_code_field
from ..core.web import (
    CONFLICT,
    INVALID_FORM,
    TOO_MANY,
    flashed_notice,
    or_404,
    render,
    see_other,
    submitted,
)
from . import service

bp = Blueprint("profile", __name__)

ADD_PURPOSE = "add-number"


# Forms -----------------------------------------------------------------------------------

class ContactForm(BaseForm):
    contact_phone = MobileField(_l("Contact number"), validators=[Optional()])
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Type your password to confirm.")), Length(max=200)])


class AddNumberForm(BaseForm):
    number = LoginField(_l("Number or Home Internet account"))


class AddCodeForm(BaseForm):
    code = sms_code_field()


class RemoveNumberForm(BaseForm):
    number = HiddenField()
    confirm = HiddenField()  # 'yes' once the question was answered


class RemoveManagerForm(BaseForm):
    manager = RecordIdField()  # a ManagedNumber id of one of this cabinet's own numbers


class EndSessionForm(BaseForm):
    session = HiddenField()  # the session's public id


class EndAllSessionsForm(BaseForm):
    confirmed = ConfirmedField()


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
            "customer_since": min([sub.activated_on for sub in numbers
                                   if sub.profile_id == profile.id]
                                  or [local_day(profile.confirmed_at or profile.created_at)]),
            "current": current_user.auth_session.selected_id,
            "sessions": [(service.public_id(row.token), row, service.session_label(row))
                         for row in service.live_sessions(profile)],
            "this_session": current_user.auth_session.token,
            "contact_form": contact_form, "add_form": add_form or AddNumberForm(formdata=None),
            "alert": alert, "notice": notice, "removing": removing}


@bp.get("/profile")
@login_required
def page():
    return render("profile.html", **profile_context(notice=flashed_notice()))


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
        result = security.attempt(security.password_key(profile.id), lambda: security.verify_password(
            profile.password_hash, form.password.data))
        if result.refused_unchecked:
            return refused(TOO_MANY, security.lockout_message(result.until))
        if not result.ok:
            form.password.errors.append(_("This is not your password."))
            valid = False
    if not valid:
        return refused(INVALID_FORM)
    with models.locking_transaction():
        Profile.update(contact_phone=form.contact_phone.parsed).where(
            Profile.id == profile.id).execute()
        security.audit("contact_changed", profile=profile, subject=form.contact_phone.parsed or "")
    return see_other(url_for("profile.page"),
                     notice=_("The contact number is saved."))


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
    candidate = profile_rules.Candidate(kind=target.kind, state=target.state,
                                in_cabinet=_in_cabinet(profile, target),
                                code_phone=_code_phone(target))
    try:
        phone = profile_rules.check_addition(candidate, _numbers_in_cabinet(profile))
    except profile_rules.ProfileRefused as refusal:
        form.number.errors.append(refusal_message(refusal))
        return refused(INVALID_FORM)
    try:
        nonce = sms.send_secret(
            phone, "add-number",
            lambda: security.issue_code(ADD_PURPOSE, target.number, str(profile.id)),
            lambda code: _(
                "Code %(code)s lets another cabinet of My cabinet manage %(number)s: see its "
                "balance and spending, top it up, change its services, send money from it. "
                "You keep signing in as before. If you did not ask for it, tell nobody the "
                "code.", code=code, number=phone_text(target.number)),
            language_number=target.number)
    except sms.NotSent as failure:
        return refused(failure.status, failure.message)
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
        return _add_code_page(TOO_MANY, form, alert=security.lockout_message(result.until))
    if not result.ok:
        if result.until:
            return _add_code_page(TOO_MANY, form, alert=security.lockout_message(result.until))
        form.code.errors.append(security.code_refusal_message(result.refusal))
        return _add_code_page(INVALID_FORM, form)
    with models.locking_transaction():
        target = Subscription.locked(target.id)  # as it is now, not as it was asked for
        try:
            profile_rules.check_addition(profile_rules.Candidate(target.kind, target.state,
                                                 _in_cabinet(profile, target), "code sent"),
                                 _numbers_in_cabinet(profile))
        except profile_rules.ProfileRefused as refusal:
            session.pop("add_number", None)
            return _add_code_page(CONFLICT, form, alert=refusal_message(refusal))
        ManagedNumber.create(profile=profile.id, subscription=target, added_at=clock.now())
        security.audit("number_added", profile=profile, subject=target.number,
                       details=f"managed; its cabinet is profile {target.profile_id}")
    session.pop("add_number", None)
    return see_other(url_for("profile.page"),
                     notice=_("The number is added to your cabinet."))


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
            profile_rules.check_removal(own_count, managed)
        except profile_rules.ProfileRefused as refusal:
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
    return see_other(url_for("profile.page"),
                     notice=_("The number is removed from your cabinet."))


@bp.post("/profile/managers/remove")
@login_required
def remove_manager():
    """The owner of a number ends another cabinet's managing of it."""
    profile = current_profile()
    form = submitted(RemoveManagerForm())
    row = or_404(ManagedNumber.select(ManagedNumber, Subscription).join(Subscription)
                 .where((ManagedNumber.id == form.manager.record_id)
                        & (Subscription.profile == profile.id)).first())
    with models.locking_transaction():
        ManagedNumber.delete_by_id(row.id)
        security.audit("manager_removed", profile=profile, subject=row.subscription.number,
                       details=f"profile {row.profile_id}")
    return see_other(url_for("profile.page"),
                     notice=_("That cabinet no longer manages your number."))


# Sessions --------------------------------------------------------------------------------

@bp.post("/profile/sessions/end")
@login_required
def end_session():
    profile = current_profile()
    form = submitted(EndSessionForm())
    row = or_404(next((row for row in AuthSession.open_for(profile)
                       if service.public_id(row.token) == form.session.data), None))
    AuthSession.end(row.token, clock.now())
    security.audit("session_ended", profile=profile)
    if row.token == current_user.auth_session.token:
        logout_user()
        session.clear()
        return see_other(url_for("auth.login_page"))
    return see_other(url_for("profile.page"), notice=_("That session is signed out."))


@bp.post("/profile/sessions/end-all")
@login_required
def end_all_sessions():
    profile = current_profile()
    form = submitted(EndAllSessionsForm())
    if not confirmed(form):
        return ask_first(form, _("Sign out everywhere?"),
                         _("Every browser and phone signed in to this cabinet, this one too, "
                           "is signed out, and every API token stops working. You will need "
                           "your password or an SMS code to sign in again."),
                         _("Yes, sign out everywhere"), url_for("profile.page"))
    with models.locking_transaction():
        ended = AuthSession.end_all(profile, clock.now())
        revoked = service.revoke_all_tokens(profile.id)
        security.audit("signed_out_everywhere", profile=profile,
                       details=f"ended {ended} sessions, revoked {revoked} API tokens")
    logout_user()
    session.clear()
    return see_other(url_for("auth.login_page"))
