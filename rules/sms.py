"""Free SMS from the cabinet: how a text is encoded and split into parts, and the limits.

A text that fits the GSM 03.38 alphabet goes as GSM-7: 160 septets in one SMS, 153 in each
part of a longer one (the rest of the part is the concatenation header). Characters of the
GSM-7 extension table (€, [, ], {, }, ^, ~, |, \\ and the form feed) take two septets, an
escape and the character, and an escape pair is never split between two parts. Any other
character sends the whole text as UCS-2: 70 UTF-16 units in one SMS, 67 in each part of a
longer one; a character outside the Basic Multilingual Plane (most emoji) takes two units,
and a surrogate pair is never split either.

`static/sms-counter.js` repeats this for the live count in the browser; a test runs both on
the same texts.
"""
from dataclasses import dataclass

from . import states

GSM7 = "gsm7"
UCS2 = "ucs2"

# The GSM 03.38 basic character set, minus the escape (0x1B) that introduces the extension.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each takes two septets.
GSM7_EXTENSION = "\f^{}\\[~]|€"

SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}

MAX_PARTS = 6  # the longest free SMS: 918 GSM-7 characters or 402 UCS-2 units
DAILY_CAP = 30  # SMS parts a number may send free in one day

_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)


class SmsRefused(ValueError):
    """`code`: 'empty', 'too_long' (`limit` = parts allowed, `parts` = parts typed) or
    'cap' (`limit` = the daily cap, `left` = parts left today, `parts` = parts typed)."""

    def __init__(self, code, limit=None, parts=None, left=None):
        super().__init__(code)
        self.code, self.limit, self.parts, self.left = code, limit, parts, left


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # GSM7 or UCS2
    units: int  # septets (GSM-7) or UTF-16 units (UCS-2) the text takes
    characters: int  # characters as a person counts them
    parts: int  # SMS it goes as (0 for an empty text)
    left: int  # units still free in the last part

    @property
    def per_part(self):
        return SINGLE[self.encoding] if self.parts <= 1 else PER_PART[self.encoding]


def normalize(text):
    """Browsers send a textarea's line breaks as CRLF; the phone shows one break."""
    return (text or "").replace("\r\n", "\n")


def encoding_of(text):
    """GSM7 when every character is in the GSM-7 basic or extension table, else UCS2."""
    return GSM7 if all(ch in _BASIC or ch in _EXTENSION for ch in text) else UCS2


def _unit_sizes(text, encoding):
    """How many units each character takes; such a run is never split between parts."""
    if encoding == GSM7:
        return [2 if ch in _EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count(text):
    """The encoding, units and parts of `text` (already normalized)."""
    encoding = encoding_of(text)
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    if units == 0:
        return SmsCount(encoding, 0, 0, 0, SINGLE[encoding])
    if units <= SINGLE[encoding]:
        return SmsCount(encoding, units, len(text), 1, SINGLE[encoding] - units)
    per_part = PER_PART[encoding]
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return SmsCount(encoding, units, len(text), parts, per_part - used)


def check_text(text):
    """The count of a text that may be sent, or SmsRefused ('empty', 'too_long')."""
    text = normalize(text)
    if not text.strip():
        raise SmsRefused("empty")
    counted = count(text)
    if counted.parts > MAX_PARTS:
        raise SmsRefused("too_long", limit=MAX_PARTS, parts=counted.parts)
    return counted


def parts_left_today(parts_sent_today, cap=DAILY_CAP):
    return max(cap - parts_sent_today, 0)


def check_daily_cap(parts_sent_today, parts, cap=DAILY_CAP):
    """SmsRefused('cap') when `parts` more would pass the day's cap of free SMS parts."""
    left = parts_left_today(parts_sent_today, cap)
    if parts > left:
        raise SmsRefused("cap", limit=cap, parts=parts, left=left)
    return left - parts


def check_sender(kind, state):
    """A mobile number whose state allows it sends: SmsRefused('not_mobile') or the
    rules.states refusal of SMS_OUT."""
    if kind != "mobile":
        raise SmsRefused("not_mobile")
    states.check(states.SMS_OUT, state)
