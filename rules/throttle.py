"""Throttling sign-in attempts per account: a run of failures makes the account wait."""
from datetime import timedelta

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def locked_until(failures, now, max_failures=MAX_FAILURES, window=WINDOW, lockout=LOCKOUT):
    """When the account may try again, or None if it may try now.

    `failures` are the times of failed attempts. `max_failures` of them within `window`
    lock the account for `lockout` from the last of them. Attempts refused during a lockout
    are not recorded, so a lockout cannot be stretched by hammering it.
    """
    times = sorted(failures)
    latest_lock = None
    for end in range(max_failures - 1, len(times)):
        if times[end] - times[end - max_failures + 1] <= window:
            latest_lock = times[end] + lockout
    if latest_lock is not None and now < latest_lock:
        return latest_lock
    return None


def relevant_since(now, window=WINDOW, lockout=LOCKOUT):
    """Failures older than this can no longer lock the account."""
    return now - window - lockout
