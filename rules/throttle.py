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


class Burst:
    """A run of `max_failures` within `window` makes the key wait `lockout` (the account
    throttle above, and a client address's counts)."""

    def __init__(self, max_failures=MAX_FAILURES, window=WINDOW, lockout=LOCKOUT):
        self.max_failures, self.window, self.lockout = max_failures, window, lockout

    def locked_until(self, failures, now):
        return locked_until(failures, now, self.max_failures, self.window, self.lockout)

    def relevant_since(self, now):
        return relevant_since(now, self.window, self.lockout)


class GrowingDelay:
    """Failures past the first `free` of the last `memory` each make the key wait longer
    after the latest: `first`, then twice that, and so on up to `longest`. An attacker is
    slowed to a trickle; the person who owns the key is never shut out for good (a staff
    account: an admin lifts the wait at once)."""

    def __init__(self, free=5, first=timedelta(minutes=1), longest=timedelta(hours=1),
                 memory=timedelta(hours=24)):
        self.free, self.first, self.longest, self.memory = free, first, longest, memory

    def delay(self, count):
        """The wait after the `count`-th failure in memory (zero within the free ones)."""
        over = count - self.free
        if over <= 0:
            return timedelta(0)
        return min(self.longest, self.first * 2 ** min(over - 1, 30))

    def locked_until(self, failures, now):
        recent = sorted(at for at in failures if at > now - self.memory)
        if not recent:
            return None
        until = recent[-1] + self.delay(len(recent))
        return until if now < until else None

    def relevant_since(self, now):
        return now - self.memory
