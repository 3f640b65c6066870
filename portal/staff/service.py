"""The staff area's operations: the sign-in's throttles and their unlock (the second
factor itself is portal/core/totp.py)."""
from datetime import timedelta

from rules import throttle as throttle_rules
from ..core import security

# Wrong sign-ins of one staff login slow it down more and more (an admin lifts the wait:
# `unlock-staff`, the console's staff page); from one client address, across logins, a
# strict count (staff sign in from the operator's offices, not from behind carrier NAT).
STAFF_THROTTLE = throttle_rules.GrowingDelay()
STAFF_ADDRESS_THROTTLE = throttle_rules.Burst(20, window=timedelta(hours=1),
                                              lockout=timedelta(hours=1))


def staff_key(login):
    return f"staff:{login}"


def locked_until(login):
    """When staff `login` may try to sign in again, or None."""
    return security.locked_until(staff_key(login), rule=STAFF_THROTTLE)


def unlock(login, by):
    """Lift the sign-in wait of staff `login` (its failures forgotten); audited."""
    security.forget_failures(staff_key(login))
    security.audit("staff_unlocked", actor=by, subject=f"staff:{login}")


