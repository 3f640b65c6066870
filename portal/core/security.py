"""Passwords, throttling, one-time codes and the audit log, for every area to use.

Throttling counts an attempt before it is checked (in one step that no other request of
the same account can interleave with), so a burst of simultaneous attempts, on any number
of servers, gets no more checks than the limit."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_request_context, request, session
from flask_babel import format_time, gettext as _
from flask_wtf.csrf import generate_csrf

import models
from models import AuditEvent, FailedAttempt, OneTimeCode
from rules import throttle as throttle_rules
from . import clock
from .formatting import moment

CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_TRIES = 5


def _hasher():
    hasher = current_app.extensions.get("password_hasher")
    if hasher is None:
        hasher = PasswordHasher(**current_app.config["PASSWORD_HASH_PARAMS"])
        current_app.extensions["password_hasher"] = hasher
    return hasher


def hash_password(password):
    return _hasher().hash(password)


def dummy_hash():
    """A hash no password opens: checked against when there is no account, so the answer
    takes as long as for one that exists."""
    cached = current_app.extensions.get("dummy_hash")
    if cached is None:
        cached = current_app.extensions["dummy_hash"] = hash_password(secrets.token_urlsafe(16))
    return cached


def verify_password(stored_hash, password):
    try:
        return _hasher().verify(stored_hash or dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


# Throttling ------------------------------------------------------------------------------

def password_key(profile_id):
    """The throttle of a cabinet's password (sign-in, and every step that asks for it)."""
    return f"profile:{profile_id}"


def lockout_message(until):
    return _("Too many attempts. You can try again at %(time)s.",
             time=format_time(until, "HH:mm"))


def _rule(max_failures, rule):
    return rule or throttle_rules.Burst(max_failures)


def locked_until(key, max_failures=throttle_rules.MAX_FAILURES, rule=None):
    """When `key` (an account, an address) may try again, or None if it may try now.
    `rule`: a rules.throttle rule (Burst, GrowingDelay); else a Burst of `max_failures`."""
    rule, now = _rule(max_failures, rule), clock.now()
    return rule.locked_until(FailedAttempt.times_since(key, rule.relevant_since(now)), now)


def _reserve(key, rule):
    """Count one attempt of `key` as a failure before it is checked: (None, the row) when
    it may go ahead, (when it may try again, None) when the account waits."""
    now = clock.now()
    with models.locking_transaction():
        models.lock_name(f"throttle:{key}")
        until = rule.locked_until(FailedAttempt.times_since(key, rule.relevant_since(now)), now)
        if until:
            return until, None
        return None, FailedAttempt.create(key=key, at=now)


@dataclass(frozen=True)
class Attempt:
    """How a throttled attempt went: `ok`; `checked` (False: refused at once, the account
    waits); `until`, when the account may try again (refused at once, or locked by this
    failure); `refusal`, the CodeRefused of a code."""

    ok: bool
    checked: bool = True
    until: datetime | None = None
    refusal: Exception | None = None

    @property
    def refused_unchecked(self):
        return not self.checked


def attempt(key, check, max_failures=throttle_rules.MAX_FAILURES, rule=None,
            forget_on_success=True):
    """Run `check()` (True when right; or raising CodeRefused) as one attempt on account
    `key`. While the account waits, nothing is checked. A wrong password or code counts
    towards the lockout; a code refused for another reason (expired, used) does not.
    `forget_on_success=False` (a client address's count, shared by many people): a success
    takes back its own count only, not the others' failures."""
    rule = _rule(max_failures, rule)
    until, reserved = _reserve(key, rule)
    if until:
        return Attempt(False, checked=False, until=until)
    try:
        ok = check()
    except CodeRefused as refusal:
        if not refusal.counted:
            FailedAttempt.delete_by_id(reserved.id)
        return Attempt(False, until=_lockout(key, rule), refusal=refusal)
    if ok:
        if forget_on_success:
            forget_failures(key)
        else:
            FailedAttempt.delete_by_id(reserved.id)
        return Attempt(True)
    return Attempt(False, until=_lockout(key, rule))


def _lockout(key, rule):
    until = locked_until(key, rule=rule)
    if until:
        audit("lockout", subject=key, details=f"until {moment(until, '%Y-%m-%dT%H:%M')}")
    return until


def record_failure(key, max_failures=throttle_rules.MAX_FAILURES, rule=None):
    """Count a failure that was not an attempt (a number nobody has); returns the lockout
    end if this failure started one."""
    FailedAttempt.create(key=key, at=clock.now())
    return _lockout(key, _rule(max_failures, rule))


def forget_failures(key):
    FailedAttempt.delete().where(FailedAttempt.key == key).execute()


# One-time codes --------------------------------------------------------------------------

def keyed_digest(secret):
    """How a secret is kept (a one-time code, an API token): its HMAC-SHA256 with the app's
    key, hex; a copy of the database alone opens nothing."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


class CodeRefused(Exception):
    """`code` says why: 'expired', 'wrong', 'used', 'tries', 'missing'. `left` is the tries
    left ('wrong'); `counted` is True when this try was a wrong code (the last of them
    ends in 'tries'), which counts towards the account's lockout."""

    def __init__(self, code, left=None, counted=False):
        super().__init__(code)
        self.code, self.left, self.counted = code, left, counted


def code_refusal_message(refusal):
    """A CodeRefused in the user's words."""
    return {
        "wrong": lambda: _("Wrong code. Tries left: %(left)s.", left=refusal.left),
        "expired": lambda: _("The code has expired. Ask for a new one."),
        "tries": lambda: _("Too many wrong codes. Ask for a new one."),
        "used": lambda: _("This code has been used already. Ask for a new one."),
        "missing": lambda: _("Ask for a code first: it works only in the browser that asked "
                             "for it."),
    }[refusal.code]()


def new_session():
    """Whatever the browser's session held is gone; the new one starts with its own CSRF
    secret, sent in the sign-in's own cookie. (Made lazily by the first page with a form,
    the secret changed the session once more: another Set-Cookie, and a client still
    holding the sign-in's cookie got a new secret, cookie and signature from every page.)"""
    session.clear()
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    g.pop(field, None)  # Flask-WTF keeps the request's token there, signed with the old secret
    generate_csrf()


def browser_nonce():
    """One random value for the browser's session, kept in it once: the codes it asks for
    (each top-up's) are bound to it on the server, so the cookie never grows with use."""
    nonce = session.get("browser")
    if not nonce:
        nonce = session["browser"] = secrets.token_urlsafe(24)
    return nonce


def issue_code(purpose, number, reference="", nonce=None):
    """A new 6-digit code for `number`; returns (code, nonce). The nonce goes to the browser
    that asked (its session; `nonce`: the browser's own, `browser_nonce()`), so the code
    works only there. How often codes may be sent is the SMS budget's to say (portal.sms)."""
    now = clock.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    nonce = nonce or secrets.token_urlsafe(24)
    OneTimeCode.create(purpose=purpose, number=number, code_hash=keyed_digest(code),
                       nonce=nonce, reference=reference, created_at=now,
                       expires_at=now + CODE_LIFETIME)
    return code, nonce


def check_code(purpose, number, nonce, code, reference=None):
    """Use up the code if it is right; else raise CodeRefused. Each try is counted before
    the code is compared, in one atomic step, so simultaneous tries get five at most."""
    now = clock.now()
    query = OneTimeCode.select().where((OneTimeCode.purpose == purpose)
                                       & (OneTimeCode.number == number)
                                       & (OneTimeCode.nonce == (nonce or "")))
    if reference is not None:
        query = query.where(OneTimeCode.reference == reference)
    record = query.order_by(OneTimeCode.id.desc()).first()
    if record is None:
        raise CodeRefused("missing")
    if record.used_at:
        raise CodeRefused("used")
    if now >= record.expires_at:
        raise CodeRefused("expired")
    tries = OneTimeCode.take_try(record.id, CODE_MAX_TRIES)
    if tries is None:
        raise CodeRefused("used" if OneTimeCode.get_by_id(record.id).used_at else "tries")
    if not hmac.compare_digest(record.code_hash, keyed_digest((code or "").strip())):
        left = CODE_MAX_TRIES - tries
        raise CodeRefused("tries" if left <= 0 else "wrong", left=left, counted=True)
    if not OneTimeCode.use(record.id, now):  # another request used it a moment ago
        raise CodeRefused("used")
    return record


# Audit -----------------------------------------------------------------------------------

def client_address():
    """The address the request came from ('' in a command): nginx's X-Forwarded-For behind
    a proxy (ProxyFix, PORTAL_BEHIND_PROXY). For the audit log and the SMS budget; never
    the only key of a lockout (carrier NAT puts thousands behind one address)."""
    return (request.remote_addr or "")[:45] if has_request_context() else ""


def audit(event, profile=None, actor="", subject="", details=""):
    return AuditEvent.create(at=clock.now(), event=event, profile=profile, actor=actor[:80],
                             subject=subject[:80], ip=client_address(), details=details)
