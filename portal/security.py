"""Passwords, throttling, one-time codes and the audit log, for every area to use."""
import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request

from models import AuditEvent, FailedAttempt, OneTimeCode
from rules import throttle

CODE_LIFETIME = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(minutes=1)
CODE_MAX_TRIES = 5


def _now():
    return current_app.config["CLOCK"].now()


def _hasher():
    hasher = current_app.extensions.get("password_hasher")
    if hasher is None:
        hasher = PasswordHasher(**current_app.config["PASSWORD_HASH_PARAMS"])
        current_app.extensions["password_hasher"] = hasher
    return hasher


def hash_password(password):
    return _hasher().hash(password)


def verify_password(stored_hash, password):
    if not stored_hash:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Throttling ------------------------------------------------------------------------------

def locked_until(key):
    """When `key` (an account) may try again, or None if it may try now."""
    now = _now()
    return throttle.locked_until(FailedAttempt.times_since(key, throttle.relevant_since(now)), now)


def record_failure(key):
    """Count a failure; returns the lockout end if this failure started one."""
    now = _now()
    FailedAttempt.create(key=key, at=now)
    until = locked_until(key)
    if until:
        audit("lockout", subject=key, details=f"until {until.isoformat(timespec='minutes')}")
    return until


def forget_failures(key):
    FailedAttempt.delete().where(FailedAttempt.key == key).execute()


# One-time codes --------------------------------------------------------------------------

def _code_digest(code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


class CodeRefused(Exception):
    """`code` says why: 'too_soon', 'expired', 'wrong', 'used', 'tries', 'missing'.
    `until` is when a new code may be asked for ('too_soon'); `left` the tries left ('wrong')."""

    def __init__(self, code, until=None, left=None):
        super().__init__(code)
        self.code, self.until, self.left = code, until, left


def issue_code(purpose, number, reference=""):
    """A new 6-digit code for `number`; returns (code, nonce). The nonce goes to the browser
    that asked (its session), so the code works only there. Refuses a new code within a
    minute of the last one."""
    now = _now()
    last = OneTimeCode.latest(purpose, number)
    if last and now < last.created_at + CODE_RESEND_AFTER:
        raise CodeRefused("too_soon", until=last.created_at + CODE_RESEND_AFTER)
    code = f"{secrets.randbelow(1_000_000):06d}"
    nonce = secrets.token_urlsafe(24)
    OneTimeCode.create(purpose=purpose, number=number, code_hash=_code_digest(code), nonce=nonce,
                       reference=reference, created_at=now, expires_at=now + CODE_LIFETIME)
    return code, nonce


def check_code(purpose, number, nonce, code, reference=None):
    """Use up the code if it is right; else count the try and raise CodeRefused."""
    now = _now()
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
    if record.attempts >= CODE_MAX_TRIES:
        raise CodeRefused("tries")
    if not hmac.compare_digest(record.code_hash, _code_digest((code or "").strip())):
        record.attempts += 1
        OneTimeCode.update(attempts=OneTimeCode.attempts + 1).where(
            OneTimeCode.id == record.id).execute()
        left = CODE_MAX_TRIES - record.attempts
        raise CodeRefused("tries" if left <= 0 else "wrong", left=left)
    updated = OneTimeCode.update(used_at=now).where(
        (OneTimeCode.id == record.id) & OneTimeCode.used_at.is_null()).execute()
    if not updated:  # another request used it a moment ago
        raise CodeRefused("used")
    return record


# Audit -----------------------------------------------------------------------------------

def client_ip():
    return (request.remote_addr or "")[:45] if request else ""


def audit(event, profile=None, actor="", subject="", details=""):
    return AuditEvent.create(at=_now(), event=event, profile=profile, actor=actor[:80],
                             subject=subject[:80], ip=client_ip(), details=details)
