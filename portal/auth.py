"""Sign-in by password or SMS code, registration with a temporary password, the first
sign-in's confirmation, password change, sign-out; the signed-in session itself."""
import secrets
from datetime import timedelta
from functools import wraps

from flask import (Blueprint, abort, current_app, g, redirect, request, session, url_for)
from flask_babel import format_datetime, format_time, gettext as _, lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

import models
from models import AuthSession, Profile, Subscription
from rules.numbers import NumberError, parse_login
from rules.passwords import check_password, generate_temporary_password, has_cyrillic
from . import security
from .forms import (BaseForm, LoginField, MobileField, check_new_password, new_password_field,
                    sms_code_field)
from .sms import SmsError, send_sms
from .web import INVALID_FORM, local_target, render, see_other

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

IDLE_TIMEOUT = timedelta(minutes=30)
REMEMBER_FOR = timedelta(days=30)
TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=72)
SEEN_RESOLUTION = timedelta(minutes=1)  # how stale last_seen_at may get, to spare writes
TOO_MANY = 429
GATEWAY_DOWN = 503

SECRET_QUESTIONS = [
    SelectChoice("mother", _l("Your mother's maiden name")),
    SelectChoice("pet", _l("The name of your first pet")),
    SelectChoice("school", _l("The number of your school")),
    SelectChoice("city", _l("The city you were born in")),
    SelectChoice("book", _l("Your favourite book")),
]

# Endpoints open while a temporary-password sign-in still has to be confirmed.
CONFIRMATION_ENDPOINTS = {"auth.first_login", "auth.logout", "auth.password_check", "static",
                          "set_language"}


def _now():
    return current_app.config["CLOCK"].now()


# The session -----------------------------------------------------------------------------

@login_manager.user_loader
def load_session(token):
    """The profile behind a session token, once per request, if the session is still live."""
    row = (AuthSession.select(AuthSession, Profile).join(Profile)
           .where((AuthSession.token == token) & AuthSession.ended_at.is_null()).first())
    if row is None:
        return None
    now = _now()
    expired = (now - row.created_at > REMEMBER_FOR) if row.remember else (
        now - row.last_seen_at > IDLE_TIMEOUT)
    if expired:
        AuthSession.update(ended_at=now).where(AuthSession.token == token).execute()
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        AuthSession.update(last_seen_at=now).where(AuthSession.token == token).execute()
    profile = row.profile
    profile.auth_session = row
    return profile


def start_session(profile, subscription, remember=False, must_confirm=False):
    """A brand-new session (new cookie, new CSRF token) for `profile`."""
    session.clear()
    now = _now()
    row = AuthSession.create(
        token=secrets.token_urlsafe(32), profile=profile, selected=subscription,
        must_confirm=must_confirm, remember=remember, created_at=now, last_seen_at=now,
        user_agent=(request.user_agent.string or "")[:200], ip=security.client_ip())
    profile.auth_session = row
    login_user(profile, remember=remember, duration=REMEMBER_FOR)
    security.audit("login", profile=profile, actor=subscription.number,
                   details="temporary password" if must_confirm else "")
    return row


def own_subscriptions():
    """The signed-in profile's numbers and accounts with their tariffs, in the switcher's
    order (mobile first, then by number): one query a request for the switcher and
    current_subscription() both."""
    if "own_subscriptions" not in g:
        g.own_subscriptions = list(
            Subscription.select(Subscription, models.Tariff).join(models.Tariff)
            .where(Subscription.profile == current_user.id)
            .order_by(Subscription.kind.desc(), Subscription.number)
        ) if current_user.is_authenticated else []
    return g.own_subscriptions


def current_subscription():
    """The number or account the pages show: the one selected in this session, which is
    always one of the signed-in profile's (or None when the profile has none left); when
    none is selected, the profile's first mobile number (else its first account)."""
    if "subscription" not in g:
        numbers = own_subscriptions()
        selected_id = current_user.auth_session.selected_id if numbers else None
        chosen = next((number for number in numbers if number.id == selected_id), None)
        if chosen is None and numbers:
            first_kind = numbers[0].kind
            chosen = min((number for number in numbers if number.kind == first_kind),
                         key=lambda number: number.id)
        g.subscription = chosen
    return g.subscription


def own_subscription(number_text):
    """The signed-in profile's number or account typed as `number_text` (any common form),
    with its tariff; 404 for anything else, so nobody learns whether a stranger's exists."""
    try:
        number = parse_login(number_text).number
    except NumberError:
        abort(404)
    found = (Subscription.select(Subscription, models.Tariff).join(models.Tariff)
             .where((Subscription.number == number)
                    & (Subscription.profile == current_user.id)).first())
    if found is None:
        abort(404)
    return found


def subscriber_required(view):
    """Signed in and confirmed; the view may rely on current_subscription()."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)
    return wrapped


@login_manager.unauthorized_handler
def unauthorized():
    wanted = request.full_path.rstrip("?") if request.method == "GET" else "/"
    target = url_for("auth.login_page", next=wanted if wanted != "/" else None)
    if request.htmx:
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303 if request.method == "POST" else 302)


def _forget_previous_request():
    """`g` outlives a request when an app context was already pushed (a CLI command, a
    test holding one): each request loads its own user (Flask-Login keeps it in `g` too)
    and subscription."""
    g.pop("subscription", None)
    g.pop("own_subscriptions", None)
    g.pop("_login_user", None)


def _confirmation_gate():
    """A temporary-password sign-in reaches only the confirmation page."""
    if (current_user.is_authenticated and current_user.auth_session.must_confirm
            and request.endpoint not in CONFIRMATION_ENDPOINTS):
        return redirect(url_for("auth.first_login"), code=303)
    return None


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
    secret_question = SelectField(_l("Secret question"), choices=SECRET_QUESTIONS,
                                  invalid_choice_message=_l("Choose one of the questions."))
    secret_answer = StringField(_l("Answer to the secret question"), validators=[
        DataRequired(_l("Type the answer.")),
        Length(min=2, max=100, message=_l("From 2 to 100 characters."))])
    temporary_password = PasswordField(_l("Temporary password from the SMS"), validators=[
        DataRequired(_l("Type the temporary password.")), Length(max=200)])
    new_password = new_password_field(_l("New password"))
    new_password_confirm = PasswordField(_l("New password again"),
                                         validators=[DataRequired(_l("Type the password again."))])


class PasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Type your current password.")), Length(max=200)])
    new_password = new_password_field(_l("New password"))
    new_password_confirm = PasswordField(_l("New password again"),
                                         validators=[DataRequired(_l("Type the password again."))])


# Helpers ---------------------------------------------------------------------------------

def _account_key(subscription):
    return f"profile:{subscription.profile_id}"


def _lockout_message(until):
    return _("Too many attempts. You can try again at %(time)s.",
             time=format_time(until, "HH:mm"))


def _find_subscriber(field):
    """The live subscription behind a validated login field, or an error on the field."""
    subscription = Subscription.get_or_none((Subscription.number == field.parsed.number)
                                            & (Subscription.status != "closed"))
    if subscription is None:
        field.errors.append(_("We have no subscriber with this number. Check it, or become "
                              "our subscriber in any of our shops."))
    return subscription


def _sms_phone(subscription):
    return subscription.number if subscription.is_mobile else subscription.profile.sms_phone()


def _login_context(active=None, **forms):
    """The sign-in page's three forms; `active` is the one whose alert or notice shows."""
    context = {"form": LoginForm(), "sms_form": SmsLoginForm(), "register_form": RegisterForm(),
               "alert": None, "notice": None, "active": active}
    context.update(forms)
    return context


# Sign-in with a password -----------------------------------------------------------------

@bp.get("/login")
def login_page():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return render("login.html", **_login_context())


@bp.post("/login")
def login():
    form = LoginForm()
    context = _login_context("password", form=form)
    if not form.validate():
        return render("login.html", "password_form", INVALID_FORM, **context)
    subscription = _find_subscriber(form.login)
    if subscription is None:
        return render("login.html", "password_form", INVALID_FORM, **context)
    key = _account_key(subscription)
    until = security.locked_until(key)
    if until:
        context["alert"] = _lockout_message(until)
        return render("login.html", "password_form", TOO_MANY, **context)
    profile = subscription.profile
    password = form.password.data
    now = _now()
    if security.verify_password(profile.password_hash, password):
        must_confirm = False
    elif (profile.temporary_password_expires_at and now < profile.temporary_password_expires_at
          and security.verify_password(profile.temporary_password_hash, password)):
        must_confirm = True
    else:
        until = security.record_failure(key)
        security.audit("login_failed", profile=profile, actor=subscription.number)
        if until:
            context["alert"] = _lockout_message(until)
            return render("login.html", "password_form", TOO_MANY, **context)
        if not profile.password_hash and not profile.temporary_password_hash:
            message = _("This number has no password yet. Get one by SMS below.")
        else:
            message = _("Wrong number or password.")
        if has_cyrillic(password):
            message += " " + _("Your password has Cyrillic letters: check your keyboard layout.")
        form.password.errors.append(message)
        return render("login.html", "password_form", INVALID_FORM, **context)
    security.forget_failures(key)
    start_session(profile, subscription, remember=form.remember.data, must_confirm=must_confirm)
    if must_confirm:
        return redirect(url_for("auth.first_login"), code=303)
    return redirect(local_target(request.args.get("next")), code=303)


# Sign-in with an SMS code ----------------------------------------------------------------

def _code_refusal_message(refusal):
    return {
        "wrong": _("Wrong code. Tries left: %(left)s.", left=refusal.left),
        "expired": _("The code has expired. Ask for a new one."),
        "tries": _("Too many wrong codes. Ask for a new one."),
        "used": _("This code has been used already. Ask for a new one."),
        "missing": _("Ask for a code first: it works only in the browser that asked for it."),
        "too_soon": _("A code was sent less than a minute ago. You can ask for a new one at "
                      "%(time)s.", time=format_time(refusal.until, "HH:mm:ss")
                      if refusal.until else ""),
    }[refusal.code]


@bp.post("/login/sms")
def login_sms():
    form = SmsLoginForm()
    context = _login_context("sms", sms_form=form)
    if not form.validate():
        return render("login.html", "sms_form", INVALID_FORM, **context)
    subscription = _find_subscriber(form.login)
    if subscription is None:
        return render("login.html", "sms_form", INVALID_FORM, **context)
    until = security.locked_until(_account_key(subscription))
    if until:
        context["alert"] = _lockout_message(until)
        return render("login.html", "sms_form", TOO_MANY, **context)
    phone = _sms_phone(subscription)
    if not phone:
        form.login.errors.append(_("This account has no phone number for codes. Sign in with "
                                   "a password or call support."))
        return render("login.html", "sms_form", INVALID_FORM, **context)
    verify_form = SmsVerifyForm(formdata=None, login=form.login.data)
    try:
        with models.db.atomic():
            code, nonce = security.issue_code("login", subscription.number)
            send_sms(phone, _("Your sign-in code: %(code)s. It is valid for 10 minutes. "
                              "Never tell it to anyone, not even to us.", code=code))
    except security.CodeRefused as refusal:
        # The code sent a moment ago still works: show where to type it.
        return render("sms_code.html", "code_form", TOO_MANY, form=verify_form,
                      alert=_code_refusal_message(refusal))
    except SmsError:
        context["alert"] = _("We could not send the SMS right now. Please try again in a few "
                             "minutes.")
        return render("login.html", "sms_form", GATEWAY_DOWN, **context)
    session["sms_login"] = {"number": subscription.number, "nonce": nonce}
    return render("sms_code.html", "code_form", form=verify_form, alert=None,
                  sent_to=phone)


@bp.post("/login/sms/verify")
def login_sms_verify():
    form = SmsVerifyForm()
    if not form.validate():
        return render("sms_code.html", "code_form", INVALID_FORM, form=form, alert=None)
    subscription = _find_subscriber(form.login)
    if subscription is None:
        return render("sms_code.html", "code_form", INVALID_FORM, form=form, alert=None)
    key = _account_key(subscription)
    until = security.locked_until(key)
    if until:
        return render("sms_code.html", "code_form", TOO_MANY, form=form,
                      alert=_lockout_message(until))
    pending = session.get("sms_login") or {}
    nonce = pending.get("nonce") if pending.get("number") == subscription.number else None
    try:
        security.check_code("login", subscription.number, nonce, form.code.data)
    except security.CodeRefused as refusal:
        until = security.record_failure(key) if refusal.code == "wrong" else None
        security.audit("login_failed", profile=subscription.profile_id,
                       actor=subscription.number, details=f"sms code: {refusal.code}")
        if until:
            return render("sms_code.html", "code_form", TOO_MANY, form=form,
                          alert=_lockout_message(until))
        form.code.errors.append(_code_refusal_message(refusal))
        return render("sms_code.html", "code_form", INVALID_FORM, form=form, alert=None)
    security.forget_failures(key)
    start_session(subscription.profile, subscription)
    return redirect(url_for("dashboard.index"), code=303)


# Registration: a temporary password by SMS ------------------------------------------------

@bp.post("/register")
def register():
    form = RegisterForm()
    context = _login_context("register", register_form=form)
    if not form.validate():
        return render("login.html", "register_form", INVALID_FORM, **context)
    key = f"register:{form.login.parsed.number}"
    until = security.locked_until(key)
    if until:
        context["alert"] = _lockout_message(until)
        return render("login.html", "register_form", TOO_MANY, **context)
    subscription = _find_subscriber(form.login)
    if subscription is None:
        security.record_failure(key)
        return render("login.html", "register_form", INVALID_FORM, **context)
    profile = subscription.profile
    now = _now()
    sent_at = (profile.temporary_password_expires_at - TEMPORARY_PASSWORD_LIFETIME
               if profile.temporary_password_expires_at else None)
    if sent_at and now < sent_at + security.CODE_RESEND_AFTER:
        context["alert"] = _("A password was sent less than a minute ago. Please wait for the "
                             "SMS.")
        return render("login.html", "register_form", TOO_MANY, **context)
    phone = _sms_phone(subscription)
    if not phone:
        form.login.errors.append(_("This account has no phone number for the password. "
                                   "Please call support."))
        return render("login.html", "register_form", INVALID_FORM, **context)
    password = generate_temporary_password()
    expires = now + TEMPORARY_PASSWORD_LIFETIME
    try:
        with models.db.atomic():
            Profile.update(temporary_password_hash=security.hash_password(password),
                           temporary_password_expires_at=expires).where(
                Profile.id == profile.id).execute()
            send_sms(phone, _("Your temporary password for the cabinet: %(password)s. It is "
                              "valid until %(until)s. Never tell it to anyone.",
                              password=password, until=format_datetime(expires, "dd.MM HH:mm")))
            security.audit("register", profile=profile, actor=subscription.number)
    except SmsError:
        context["alert"] = _("We could not send the SMS right now. Please try again in a few "
                             "minutes.")
        return render("login.html", "register_form", GATEWAY_DOWN, **context)
    context["form"] = LoginForm(formdata=None, login=form.login.data)
    context["notice"] = _("We sent a temporary password by SMS to %(phone)s. Sign in with it "
                          "in the password form; it is valid for 72 hours.", phone=_mask(phone))
    return render("login.html", "register_form", **context)


def _mask(phone):
    return phone[:-7] + "***" + phone[-4:] if len(phone) > 8 else phone


# The first sign-in -----------------------------------------------------------------------

def password_feedback(password):
    """The rules, each met or not, and the layout warning, for the password being typed."""
    return {"checks": check_password(password), "layout_warning": has_cyrillic(password)}


def _first_login_context(form):
    profile = current_user._get_current_object()
    return {"form": form, "profile": profile, "numbers": list(profile.numbers()), "alert": None,
            **password_feedback(form.new_password.data)}


@bp.route("/first-login", methods=["GET", "POST"])
def first_login():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.auth_session.must_confirm:
        return redirect(url_for("dashboard.index"))
    profile = current_user._get_current_object()
    form = FirstLoginForm()
    if request.method == "GET":
        form.contact_phone.data = form.contact_phone.data or profile.contact_phone
        return render("first_login.html", **_first_login_context(form))
    context = _first_login_context(form)
    valid = form.validate()
    valid = check_new_password(form) and valid
    key = f"profile:{profile.id}"
    until = security.locked_until(key)
    if until:
        context["alert"] = _lockout_message(until)
        return render("first_login.html", "confirm_form", TOO_MANY, **context)
    now = _now()
    if form.temporary_password.data:
        expired = not profile.temporary_password_expires_at or (
            now >= profile.temporary_password_expires_at)
        if expired:
            form.temporary_password.errors.append(
                _("The temporary password has expired. Sign out and get a new one."))
            valid = False
        elif not security.verify_password(profile.temporary_password_hash,
                                          form.temporary_password.data):
            form.temporary_password.errors.append(_("This is not the password from the SMS."))
            if security.record_failure(key):
                context["alert"] = _lockout_message(security.locked_until(key))
            valid = False
        elif form.new_password.data == form.temporary_password.data:
            form.new_password.errors.append(_("Choose a password other than the temporary one."))
            valid = False
    if not valid:
        return render("first_login.html", "confirm_form", INVALID_FORM, **context)
    with models.db.atomic():
        Profile.update(
            password_hash=security.hash_password(form.new_password.data),
            temporary_password_hash=None, temporary_password_expires_at=None, confirmed_at=now,
            secret_question=form.secret_question.data,
            secret_answer_hash=security.hash_password(form.secret_answer.data.strip().lower()),
            contact_phone=form.contact_phone.parsed or profile.contact_phone,
        ).where(Profile.id == profile.id).execute()
        session_row = current_user.auth_session
        AuthSession.update(must_confirm=False).where(
            AuthSession.token == session_row.token).execute()
        AuthSession.end_all(profile, now, keep=session_row.token)
        security.forget_failures(key)
        security.audit("password_set", profile=profile)
    return see_other(url_for("dashboard.index"))


# Password change and the live rules -------------------------------------------------------

def _password_context(form, alert=None, notice=None):
    return {"form": form, "alert": alert, "notice": notice,
            **password_feedback(form.new_password.data)}


@bp.route("/password", methods=["GET", "POST"])
@subscriber_required
def password():
    form = PasswordForm()
    if request.method == "GET":
        notice = _("Password changed. Other sessions are signed out.") if request.args.get(
            "changed") else None
        return render("password.html", **_password_context(form, notice=notice))
    profile = current_user._get_current_object()
    key = f"profile:{profile.id}"
    until = security.locked_until(key)
    if until:
        return render("password.html", "password_form", TOO_MANY,
                      **_password_context(form, alert=_lockout_message(until)))
    valid = form.validate()
    valid = check_new_password(form) and valid
    if form.current_password.data and not security.verify_password(
            profile.password_hash, form.current_password.data):
        form.current_password.errors.append(_("This is not your current password."))
        security.record_failure(key)
        valid = False
    if not valid:
        return render("password.html", "password_form", INVALID_FORM, **_password_context(form))
    with models.db.atomic():
        Profile.update(password_hash=security.hash_password(form.new_password.data)).where(
            Profile.id == profile.id).execute()
        ended = AuthSession.end_all(profile, _now(), keep=current_user.auth_session.token)
        security.audit("password_changed", profile=profile, details=f"ended {ended} sessions")
    return see_other(url_for("auth.password", changed=1))


@bp.post("/password/check")
def password_check():
    # CSRFProtect has checked the token; a bounded length bounds the work.
    return render("password_check.html", "rules",
                  **password_feedback(request.form.get("new_password", "")[:1000]))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        now = _now()
        AuthSession.update(ended_at=now).where(
            AuthSession.token == current_user.auth_session.token).execute()
        security.audit("logout", profile=current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login_page"), code=303)


def init_app(app):
    login_manager.init_app(app)
    login_manager.session_protection = None  # carrier NAT changes addresses; sessions are server-side
    app.register_blueprint(bp)
    app.before_request(_forget_previous_request)
    app.before_request(_confirmation_gate)
    app.jinja_env.globals.update(current_subscription=current_subscription)
