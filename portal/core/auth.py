"""The signed-in session of a subscriber, and which of the cabinet's numbers a request
shows or acts on. (Signing in and out: `signin.py`.)

Pages use `flask_login.login_required`; a view asks `current_subscription()` for the
number the pages show, `current_subscription_or_404(number)` for the number a form acts
on, and `own_subscription(text)` for a number the subscriber typed or picked."""
import secrets
from datetime import timedelta

from flask import abort, g, has_request_context, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_user
from htmx_flask import make_response as htmx_response
from peewee import JOIN

import models
from models import AuthSession, Profile, Subscription
from rules.numbers import NumberError, parse_login
from rules.sessions import SessionRule
from . import clock, security
from .i18n import LANGUAGE_COOKIE, LOCALES
from .signing import KeptSignersSerializer
from .web import is_bare, see_other

login_manager = LoginManager()

IDLE = SessionRule(idle=timedelta(minutes=30))  # a session without "remember me"
REMEMBER_FOR = timedelta(days=30)
REMEMBERED = SessionRule(lifetime=REMEMBER_FOR)

# Endpoints open while a temporary-password sign-in still has to be confirmed.
CONFIRMATION_ENDPOINTS = {"auth.first_login", "auth.logout", "auth.password_check", "static",
                          "set_language"}


# The session -----------------------------------------------------------------------------

@login_manager.user_loader
def load_session(token):
    """The profile behind a session token, once per request, if the session is still live."""
    row = AuthSession.signed_in(token, lambda row: REMEMBERED if row.remember else IDLE,
                                clock.now())
    if row is None:
        return None
    profile = row.profile
    profile.auth_session = row
    return profile


def start_session(profile, subscription, remember=False, must_confirm=False):
    """A brand-new session (new cookie, new CSRF token) for `profile`."""
    security.new_session()
    now = clock.now()
    row = AuthSession.create(
        token=secrets.token_urlsafe(32), profile=profile, selected=subscription,
        must_confirm=must_confirm, remember=remember, created_at=now, last_seen_at=now,
        user_agent=(request.user_agent.string or "")[:200], ip=security.client_address())
    profile.auth_session = row
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES and chosen != profile.language:  # chosen before signing in
        Profile.update(language=chosen).where(Profile.id == profile.id).execute()
    login_user(profile, remember=remember, duration=REMEMBER_FOR)
    security.audit("login", profile=profile, actor=subscription.number,
                   details="temporary password" if must_confirm else "")
    return row


def current_profile():
    """The signed-in profile (else Flask-Login's anonymous user), as Flask-Login keeps it
    in `g` once loaded: read there first, since `current_user` asks Flask's proxies three
    times for every use (see i18n.current_locale)."""
    user = g._get_current_object().get("_login_user") if has_request_context() else None
    return user if user is not None else current_user._get_current_object()


@login_manager.unauthorized_handler
def unauthorized():
    wanted = request.full_path.rstrip("?") if request.method == "GET" else "/"
    target = url_for("auth.login_page", next=wanted if wanted != "/" else None)
    if request.htmx:
        return htmx_response("", 401, redirect=target)
    return see_other(target)


def _forget_previous_request():
    """`g` outlives a request when an app context was already pushed (a CLI command, a
    test holding one): each request loads its own user (Flask-Login keeps it in `g` too)
    and subscription."""
    store = g._get_current_object()  # the proxy asked once (see i18n.current_locale)
    for name in ("subscription", "own_subscriptions", "_login_user", "shown_bonuses"):
        store.pop(name, None)


def _confirmation_gate():
    """A temporary-password sign-in reaches only the confirmation page. (The API, which
    reads no session, answers for its token alone.)"""
    if request.blueprint == "api" or is_bare():
        return None
    profile = current_profile()
    if (profile.is_authenticated and profile.auth_session.must_confirm
            and request.endpoint not in CONFIRMATION_ENDPOINTS):
        return see_other(url_for("auth.first_login"))
    return None


# Which number --------------------------------------------------------------------------

# The switcher's rows: every column of the number and of its tariff (any page may use
# them), and the phone model of its SIM card.
_NUMBER_FIELDS = Subscription._meta.sorted_fields
_TARIFF_FIELDS = models.Tariff._meta.sorted_fields
_DEVICE_FIELDS = (models.Device.phone_model,)


def _cabinet_query(profile_id):
    device = models.Device
    return (Subscription.select(*_NUMBER_FIELDS, *_TARIFF_FIELDS, *_DEVICE_FIELDS)
            .join(models.Tariff).switch(Subscription)
            .join(device, JOIN.LEFT_OUTER, on=(device.subscription == Subscription.id))
            .where(Subscription.in_cabinet(profile_id))
            .order_by(Subscription.kind.desc(), Subscription.number))


def own_subscriptions():
    """The signed-in profile's numbers and accounts with their tariffs and the phone model
    their SIM card was last seen in (`.device`, None when unknown), in the switcher's order
    (mobile first, then by number): one query a request for the switcher, the dashboard
    and current_subscription() alike, its rows built straight from the driver's."""
    store = g._get_current_object()  # the proxy asked once (see i18n.current_locale)
    if "own_subscriptions" not in store:
        store.own_subscriptions = []
        profile = current_profile()
        if profile.is_authenticated:
            profile_id = profile.id
            split = len(_NUMBER_FIELDS) + len(_TARIFF_FIELDS)
            for row in models.prepared_rows("auth.own_subscriptions",
                                            lambda: _cabinet_query(profile_id),
                                            profile_id, profile_id):
                number = models.built(Subscription, _NUMBER_FIELDS, row[:len(_NUMBER_FIELDS)])
                number.__rel__["tariff"] = models.built(
                    models.Tariff, _TARIFF_FIELDS, row[len(_NUMBER_FIELDS):split])
                number.device = None if row[split] is None else models.built(
                    models.Device, _DEVICE_FIELDS, row[split:])
                store.own_subscriptions.append(number)
    return store.own_subscriptions


def current_subscription():
    """The number or account the pages show: the one selected in this session, which is
    always one of the signed-in profile's (or None when the profile has none left); when
    none is selected, the profile's first mobile number (else its first account)."""
    store = g._get_current_object()  # the proxy asked once (see i18n.current_locale)
    if "subscription" not in store:
        numbers = own_subscriptions()
        selected_id = current_profile().auth_session.selected_id if numbers else None
        chosen = next((number for number in numbers if number.id == selected_id), None)
        if chosen is None and numbers:
            first_kind = numbers[0].kind
            chosen = min((number for number in numbers if number.kind == first_kind),
                         key=lambda number: number.id)
        store.subscription = chosen
    return store.subscription


def own_subscription(number_text):
    """The signed-in profile's number or account typed as `number_text` (any common form),
    with its tariff; 404 for anything else, so nobody learns whether a stranger's exists."""
    try:
        number = parse_login(number_text).number
    except NumberError:
        abort(404)
    found = next((own for own in own_subscriptions() if own.number == number), None)
    if found is None:
        abort(404)
    return found


def current_subscription_or_404(number=None):
    """The number a request acts on: `number` (a form's hidden field naming the page it
    was sent from, so another tab switching numbers cannot redirect the action) when
    given, which must be one of the profile's; else the number the pages show. 404 when
    there is none."""
    if number and number.strip():
        return own_subscription(number)
    current = current_subscription()
    if current is None:
        abort(404)
    return current


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie (it holds the server-side session's token and the
    CSRF token), with its serializer made once for each set of keys: Flask makes a new one
    for every request, a twentieth of a signed-in request's work; and that serializer
    keeps its signer (signing.KeptSignersSerializer). Made as Flask makes it, keys and
    all (tests/test_web.py holds the two to the byte). A new SECRET_KEY or
    SECRET_KEY_FALLBACKS makes a new one."""

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        # Flask's order: the fallbacks, then the current key, which itsdangerous signs with.
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        made = app.extensions.get("session_serializer")
        if made is None or made[0] != keys:
            made = app.extensions["session_serializer"] = (keys, KeptSignersSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation,
                               "digest_method": self.digest_method}))
        return made[1]


def init_app(app):
    app.session_interface = SessionCookie()
    login_manager.init_app(app)
    login_manager.session_protection = None  # carrier NAT changes addresses; sessions are server-side
    app.before_request(_forget_previous_request)
    app.before_request(_confirmation_gate)
    app.jinja_env.globals.update(current_subscription=current_subscription)
