"""Money as integer kopiyky: parsing what people and feeds type, and printing it back."""
import re

from .digits import TWO_DIGITS

_AMOUNT = re.compile(r"^([+-]?)([0-9]{1,12})(?:[.,]([0-9]{1,2}))?$")


class AmountError(ValueError):
    """The text is not an amount of hryvnias with at most two decimals."""


def parse_uah(text, allow_negative=False):
    """'12', '12.5', '12,50', '-3.01' -> kopiyky (int). Spaces between thousands are allowed."""
    cleaned = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise AmountError(text)
    sign, whole, fraction = match.groups()
    if sign == "-" and not allow_negative:
        raise AmountError(text)
    kopiyky = int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
    return -kopiyky if sign == "-" else kopiyky


def format_grouped(kopiyky, decimal_sep=",", group_sep="\u00a0"):
    """Kopiyky -> '1 234,50' for people; the separators follow the locale."""
    sign = "-" if kopiyky < 0 else ""
    whole, fraction = divmod(abs(kopiyky), 100)
    # Below a thousand there is no separator to write: str() needs no format spec parsed.
    grouped = str(whole) if whole < 1000 else f"{whole:,}".replace(",", group_sep)
    return f"{sign}{grouped}{decimal_sep}{TWO_DIGITS[fraction]}"


def format_plain(kopiyky):
    """Kopiyky (an int, as every amount: an SQL sum is made one first) -> '123.45' (a dot,
    two decimals, no grouping): the machine-readable form."""
    return format_grouped(kopiyky, ".", "")
