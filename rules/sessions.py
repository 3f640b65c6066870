"""When a signed-in session (a subscriber's or a staff member's) ends by itself."""
from dataclasses import dataclass
from datetime import timedelta

# How stale a session's "last seen" may get before it is written again: a write per
# request would cost more than the page.
SEEN_RESOLUTION = timedelta(minutes=1)

ENDED, TOUCH, LIVE = "ended", "touch", "live"


@dataclass(frozen=True)
class SessionRule:
    """`idle`: the session ends after this long without a request; `lifetime`: it ends
    this long after the sign-in, busy or not. None: no such limit."""

    idle: timedelta | None = None
    lifetime: timedelta | None = None


def check_session(rule, created_at, last_seen_at, now, seen_resolution=SEEN_RESOLUTION):
    """ENDED (the session is over), TOUCH (live; record that it was seen now) or LIVE."""
    if rule.lifetime is not None and now - created_at > rule.lifetime:
        return ENDED
    if rule.idle is not None and now - last_seen_at > rule.idle:
        return ENDED
    return TOUCH if now - last_seen_at > seen_resolution else LIVE
