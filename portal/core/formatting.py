"""The one way the portal prints money, bonuses, numbers and dates: on pages, in SMS, in
the CSV and the PDF, in the reader's language (an SMS: its cabinet's, see portal.sms).

Amounts are integer kopiyky (bonuses too: 1 bonus = 100)."""
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType

from babel.dates import format_date as babel_format_date
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from rules.amounts import format_grouped, format_plain
from rules.dates import local, local_day
from rules.digits import THREE_DIGITS, TWO_DIGITS
from rules.expenses import format_duration, format_volume
from rules.numbers import format_number
from .i18n import current_locale

# (decimal separator, thousands separator) by language.
_SEPARATORS = {"en": (".", ","), "uk": (",", "\u00a0"), "ru": (",", "\u00a0")}
CURRENCY = "\u00a0₴"
VOLUME_UNITS = {"KB": _l("KB"), "MB": _l("MB"), "GB": _l("GB")}

plain = format_plain  # '1234.50': the machine-readable form (<data value>, JSON)
phone = format_number  # '+380 97 123 45 67'


def phone_unbroken(number):
    """A number that never breaks across lines, for narrow table cells; any other text
    stays as it is."""
    shown = format_number(number)
    return shown.replace(" ", "\u00a0") if shown != number else number


def _separators():
    return _SEPARATORS.get(current_locale(), _SEPARATORS["uk"])


def amount(kopiyky):
    """'1 234,50' (Ukrainian, Russian) or '1,234.50' (English): money without its sign, or
    bonuses."""
    return format_grouped(kopiyky, *_separators())


def typed(kopiyky):
    """'120,50' (Ukrainian, Russian) or '120.50' (English), '120' for whole hryvnias: an
    amount put into a field as the reader would type it (rules.amounts.parse_uah takes
    either decimal mark back)."""
    if kopiyky % 100 == 0:
        return str(kopiyky // 100)
    return format_grouped(kopiyky, _separators()[0], "")


def whole_number(number):
    """'50 000' (Ukrainian, Russian) or '50,000' (English): a whole number of things."""
    return f"{number:,}".replace(",", _separators()[1])


def uah(kopiyky):
    """'1 234,50 ₴': an amount of money as text, for messages, SMS and files."""
    return amount(kopiyky) + CURRENCY


def money(kopiyky, element_id=None, currency=True):
    """An amount on a page as the contract prints it: <data value="123.45">123,45 ₴</data>.
    Built as one string (reports print a hundred a page): only the id needs escaping."""
    shown = amount(kopiyky) + (CURRENCY if currency else "")
    id_attr = f' id="{escape(element_id)}"' if element_id else ""
    return _data(kopiyky, shown, id_attr)


def _data(kopiyky, shown, id_attr=""):
    return Markup(f'<data value="{plain(kopiyky)}"{id_attr}>{shown}</data>')


def sheet_amount(kopiyky):
    """'-1234,50': an amount for a spreadsheet cell (the CSV), a decimal comma and no
    grouping, which Excel set to Ukrainian or Russian reads as a number (a dot would turn
    '12.05' into the 12th of May)."""
    return format_grouped(kopiyky, ",", "")


def day(value):
    """A date as subscribers write it: 25.11.2026; an instant, its day in Kyiv (a naive
    one is Kyiv wall time, as everywhere in the portal)."""
    if isinstance(value, datetime):
        value = local_day(value)
    # What Babel makes of a date with that pattern in every language, without Babel's
    # pattern machinery, which cost more than the rest of a report's table of days.
    return f"{TWO_DIGITS[value.day]}.{TWO_DIGITS[value.month]}.{str(value.year).zfill(4)}"


def _clock(moment):
    """'09:15:02': a moment's wall-clock time as iso_moment and Reader.moment write it,
    looked up (rules.digits) rather than formatted: fifty report lines a page, thousands a
    file."""
    return f"{TWO_DIGITS[moment.hour]}:{TWO_DIGITS[moment.minute]}:{TWO_DIGITS[moment.second]}"


def moment(value, pattern="%d.%m.%Y %H:%M"):
    """An instant as Kyiv wall time: '25.11.2026 10:15' (or another strftime `pattern`)."""
    return local(value).strftime(pattern)


def iso_moment(value, timespec="seconds"):
    """An instant for a machine to read, at Kyiv's offset: '2026-11-25T10:15:00+02:00'
    (to the millisecond: '2026-11-25T10:15:00.125+02:00'). To the second or millisecond,
    written out from its fields as datetime's isoformat writes it (a test holds the two
    together): isoformat formats through C's sprintf, 1.1 µs against 0.6, and a report
    page writes fifty."""
    moment = local(value)
    if timespec not in ("seconds", "milliseconds"):
        return moment.isoformat(timespec=timespec)
    offset = moment.utcoffset()
    shown_offset = _ISO_OFFSETS.get(offset)
    if shown_offset is None:  # Kyiv has had a handful: +02:00, +03:00, +04:00, LMT's...
        shown_offset = _ISO_OFFSETS[offset] = moment.replace(microsecond=0).isoformat()[19:]
    text = (f"{str(moment.year).zfill(4)}-{TWO_DIGITS[moment.month]}-"
            f"{TWO_DIGITS[moment.day]}T{_clock(moment)}")
    if timespec == "milliseconds":
        text = f"{text}.{THREE_DIGITS[moment.microsecond // 1000]}"
    return text + shown_offset


_ISO_OFFSETS = {}  # {a UTC offset: as isoformat writes it, '+02:00'}


def month(value):
    """The month of a date, named: 'листопад 2026', 'November 2026'; an instant, its month
    in Kyiv."""
    if isinstance(value, datetime):
        value = local_day(value)
    return _month_name(current_locale(), value.year, value.month)


@lru_cache(maxsize=1024)
def _month_name(language, year, month_number):
    # Named once per language: Babel reads its pattern anew at every call, which cost a
    # report page a fortieth of its time for its one heading.
    return babel_format_date(date(year, month_number, 1), "LLLL yyyy", locale=language)


@lru_cache(maxsize=8)  # a language each: its catalog is fixed for the process
def _units(language):
    """The volume units in `language`, the language in force (current_locale, which
    i18n.in_language changes together with the catalog, as labels.translated relies on):
    three lookups through Flask-Babel, about 5 µs each, otherwise made anew for every
    report page."""
    return MappingProxyType({key: str(label) for key, label in VOLUME_UNITS.items()})


class Reader:
    """How the reader writes what a report prints on every line (decimals, units), fixed
    once: a page of records or a file of thousands asks the locale once, and a streamed
    file, which has no request to ask, carries it along."""

    def __init__(self):
        self.decimal, self.thousands = _separators()
        self.units = _units(current_locale())

    def money(self, kopiyky, currency=True):
        """money(kopiyky, currency=currency), the separators not asked again."""
        shown = format_grouped(kopiyky, self.decimal, self.thousands)
        return _data(kopiyky, shown + CURRENCY if currency else shown)

    def moment(self, value):
        """A record's start to the millisecond: '24.11.2026 09:15:02,125' (Ukrainian,
        Russian), '24.11.2026 09:15:02.125' (English)."""
        value = local(value)
        return (f"{day(value.date())} {_clock(value)}{self.decimal}"
                f"{THREE_DIGITS[value.microsecond // 1000]}")

    @staticmethod
    def duration(seconds):
        """Minutes and seconds of a call, '2:05'; hours first from an hour on, '1:02:03'."""
        return format_duration(seconds)

    def volume(self, kilobytes):
        """'512 КБ', '195,8 МБ', '1,5 ГБ' (1 MB = 1024 KB)."""
        figure, unit = format_volume(kilobytes)
        return f"{figure.replace('.', self.decimal)}\u00a0{self.units[unit]}"


def init_app(app):
    app.jinja_env.globals.update(money=money, uah=uah, plain=plain, format_number=phone)
    app.jinja_env.filters.update(phone=phone, format_day=day, format_month=month,
                               format_moment=moment, iso_moment=iso_moment, amount=amount,
                               whole_number=whole_number)
