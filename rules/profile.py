"""The profile: which numbers and accounts a cabinet may take in or let go, a number's
nickname and validity, the SIM card's number, the shops' search and the sessions' names."""
import re
import unicodedata
from dataclasses import dataclass

from . import states
from .dates import add_months
from .numbers import luhn_ok

MAX_NUMBERS = 20  # numbers and accounts in one cabinet
NICKNAME_MAX = 30
PREPAID_VALIDITY_MONTHS = 12  # a prepaid number lives this long after its last top-up


class ProfileRefused(ValueError):
    """`code` says why; `limit` carries the number a message needs."""

    def __init__(self, code, limit=None):
        super().__init__(code)
        self.code, self.limit = code, limit


# Adding and removing numbers -------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A number or account someone asks to add to their cabinet (to manage it: it stays in
    the cabinet it signs in to)."""
    kind: str  # 'mobile' | 'home_internet'
    state: str  # rules.states
    in_cabinet: bool  # in the asking cabinet already, its own or managed
    code_phone: str | None  # where the confirmation code goes: the number, or the account's
    # contact phone


def check_addition(candidate, numbers_in_cabinet):
    """Where the code goes ('+380…'), or ProfileRefused: 'yours' (in this cabinet already),
    'closed' (its state allows no addition), 'no_phone' (an account with no contact phone),
    'full' (limit = MAX_NUMBERS)."""
    if candidate.in_cabinet:
        raise ProfileRefused("yours")
    if states.refusal(states.CABINET_ADD, candidate.state) is not None:
        raise ProfileRefused("closed")
    if numbers_in_cabinet >= MAX_NUMBERS:
        raise ProfileRefused("full", limit=MAX_NUMBERS)
    if not candidate.code_phone:
        raise ProfileRefused("no_phone")
    return candidate.code_phone


def check_removal(own_numbers, managed):
    """A managed number may always leave a cabinet; a cabinet keeps at least one number of
    its own: it is how its owner signs in."""
    if not managed and own_numbers <= 1:
        raise ProfileRefused("last")


# Settings of a number --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_line(text, limit):
    """A short name as the subscriber typed it, trimmed, inner spaces squeezed; None when
    nothing is left. ProfileRefused: 'too_long' (`limit`), 'characters' (control, format or
    private-use characters)."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None
    if _CONTROL.search(cleaned) or any(unicodedata.category(ch) in ("Cf", "Co", "Cs")
                                       for ch in cleaned):
        raise ProfileRefused("characters")
    if len(cleaned) > limit:
        raise ProfileRefused("too_long", limit=limit)
    return cleaned


def clean_nickname(text):
    """A number's nickname (clean_line); None clears it."""
    return clean_line(text, NICKNAME_MAX)


def valid_until(payment, status, activated_on, last_topup_on=None):
    """The last day a number stays valid: a prepaid one 12 months after its last top-up (or
    its activation); a contract one while the contract lasts (None); a closed one has none
    (None). The caller tells the two None apart by `status`."""
    if status == "closed" or payment != "prepaid":
        return None
    since = max(activated_on, last_topup_on) if last_topup_on else activated_on
    return add_months(since, PREPAID_VALIDITY_MONTHS)


# The SIM card ----------------------------------------------------------------------------

def is_iccid(text):
    """A SIM card's number (ICCID): 19 or 20 digits starting with 89 (telecom), the last a
    Luhn check digit."""
    return (text.isascii() and text.isdigit() and len(text) in (19, 20) and text.startswith("89")
            and luhn_ok(text))


def format_iccid(iccid):
    """'8938003912345678901' -> '8938 0039 1234 5678 901' (easy to read aloud to support)."""
    return " ".join(iccid[i:i + 4] for i in range(0, len(iccid), 4))


def is_puk(text):
    return text.isascii() and text.isdigit() and len(text) == 8


# Shops -----------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'", "ё": "е"})


def fold(text):
    """Text for matching: case and apostrophe forms do not matter."""
    return (text or "").casefold().translate(_APOSTROPHES)


def matches(texts, query):
    """Does every word of `query` occur in one of `texts` (a shop's city, address, name in
    every language)? An empty query matches everything."""
    haystack = " ".join(fold(text) for text in texts)
    return all(word in haystack for word in fold(query).split())


# Sessions --------------------------------------------------------------------------------

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("YaBrowser/", "Yandex Browser"),
             ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("KaiOS", "KaiOS"), ("Linux", "Linux"))


def describe_user_agent(user_agent):
    """('Chrome', 'Android') for a session's list; None for what is not recognised."""
    user_agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    return browser, system
