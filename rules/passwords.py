"""The operator's password rules, and what we add to them."""
import secrets
import string
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

MIN_LENGTH = 6
MAX_LENGTH = 128  # long enough for any passphrase or manager; bounds the hashing work
MAX_REPEATS = 2  # no character more than twice anywhere (case-sensitive)
MIN_KINDS = 2
TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=72)  # "Get a password" and the welcome SMS

_COMMON_FILE = Path(__file__).with_name("common-passwords.txt")


def _load_common():
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


COMMON_PASSWORDS = _load_common()


@dataclass(frozen=True)
class RuleCheck:
    code: str  # 'length', 'kinds', 'repeats', 'common', 'max_length'
    met: bool


def character_kinds(password):
    """Which of the four kinds the password uses: lower, upper, digit, other."""
    kinds = set()
    for ch in password:
        if ch.islower():
            kinds.add("lower")
        elif ch.isupper():
            kinds.add("upper")
        elif ch.isdigit():
            kinds.add("digit")
        else:
            kinds.add("other")
    return kinds


def check_password(password):
    """Every rule with whether this password meets it, in the order the form lists them."""
    password = password or ""
    most_repeated = max(Counter(password).values(), default=0)
    return [
        RuleCheck("length", len(password) >= MIN_LENGTH),
        RuleCheck("max_length", len(password) <= MAX_LENGTH),
        RuleCheck("kinds", len(character_kinds(password)) >= MIN_KINDS),
        RuleCheck("repeats", bool(password) and most_repeated <= MAX_REPEATS),
        RuleCheck("common", bool(password) and password.lower() not in COMMON_PASSWORDS),
    ]


def is_acceptable(password):
    return all(check.met for check in check_password(password))


def has_cyrillic(text):
    """A Cyrillic letter in a password usually means the keyboard is on the wrong layout."""
    return any("\u0400" <= ch <= "\u04ff" for ch in text or "")


def generate_temporary_password(rng=None):
    """A random password that meets every rule; sent by SMS, so free of look-alike characters."""
    rng = rng or secrets.SystemRandom()
    alphabet = [c for c in string.ascii_letters + string.digits if c not in "0O1lI"]
    while True:
        candidate = "".join(rng.choice(alphabet) for _ in range(10))
        if is_acceptable(candidate):
            return candidate
