"""Signing in by password or SMS code, registration with a temporary password, the first
sign-in's confirmation, the password change and signing out.

A way in an attacker cannot close: ten wrong passwords from anyone make the password wait,
but never hold back a code by SMS; a code allows five tries and wrong codes of one code
never hold back a new one (how many codes go is the SMS budget's to say): the owner, who
holds the phone, can always sign in with a fresh code. Wrong passwords are counted per
client address too, across accounts (spraying): past PORTAL_PASSWORD_FAILS_PER_ADDRESS an
hour that address signs in by code only, and no account is locked by it. A number nobody
has costs the same password hash as one that exists, and is throttled per number and per
address."""
from datetime import timedelta

from flask import Blueprint, current_app, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

import models
from models import AuthSession, Profile, Subscription
from rules import throttle as throttle_rules
from rules.passwords import check_password, has_cyrillic
from ..core import clock, metrics, security, sms
from ..core.auth import current_profile, start_session
from ..core.formatting import phone as phone_text
from ..core.forms import (
    BaseForm,
    LoginField,
    MobileField,
    check_new_password,
    new_password_field,
    sms_code_field,
)
from ..core.web import (
    CONFLICT,
    INVALID_FORM,
    TOO_MANY,
    flashed_notice,
    local_target,
    render,
    see_other,
)
from ..profile import service as profile_service
from . import service

bp = Blueprint("auth", __name__)

UNKNOWN_PER_ADDRESS = 100  # failed sign-ins for numbers nobody has, from one address


# Forms -----------------------------------------------------------------------------------

class LoginForm(BaseForm):
    login = LoginField(_l("Phone number or account"))
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Type your password.")),
                                                          Length(max=200)])
    remember = BooleanField(_l("Remember me for 30 days"))


class SmsLoginForm(BaseForm):
    login = LoginField(_l("Phone number or account"))


class SmsVerifyForm(BaseForm):
    login = LoginField(_l("Phone number or account"))
    code = sms_code_field()


class RegisterForm(BaseForm):
    login = LoginField(_l("Phone number or account"))


class FirstLoginForm(BaseForm):
    contact_phone = MobileField(_l("Contact number (optional)"), validators=[Optional()])
    secret_question = SelectField(_l("Secret question"), choices=service.SECRET_QUESTIONS,
                                  invalid_choice_message=_l("Choose one of the questions."))
    secret_answer = StringField(_l("Answer to the secret question"), validators=[
        DataRequired(_l("Type the answer.")),
        Length(min=2, max=100, message=_l("From 2 to 100 characters."))])
    new_password = new_password_field(_l("New password"))
    new_password_confirm = PasswordField(_l("New password again"),
                                         validators=[DataRequired(_l("Type the password again."))])
    # Asked only of a cabinet that has not accepted the terms yet (the template shows it then).
    accept_terms = BooleanField(_l("I have read and accept the terms of use"))


class PasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Type your current password.")), Length(max=200)])
    new_password = new_password_field(_l("New password"))
    new_password_confirm = PasswordField(_l("New password again"),
                                         validators=[DataRequired(_l("Type the password again."))])


class PasswordCheckForm(BaseForm):
    new_password = StringField()


# Shared pieces ---------------------------------------------------------------------------


def _spraying_rule():
    """Wrong passwords from one client address, across accounts, in an hour."""
    return throttle_rules.Burst(current_app.config["PASSWORD_FAILS_PER_ADDRESS"],
                                window=timedelta(hours=1), lockout=timedelta(hours=1))


def _address_key():
    return f"password-ip:{security.client_address()}"


def spraying_message():
    return _("Too many wrong passwords came from your network. Sign in with a code by SMS: "
             "the button below sends it to your phone.")


def _live_subscription(login_field):
    return Subscription.get_or_none((Subscription.number == login_field.parsed.number)
                                    & (Subscription.status != "closed"))


def _named_subscription(form, password=None):
    """The live subscription a valid sign-in form names, or None and why it is refused:
    (status, alert). A number nobody has costs what a real check costs (`_no_such_subscriber`)."""
    if not form.validate():
        return None, (INVALID_FORM, None)
    subscription = _live_subscription(form.login)
    if subscription is None:
        until = _no_such_subscriber(form.login, password)
        return None, (TOO_MANY, security.lockout_message(until)) if until else (INVALID_FORM, None)
    return subscription, None


def _sms_recipient(form, no_phone):
    """For a button that sends an SMS (a code, a password): the subscription the form names
    and the phone the SMS goes to, or the sign-in page that refuses it (`no_phone` is the
    field's error for an account with no phone for SMS). -> (subscription, phone, refused)"""
    subscription, refusal = _named_subscription(form)
    if refusal:
        return None, None, _sign_in_page(form, *refusal)
    phone = subscription.sms_phone()
    if not phone:
        form.login.errors.append(no_phone)
        return None, None, _sign_in_page(form, INVALID_FORM)
    return subscription, phone, None


def _no_such_subscriber(field, password=None):
    """A number nobody has: the field's error, after the same cost as a real check, counted
    per number and per address. Returns when to try again if that is throttled, else None."""
    key, address_key = f"unknown:{field.parsed.number}", f"unknown-ip:{security.client_address()}"
    until = security.locked_until(address_key, UNKNOWN_PER_ADDRESS)
    if until:
        return until
    result = security.attempt(key, lambda: security.verify_password(None, password or "-"))
    if result.refused_unchecked:
        return result.until
    security.record_failure(address_key, UNKNOWN_PER_ADDRESS)
    if result.until:  # this failure started the wait
        return result.until
    field.errors.append(_("We have no subscriber with this number. Check it, or become our "
                          "subscriber in any of our shops."))
    return None


def _shown_phone(subscription, phone):
    """The phone a code or a password went to, as pages print numbers: in full when it is
    the number that was typed, else (an account's cabinet phone) with its middle hidden."""
    shown = phone_text(phone)
    if phone == subscription.number:
        return shown
    return f"{shown[:7]} *** ** {shown[-2:]}"


def _sign_in_page(typed, status=200, alert=None, notice=None):
    """The sign-in page's one form (a number, a password, and a button for each way in)
    after `typed`, the form of the button pressed: its number kept with its errors, the
    password never sent back. htmx gets the form's section alone."""
    form = typed
    if not isinstance(typed, LoginForm):
        form = LoginForm(formdata=None, login=typed.login.data)
        form.login.errors = list(typed.login.errors)
    return render("login.html", "password_form", status, form=form, alert=alert,
                  notice=notice)


# Sign-in with a password -----------------------------------------------------------------

@bp.get("/login")
def login_page():
    if current_user.is_authenticated:
        return see_other(url_for("dashboard.index"))
    # "Sign in with a password instead" on the code page brings its number along.
    return render("login.html", form=LoginForm(formdata=None,
                                               login=request.args.get("login", "")[:40]))


@bp.post("/login")
def login():
    form = LoginForm()

    def refused(status, alert=None):
        return _sign_in_page(form, status, alert)

    subscription, refusal = _named_subscription(form, form.password.data)
    if refusal:
        return refused(*refusal)
    profile, password, now = subscription.profile, form.password.data, clock.now()
    temporary = bool(profile.temporary_password_expires_at
                     and now < profile.temporary_password_expires_at)
    opened = {}

    def check():
        if security.verify_password(profile.password_hash, password):
            opened["must_confirm"] = False
        elif temporary and security.verify_password(profile.temporary_password_hash, password):
            opened["must_confirm"] = True
        return bool(opened)

    account = {}

    def account_check():
        account["result"] = security.attempt(security.password_key(profile.id), check)
        return account["result"].ok

    # Counted per address before anything is checked, like the account's own count: a
    # burst from one address gets no more checks than the limit.
    by_address = security.attempt(_address_key(), account_check, rule=_spraying_rule(),
                                  forget_on_success=False)
    if by_address.refused_unchecked:
        # Not checked: this address sprayed passwords. The owner's way in is the code.
        return refused(TOO_MANY, spraying_message())
    result = account["result"]
    metrics.login("password", result)
    if result.refused_unchecked:
        return refused(TOO_MANY, security.lockout_message(result.until))
    if not result.ok:
        security.audit("login_failed", profile=profile, actor=subscription.number)
        if result.until:
            return refused(TOO_MANY, security.lockout_message(result.until))
        if not profile.password_hash and not profile.temporary_password_hash:
            message = _("This number has no password yet. Get one by SMS with the button "
                        "below.")
        else:
            message = _("Wrong number or password.")
        if has_cyrillic(password):
            message += " " + _("Your password has Cyrillic letters: check your keyboard layout.")
        form.password.errors.append(message)
        return refused(INVALID_FORM)
    start_session(profile, subscription, remember=form.remember.data,
                  must_confirm=opened["must_confirm"])
    if opened["must_confirm"]:
        return see_other(url_for("auth.first_login"))
    return see_other(local_target(request.args.get("next")))


# Sign-in with an SMS code ----------------------------------------------------------------

@bp.post("/login/sms")
def login_sms():
    form = SmsLoginForm()
    subscription, phone, refused = _sms_recipient(form, _(
        "This account has no phone number for codes. Sign in with a password or call "
        "support."))
    if refused:
        return refused
    verify_form = SmsVerifyForm(formdata=None, login=subscription.number)
    try:
        nonce = sms.send_secret(
            phone, "sign-in", lambda: security.issue_code("login", subscription.number),
            lambda code: _("Your sign-in code: %(code)s. It is valid for 10 minutes. Never "
                           "tell it to anyone, not even to us.", code=code))
    except sms.NotSent as failure:
        if failure.refusal is not None and failure.refusal.code == "pace":
            # The code sent a moment ago still works: show where to type it.
            return render("sms_code.html", "code_form", TOO_MANY, form=verify_form,
                          alert=failure.message, delivery=sms.code_delivery(phone, "sign-in"))
        return _sign_in_page(form, failure.status, failure.message)
    session["sms_login"] = {"number": subscription.number, "nonce": nonce}
    return render("sms_code.html", "code_form", form=verify_form, alert=None,
                  sent_to=_shown_phone(subscription, phone),
                  delivery=sms.code_delivery(phone, "sign-in"))


@bp.get("/login/sms")
def login_sms_page():
    """The code page again, with what the gateway reported of the code's SMS: delivered,
    or not yet (then a new code is one button away). htmx asks for that line alone."""
    pending = session.get("sms_login") or {}
    subscription = Subscription.get_or_none(Subscription.number == pending.get("number", ""))
    if subscription is None or current_user.is_authenticated:
        return see_other(url_for("auth.login_page"))
    phone = subscription.sms_phone()
    return render("sms_code.html", "code_delivery",
                  form=SmsVerifyForm(formdata=None, login=subscription.number), alert=None,
                  delivery=sms.code_delivery(phone, "sign-in") if phone else None)


@bp.post("/login/sms/verify")
def login_sms_verify():
    form = SmsVerifyForm()

    def refused(status, alert=None):
        return render("sms_code.html", "code_form", status, form=form, alert=alert)

    subscription, refusal = _named_subscription(form)
    if refusal:
        return refused(*refusal)
    pending = session.get("sms_login") or {}
    nonce = pending.get("nonce") if pending.get("number") == subscription.number else None
    try:
        # Five tries a code (counted atomically) and the SMS budget bound the guessing; no
        # lock of the account, which would shut its owner out with a fresh code in hand.
        security.check_code("login", subscription.number, nonce, form.code.data)
    except security.CodeRefused as refusal:
        security.audit("login_failed", profile=subscription.profile_id,
                       actor=subscription.number, details=f"sms code: {refusal.code}")
        form.code.errors.append(security.code_refusal_message(refusal))
        return refused(INVALID_FORM)
    start_session(subscription.profile, subscription)
    return see_other(url_for("dashboard.index"))


# Registration: a temporary password by SMS ------------------------------------------------

@bp.post("/register")
def register():
    form = RegisterForm()
    subscription, phone, refused = _sms_recipient(form, _(
        "This account has no phone number for the password. Please call support."))
    if refused:
        return refused
    try:
        service.send_temporary_password(subscription.profile, phone, "register",
                                        subscription.number)
    except sms.NotSent as failure:
        if failure.refusal is not None and failure.refusal.code == "pace":
            return _sign_in_page(form, TOO_MANY, _("A password was sent less than a minute "
                                                   "ago. Please wait for the SMS."))
        return _sign_in_page(form, failure.status, failure.message)
    # The number stays in the form: the password from the SMS is all there is to type.
    return _sign_in_page(form, notice=_(
        "We sent a temporary password by SMS to %(phone)s. Type it in the password field "
        "and sign in; it is valid for 72 hours.", phone=_shown_phone(subscription, phone)))


# The first sign-in -----------------------------------------------------------------------

def password_feedback(password):
    """The rules, each met or not, and the layout warning, for the password being typed."""
    return {"checks": check_password(password), "layout_warning": has_cyrillic(password)}


def _first_login_context(form):
    profile = current_profile()
    return {"form": form, "profile": profile, "numbers": list(profile.numbers()), "alert": None,
            **password_feedback(form.new_password.data)}


@bp.route("/first-login", methods=["GET", "POST"])
@login_required
def first_login():
    if not current_user.auth_session.must_confirm:
        return see_other(url_for("dashboard.index"))
    profile = current_profile()
    form = FirstLoginForm()
    now = clock.now()
    context = _first_login_context(form)
    # The temporary password that signed this session in holds it only while it is valid.
    if not profile.temporary_password_expires_at or now >= profile.temporary_password_expires_at:
        context["alert"] = _("The temporary password has expired. Sign out and get a new one.")
        if request.method == "GET":
            return render("first_login.html", **context)
        return render("first_login.html", "confirm_form", CONFLICT, **context)
    if request.method == "GET":
        form.contact_phone.data = form.contact_phone.data or profile.contact_phone
        return render("first_login.html", **context)
    valid = form.validate()
    valid = check_new_password(form) and valid
    # The temporary password signed this session in: it is not asked again, only refused
    # as the new one.
    if valid and profile.temporary_password_hash and security.verify_password(
            profile.temporary_password_hash, form.new_password.data):
        form.new_password.errors.append(_("Choose a password other than the temporary one."))
        valid = False
    if profile.terms_accepted_at is None and not form.accept_terms.data:
        form.accept_terms.errors.append(_("Accept the terms of use to use the cabinet."))
        valid = False
    if not valid:
        return render("first_login.html", "confirm_form", INVALID_FORM, **context)
    with models.locking_transaction():
        Profile.update(
            password_hash=security.hash_password(form.new_password.data),
            temporary_password_hash=None, temporary_password_expires_at=None, confirmed_at=now,
            secret_question=form.secret_question.data,
            secret_answer_hash=service.answer_hash(form.secret_answer.data),
            contact_phone=form.contact_phone.parsed or profile.contact_phone,
            terms_accepted_at=profile.terms_accepted_at or now,
        ).where(Profile.id == profile.id).execute()
        session_row = current_user.auth_session
        AuthSession.update(must_confirm=False).where(
            AuthSession.token == session_row.token).execute()
        AuthSession.end_all(profile, now, keep=session_row.token)
        profile_service.revoke_all_tokens(profile.id)
        security.audit("password_set", profile=profile)
    return see_other(url_for("dashboard.index"))


# Password change and the live rules -------------------------------------------------------

def _password_context(form, alert=None, notice=None):
    return {"form": form, "alert": alert, "notice": notice,
            **password_feedback(form.new_password.data)}


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if request.method == "GET":
        return render("password.html", **_password_context(form, notice=flashed_notice()))
    profile = current_profile()
    valid = form.validate()
    valid = check_new_password(form) and valid
    if form.current_password.data:
        result = security.attempt(security.password_key(profile.id), lambda: security.verify_password(
            profile.password_hash, form.current_password.data))
        if result.refused_unchecked:
            return render("password.html", "password_form", TOO_MANY,
                          **_password_context(form, alert=security.lockout_message(result.until)))
        if not result.ok:
            form.current_password.errors.append(_("This is not your current password."))
            valid = False
    if not valid:
        return render("password.html", "password_form", INVALID_FORM, **_password_context(form))
    with models.locking_transaction():
        Profile.update(password_hash=security.hash_password(form.new_password.data)).where(
            Profile.id == profile.id).execute()
        ended = AuthSession.end_all(profile, clock.now(), keep=current_user.auth_session.token)
        revoked = profile_service.revoke_all_tokens(profile.id)
        security.audit("password_changed", profile=profile,
                       details=f"ended {ended} sessions, revoked {revoked} API tokens")
    return see_other(url_for("auth.password"), notice=_(
        "Password changed. Other sessions are signed out and every API token is revoked."))


@bp.post("/password/check")
def password_check():
    form = PasswordCheckForm()
    form.validate()  # the CSRF token; a bounded length bounds the work
    return render("password_check.html", "rules",
                  **password_feedback((form.new_password.data or "")[:1000]))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        AuthSession.end(current_user.auth_session.token, clock.now())
        security.audit("logout", profile=current_user.id)
    logout_user()
    session.clear()
    response = see_other(url_for("auth.login_page"))
    # The service worker's copy of the widget (static/sw.js) goes with the session.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
