"""A second factor by TOTP (RFC 6238, pyotp): the staff console asks a code from the
agent's authenticator app at every sign-in, after the password.

`create-staff` makes the secret and prints it once (and its otpauth:// URI for a QR code);
the database keeps it sealed with a key derived from PORTAL_SECRET_KEY (Fernet), so a copy
of the database alone opens nothing (a new secret key means new secrets: run create-staff
again). A code is taken once: its time step is kept, and a code of that step or an earlier
one is refused, so a code seen over a shoulder cannot be replayed within its 30 seconds."""
import base64
import hashlib

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from models import StaffUser
from . import clock

ISSUER = "My cabinet staff"
# The demo's staff accounts share this secret (README, "Demo"): trainers add it to any
# authenticator app, or read the code off the demo's sign-in page.
DEMO_SECRET = "DEMOSTAFFTOTPKYIVSTARDEMOSTAFF23"


def _fernet():
    key = hashlib.sha256(b"staff-totp:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret():
    return pyotp.random_base32()


def seal(secret):
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed):
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None  # sealed under another secret key: the agent needs a new one


def provisioning_uri(login, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=ISSUER)


def _epoch():
    """Now as the authenticator app counts it (seconds since 1970, UTC): the clock's time
    is Kyiv local."""
    return clock.now().timestamp()


def current_code(secret):
    """The code an authenticator app shows now (the demo's sign-in page prints it)."""
    return pyotp.TOTP(secret).at(_epoch())


def check(staff, code):
    """True when `code` is the staff user's current code (or the one 30 s either side, for
    a phone's clock a little off) and no code of that step or a later one was taken yet;
    the step is taken in one atomic update, so one code signs in once."""
    secret = unseal(staff.totp_secret) if staff and staff.totp_secret else None
    code = (code or "").strip()
    if secret is None or not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(secret)
    now_step = int(_epoch() // totp.interval)
    for step in (now_step, now_step - 1, now_step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            if current_app.config["DEMO"]:
                # A training class signs in as one demo agent at once, with the code the
                # page prints: its secret is public, so taking the step guards nothing.
                return True
            return bool(StaffUser.update(totp_last_step=step).where(
                (StaffUser.id == staff.id)
                & (StaffUser.totp_last_step.is_null() | (StaffUser.totp_last_step < step))
            ).execute())
    return False
