"""The one way the portal prints money, bonuses, numbers and dates: on pages, in SMS, in
the CSV and the PDF, in the reader's language (an SMS: its cabinet's, see portal.sms).

Amounts are integer kopiyky (bonuses too: 1 bonus = 100)."""
from flask_babel import format_date, get_locale
from markupsafe import Markup, escape

from rules.amounts import format_grouped, format_plain
from rules.numbers import format_number

# (decimal separator, thousands separator) by language.
_SEPARATORS = {"en": (".", ","), "uk": (",", "\u00a0"), "ru": (",", "\u00a0")}
CURRENCY = "\u00a0₴"

plain = format_plain  # '1234.50': the machine-readable form (<data value>, CSV, JSON)
phone = format_number  # '+380 97 123 45 67'


def _separators():
    locale = get_locale()
    return _SEPARATORS.get(locale.language if locale else "uk", _SEPARATORS["uk"])


def amount(kopiyky):
    """'1 234,50' (Ukrainian, Russian) or '1,234.50' (English): money without its sign, or
    bonuses."""
    return format_grouped(kopiyky, *_separators())


def uah(kopiyky):
    """'1 234,50 ₴': an amount of money as text, for messages, SMS and files."""
    return amount(kopiyky) + CURRENCY


def money(kopiyky, element_id=None, currency=True):
    """An amount on a page as the contract prints it: <data value="123.45">123,45 ₴</data>.
    Built as one string (reports print a hundred a page): only the id needs escaping."""
    shown = amount(kopiyky) + (CURRENCY if currency else "")
    id_attr = f' id="{escape(element_id)}"' if element_id else ""
    return Markup(f'<data value="{plain(kopiyky)}"{id_attr}>{shown}</data>')


def day(value):
    """A date as subscribers write it: 25.11.2026."""
    return format_date(value, "dd.MM.yyyy")


def init_app(app):
    app.jinja_env.globals.update(money=money, uah=uah, plain=plain, format_number=phone)
    app.jinja_env.filters.update(phone=phone, format_day=day, amount=amount)
