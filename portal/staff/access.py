"""The staff console's own sign-in and session.

Staff sessions live apart from subscribers': signing in here ends any subscriber session of
the browser and the other way round, a subscriber's session never opens a staff page, and no
staff page acts as a subscriber. Every staff step is written to the audit log."""
import secrets
from datetime import timedelta
from functools import wraps

from flask import Blueprint, abort, current_app, g, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from htmx_flask import make_response as htmx_response

from models import AuthSession, StaffSession, StaffUser
from rules.sessions import SessionRule
from ..core import clock, metrics, security, totp
from ..core.web import INVALID_FORM, TOO_MANY, render, see_other
from . import service
from .forms import StaffLoginForm

bp = Blueprint("staff", __name__)

SESSION_KEY = "staff_session"
# A staff session ends after 30 idle minutes, and after a shift, busy or not.
STAFF_SESSION = SessionRule(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))


def current_staff():
    """The signed-in staff user of this request, or None (loaded once per request)."""
    token = session.get(SESSION_KEY)
    cached = g.get("staff_session")
    # Keyed by the token, so a sign-in or sign-out never meets a stale answer.
    if cached is None or cached[0] != token:
        g.staff_session = (token, _load(token) if token else None)
    return g.staff_session[1]


def _load(token):
    row = StaffSession.resume(
        StaffSession.select(StaffSession, StaffUser).join(StaffUser)
        .where(StaffSession.token == token), lambda row: STAFF_SESSION, clock.now())
    if row is None:
        return None
    staff = row.staff
    staff.session_token = row.token
    return staff


def staff_required(permission):
    """A signed-in staff user holding `permission`; others go to the staff sign-in."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                target = url_for("staff.console")
                if request.htmx:
                    return htmx_response("", 401, redirect=target)
                return see_other(target)
            if not staff.can(permission):
                abort(403)
            return view(staff, *args, **kwargs)
        return wrapped
    return decorator


def demo_code():
    """In demo mode, the demo staff's current code, for the sign-in page (trainers)."""
    if not current_app.config["DEMO"]:
        return {}
    return {"demo_secret": totp.DEMO_SECRET,
            "demo_code": totp.current_code(totp.DEMO_SECRET)}


def audit(staff, event, subject="", profile=None, details=""):
    return security.audit(event, profile=profile, actor=f"staff:{staff.login}", subject=subject,
                          details=details)


@bp.post("/staff")
def sign_in():
    form = StaffLoginForm()

    def refused(status, alert=None):
        return render("staff/login.html", "login_form", status, form=form, alert=alert,
                      **demo_code())

    if not form.validate():
        return refused(INVALID_FORM)
    login = form.login.data.strip().lower()
    staff = StaffUser.get_or_none(StaffUser.login == login)
    account = {}

    def both_factors():
        return (security.verify_password(staff.password_hash if staff else None,
                                         form.password.data)
                and staff is not None and totp.check(staff, form.code.data))

    def account_check():
        account["result"] = security.attempt(service.staff_key(login), both_factors,
                                             rule=service.STAFF_THROTTLE)
        return account["result"].ok

    by_address = security.attempt(f"staff-ip:{security.client_address()}", account_check,
                                  rule=service.STAFF_ADDRESS_THROTTLE, forget_on_success=False)
    result = by_address if by_address.refused_unchecked else account["result"]
    metrics.login("staff", result)
    if result.refused_unchecked:
        return refused(TOO_MANY, security.lockout_message(result.until))
    if not result.ok:
        security.audit("staff_login_failed", actor=f"staff:{login}"[:80])
        if result.until:
            return refused(TOO_MANY, security.lockout_message(result.until))
        form.password.errors.append(_("Wrong login, password or code."))
        return refused(INVALID_FORM)
    now = clock.now()
    # A new session: whatever this browser held ends here, a subscriber's cabinet included
    # (its server-side session too, so a "remember me" cookie cannot bring it back).
    if current_user.is_authenticated:
        AuthSession.end(current_user.auth_session.token, now)
    security.new_session()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    row = StaffSession.create(token=secrets.token_urlsafe(32), staff=staff, created_at=now,
                              last_seen_at=now, ip=security.client_address())
    session[SESSION_KEY] = row.token
    audit(staff, "staff_login")
    return see_other(url_for("staff.console"))


@bp.post("/staff/logout")
def sign_out():
    staff = current_staff()
    if staff is not None:
        StaffSession.end(staff.session_token, clock.now())
        audit(staff, "staff_logout")
    session.clear()
    return see_other(url_for("staff.console"))
