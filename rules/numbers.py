"""Which numbers are ours: the operator's mobile numbers and Home Internet accounts."""
from dataclasses import dataclass

import phonenumbers

# The operator's mobile prefixes (the digits after +380).
OPERATOR_PREFIXES = ("39", "67", "68", "77", "96", "97", "98")
HOME_INTERNET_DIGITS = 8
MOBILE = "mobile"
HOME_INTERNET = "home_internet"


class NumberError(ValueError):
    """`code` says why: 'empty', 'invalid', 'foreign' (a valid number of another operator)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Login:
    kind: str
    number: str  # '+380971234567' for mobile, '12345678' for an account


def parse_mobile(text):
    """Any common form of a Ukrainian mobile number -> '+380XXXXXXXXX' of the operator."""
    number = parse_ukrainian_mobile(text)
    if number[4:6] not in OPERATOR_PREFIXES:
        raise NumberError("foreign")
    return number


# What people put between digits: spaces, dashes, dots, slashes, brackets.
SEPARATORS = "()-./ \u00a0"
# The old long-distance prefix: '8 067 123 45 67' is dialled as 0 67 123 45 67.
TRUNK_EIGHT_DIGITS = 11


def parse_ukrainian_mobile(text):
    """Any common form of a Ukrainian mobile number, of any network -> '+380XXXXXXXXX':
    '0671234567', '+380 67 123 45 67', '380671234567', '8 067 123 45 67', '80671234567',
    '067-123-45-67', '(067) 123.45.67'... NumberError 'foreign' for a number of another
    country or a landline."""
    raw = (text or "").strip()
    if not raw:
        raise NumberError("empty")
    digits = "".join(ch for ch in raw if ch in "0123456789")
    if (len(digits) > 15 or not digits or any(ch not in "0123456789+" + SEPARATORS for ch in raw)
            or "+" in raw[1:]):
        raise NumberError("invalid")
    if raw.startswith("+"):
        dialled = "+" + digits
    elif len(digits) == TRUNK_EIGHT_DIGITS and digits.startswith("80"):
        dialled = digits[1:]
    else:
        dialled = digits
    try:
        parsed = phonenumbers.parse(dialled, "UA")
    except phonenumbers.NumberParseException as exc:
        raise NumberError("invalid") from exc
    if parsed.country_code != 380 or not phonenumbers.is_valid_number(parsed):
        if phonenumbers.is_valid_number(parsed):
            raise NumberError("foreign")
        raise NumberError("invalid")
    if phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE:
        raise NumberError("foreign")
    return "+380" + str(parsed.national_number)


def is_home_internet_account(text):
    cleaned = (text or "").strip()
    return len(cleaned) == HOME_INTERNET_DIGITS and cleaned.isascii() and cleaned.isdigit()


def account_digits(text):
    """An account number as typed ('1234 5678', '1234-5678') -> its 8 digits, else None."""
    cleaned = "".join(ch for ch in (text or "").strip() if ch not in " -\u00a0")
    return cleaned if is_home_internet_account(cleaned) else None


def parse_login(text):
    """The sign-in field: a mobile number in any common form or an 8-digit account number."""
    account = account_digits(text)
    if account:
        return Login(HOME_INTERNET, account)
    return Login(MOBILE, parse_mobile(text))


def luhn_ok(digits):
    """The Luhn check digit of a card number or a SIM card's ICCID is right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def format_number(number):
    """'+380971234567' -> '+380 97 123 45 67'; an account number stays as it is."""
    if number.startswith("+380") and len(number) == 13:
        n = number[4:]
        return f"+380 {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}"
    return number
