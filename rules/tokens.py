"""Personal API tokens: a token's name, how many a cabinet keeps, how a call carries one,
how often a token may call and how often its last use is written down."""
import math
import re
from datetime import timedelta

from .budget import free_at
from .profile import ProfileRefused, clean_line

PREFIX = "pk_"  # a leaked token is easy to spot, and to search logs and code for
NAME_MAX = 40
MAX_TOKENS = 10  # live tokens in one cabinet
CALLS_PER_WINDOW = 60  # calls of one token in any minute (a sliding window)
WINDOW = timedelta(minutes=1)
WINDOWS = ((WINDOW, CALLS_PER_WINDOW),)
TOUCH_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often

# What follows the prefix: secrets.token_urlsafe's alphabet (and the demo token's), so a
# header that cannot be a token is refused before any database look-up.
_TOKEN = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]{32,100}")


def clean_name(text):
    """A token's name (what it is for: "widget on my phone"), trimmed. ProfileRefused:
    'required' (nothing left), 'too_long' (limit = NAME_MAX), 'characters'."""
    cleaned = clean_line(text, NAME_MAX)
    if cleaned is None:
        raise ProfileRefused("required")
    return cleaned


def check_new_token(live_tokens):
    """ProfileRefused 'tokens_full' (limit = MAX_TOKENS) when the cabinet keeps as many
    tokens as it may."""
    if live_tokens >= MAX_TOKENS:
        raise ProfileRefused("tokens_full", limit=MAX_TOKENS)


def bearer_token(header):
    """The token an Authorization header carries (`Bearer <token>`, the scheme in any
    case), or None when it carries nothing that can be one of ours."""
    scheme, _, value = (header or "").partition(" ")
    value = value.strip(" ")
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(value):
        return None
    return value


def retry_after(calls, now):
    """None when the call is counted (`calls` is None); else `calls` are the moments of the
    token's calls in the last minute, and the answer the whole seconds until one leaves."""
    if calls is None:
        return None
    return max(1, math.ceil((free_at(calls, WINDOWS, now) - now).total_seconds()))


def touch_due(last_used_at, now):
    """Whether a call at `now` writes the token's last use down."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY
