"""Payments and expenses: report periods, usage types and their groups, totals by type and
by day, rows of the operator's usage feed, and the geometry of the spending-by-day chart.

Times are naive Kyiv local time, like the rest of the portal. Money is integer kopiyky; in
the usage feed a positive amount is charged and a negative one credited.
"""
import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from .amounts import AmountError, parse_uah
from .dates import day_start, instant, local_day
from .digits import TWO_DIGITS
from .feeds import RowError, control_errors
from .numbers import NumberError, is_home_internet_account, parse_mobile

MAX_SPAN_DAYS = 30
EARLIEST = date(2000, 1, 1)  # nothing older is reported; keeps years to four digits

# ---------------------------------------------------------------- usage types and groups

CALLS, SMS, INTERNET, SUBSCRIPTION, SERVICES, PAYMENTS = (
    "calls", "sms", "internet", "subscription", "services", "payments")
SPENDING_GROUPS = (CALLS, SMS, INTERNET, SUBSCRIPTION, SERVICES)
# A Home Internet account makes no calls and sends no SMS: its report has no such rows.
HOME_INTERNET_GROUPS = (INTERNET, SUBSCRIPTION, SERVICES)


def spending_groups(kind, group=""):
    """The spending groups a report of a `kind` of subscription shows: all of its kind's,
    or only `group` when the report is of one type."""
    groups = HOME_INTERNET_GROUPS if kind == "home_internet" else SPENDING_GROUPS
    return [each for each in groups if not group or each == group]
GROUPS = SPENDING_GROUPS + (PAYMENTS,)

GROUP_OF_TYPE = {
    "call_out": CALLS, "call_in": CALLS,
    "sms_out": SMS, "sms_in": SMS,
    "internet": INTERNET,
    "subscription": SUBSCRIPTION,
    "service": SERVICES,
    "topup": PAYMENTS, "transfer_in": PAYMENTS, "transfer_out": PAYMENTS,
}
TYPES = tuple(GROUP_OF_TYPE)
SPENDING_TYPES = tuple(t for t in TYPES if GROUP_OF_TYPE[t] in SPENDING_GROUPS)
# Payments have a known direction: money comes in by a top-up or a transfer to the number
# (credited, negative in the feed) and leaves by a transfer from it (charged, positive).
CREDIT_TYPES = ("topup", "transfer_in")
DEBIT_TYPES = ("transfer_out",)

SECONDS, KILOBYTES, COUNT = "seconds", "kilobytes", "count"


def types_of(group):
    """The feed types in a group ('' = every type)."""
    if not group:
        return TYPES
    return tuple(t for t in TYPES if GROUP_OF_TYPE[t] == group)


def quantity_unit(usage_type):
    """What `quantity` counts for a type: seconds for calls, kilobytes for internet."""
    group = GROUP_OF_TYPE[usage_type]
    return SECONDS if group == CALLS else KILOBYTES if group == INTERNET else COUNT


def format_duration(seconds):
    """Seconds -> '0:07', '12:05', '1:02:03'."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{TWO_DIGITS[minutes]}:{TWO_DIGITS[secs]}"
    return f"{minutes}:{TWO_DIGITS[secs]}"


def format_volume(kilobytes):
    """Kilobytes -> (figure, unit) with unit 'KB', 'MB' or 'GB' (1 MB = 1024 KB); the figure
    has one decimal from MB up, a dot as separator. The unit is translated by the caller."""
    if kilobytes < 1024:
        return str(kilobytes), "KB"
    for unit, size in (("MB", 1024), ("GB", 1024 * 1024)):
        tenths = (kilobytes * 10 + size // 2) // size  # rounded half up
        if tenths < 10240 or unit == "GB":
            return f"{tenths // 10}.{tenths % 10}", unit


def balance_change(amount):
    """A feed amount (charged positive) -> what it did to the balance (credited positive)."""
    return -amount


# ---------------------------------------------------------------- report periods

class PeriodError(ValueError):
    """One refused field of the period form: `field` ('month', 'from', 'to', 'type'), a
    `code` saying why, and the numbers a translated message needs in `params`."""

    def __init__(self, field_name, code, **params):
        super().__init__(f"{field_name}: {code}")
        self.field, self.code, self.params = field_name, code, params


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the last day, included
    is_month: bool

    @property
    def month(self):
        """'2026-11' ('' for a span of days). Written out: strftime took 2.6 µs against
        0.7, and a report's links ask for it eleven times."""
        if not self.is_month:
            return ""
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def since(self):
        """The instant the period begins: Kyiv's midnight of its first day."""
        return day_start(self.start)

    @property
    def until(self):
        """The first instant after the period (records are in [since, until)): a day of
        the period lasts 23, 24 or 25 hours."""
        return day_start(self.end + timedelta(days=1))

    @property
    def days(self):
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def query(self):
        """The URL parameters that select this period again."""
        if self.is_month:
            return {"month": self.month}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @property
    def slug(self):
        """For file names: '2026-11' or '2026-11-01_2026-11-20'."""
        return self.month if self.is_month else f"{self.start}_{self.end}"

    def previous_month(self):
        return month_period(*_shift_month(self.start.year, self.start.month, -1))

    def next_month(self):
        return month_period(*_shift_month(self.start.year, self.start.month, 1))


def month_period(year, month):
    return Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]), True)


def _shift_month(year, month, by):
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _parse_month(text):
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return int(match.group(1)), int(match.group(2))


def _parse_date(text):
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _period_fields(*fields):
    """The period form's fields as parse_period reads them: a blank one is none."""
    return tuple((field or "").strip() for field in fields)


def asks_for_days(month, date_from, date_to):
    """The fields ask for a span of days (not a month), read as parse_period reads them:
    a refused period's forms then show the days."""
    month, date_from, date_to = _period_fields(month, date_from, date_to)
    return bool(date_from or date_to) and not month


def parse_period(month, date_from, date_to, today):
    """The report period from the form's `month` (YYYY-MM) or `from`/`to` (YYYY-MM-DD).

    Nothing given: the current month. Returns (Period, []) or (None, [PeriodError, ...]).
    A month is any from January 2000 to the current one; a span runs from a day no later
    than today for at most MAX_SPAN_DAYS days, both ends included.
    """
    month, date_from, date_to = _period_fields(month, date_from, date_to)
    if not (month or date_from or date_to):
        return month_period(today.year, today.month), []
    if month and (date_from or date_to):
        return None, [PeriodError("month", "mixed")]
    if month:
        parsed = _parse_month(month)
        if parsed is None:
            return None, [PeriodError("month", "month_format", value=month)]
        if parsed < (EARLIEST.year, EARLIEST.month):
            return None, [PeriodError("month", "too_early", earliest=EARLIEST)]
        if parsed > (today.year, today.month):
            return None, [PeriodError("month", "future", latest=today)]
        return month_period(*parsed), []

    errors = []
    bounds = {}
    for name, text in (("from", date_from), ("to", date_to)):
        if not text:
            errors.append(PeriodError(name, "required"))
            continue
        bounds[name] = _parse_date(text)
        if bounds[name] is None:
            errors.append(PeriodError(name, "date_format", value=text))
        elif bounds[name] < EARLIEST:
            errors.append(PeriodError(name, "too_early", earliest=EARLIEST))
    if errors:
        return None, errors
    start, end = bounds["from"], bounds["to"]
    if start > today:
        return None, [PeriodError("from", "future", latest=today)]
    if end < start:
        return None, [PeriodError("to", "before_start", start=start)]
    days = (end - start).days + 1
    if days > MAX_SPAN_DAYS:
        return None, [PeriodError("to", "too_long", days=days, max_days=MAX_SPAN_DAYS,
                                  latest_end=start + timedelta(days=MAX_SPAN_DAYS - 1))]
    return Period(start, end, False), []


def parse_group(text):
    """The `type` filter: '' for everything, or one of GROUPS."""
    value = (text or "").strip()
    if value and value not in GROUPS:
        return None, [PeriodError("type", "choice", value=value)]
    return value, []


def dashboard_periods(today):
    """What the dashboard sums: the last two months (this one so far and the one before)
    and the last two days (yesterday and today), oldest first, as (key, Period)."""
    this_month = month_period(today.year, today.month)
    yesterday = today - timedelta(days=1)
    return [
        ("previous_month", this_month.previous_month()),
        ("this_month", this_month),
        ("yesterday", Period(yesterday, yesterday, False)),
        ("today", Period(today, today, False)),
    ]


# ---------------------------------------------------------------- totals

@dataclass
class Total:
    count: int = 0
    amount: int = 0  # kopiyky, as in the feed: charged positive
    bonuses: int = 0  # kopiyky of `amount` paid from moved bonuses

    def add(self, count, amount, bonuses=0):
        self.count += count
        self.amount += amount
        self.bonuses += bonuses


@dataclass
class Summary:
    """A period's figures. `by_group` has every spending group and PAYMENTS; `by_type` every
    type; `by_day` every day of the period with its spending (kopiyky)."""
    by_group: dict
    by_type: dict
    by_day: list
    spending: Total = field(default_factory=Total)
    payments: Total = field(default_factory=Total)

    @property
    def paid_in(self):
        """What top-ups and incoming transfers added to the balance (kopiyky, positive)."""
        return -sum(self.by_type[t].amount for t in CREDIT_TYPES)

    @property
    def paid_out(self):
        """What transfers to other numbers took from the balance (kopiyky, positive)."""
        return sum(self.by_type[t].amount for t in DEBIT_TYPES)

    @property
    def record_count(self):
        return self.spending.count + self.payments.count

    @property
    def balance_change(self):
        """What the period did to the money balance: what bonuses paid left it alone."""
        return balance_change(self.spending.amount - self.spending.bonuses
                              + self.payments.amount)


def summarize(rows, period):
    """Fold aggregated rows (day, type, count, amount[, bonus amount]) -- one per day and
    type, as a GROUP BY gives them, or one per record with count 1 -- into the period's
    Summary."""
    by_type = {t: Total() for t in TYPES}
    spent_on = {day: 0 for day in period.days}
    # Each row adds to its type's total only; the groups and the spending are added up from
    # the types' totals after (a month is a few hundred rows, ten types).
    for day, usage_type, count, amount, *bonus_part in rows:
        by_type[usage_type].add(count, amount, bonus_part[0] if bonus_part else 0)
        if usage_type in SPENDING_TYPES:
            spent_on[day] = spent_on.get(day, 0) + amount
    by_group = {g: Total() for g in GROUPS}
    for usage_type, total in by_type.items():
        by_group[GROUP_OF_TYPE[usage_type]].add(total.count, total.amount, total.bonuses)
    summary = Summary(by_group, by_type, sorted(spent_on.items()))
    for group, total in by_group.items():
        (summary.payments if group == PAYMENTS else summary.spending).add(
            total.count, total.amount, total.bonuses)
    return summary


# ---------------------------------------------------------------- the usage feed

USAGE_COLUMNS = ("number", "started_at", "type", "counterpart", "quantity", "amount")
BONUS_COLUMN = "bonus_amount"  # optional: the part of `amount` paid from moved bonuses
_CHECKED_COLUMNS = USAGE_COLUMNS + (BONUS_COLUMN,)
MAX_COUNTERPART = 64
MAX_QUANTITY = 10**12
_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$")
_QUANTITY = re.compile(r"^[0-9]{1,13}$")


@dataclass(frozen=True, slots=True)
class UsageRow:
    number: str  # '+380971234567' or an 8-digit Home Internet account
    started_at: datetime  # an instant (rules.dates), to the microsecond
    type: str
    counterpart: str
    quantity: int
    amount: int  # kopiyky: charged positive, credited negative
    bonus_amount: int = 0  # kopiyky of `amount` paid from moved bonuses


def missing_usage_columns(header):
    return [column for column in USAGE_COLUMNS if column not in (header or ())]


@lru_cache(maxsize=4096)
def _normalize_number(text):
    """Feeds repeat the same few numbers on every row; parsing each once keeps imports fast."""
    if is_home_internet_account(text):
        return text, None
    try:
        return parse_mobile(text), None
    except NumberError as exc:
        return None, "required" if exc.code == "empty" else exc.code


def parse_started_at(text):
    """ISO date-time, fractions of a second allowed, as an instant (rules.dates): Kyiv wall
    time unless it gives an offset."""
    if not _DATETIME.match(text):
        return None
    try:
        return instant(datetime.fromisoformat(text))
    except (ValueError, OverflowError):  # not a time, or one beyond the calendar in UTC
        return None


def parse_usage_row(row, now):
    """A CSV row (dict of str) -> (UsageRow, []) or (None, [RowError, ...]) with every bad
    field. Records may not start after `now` or before EARLIEST."""
    errors = control_errors(row, _CHECKED_COLUMNS)
    if errors:
        return None, errors
    get = row.get
    number_text, started_text, usage_type, counterpart, quantity_text, amount_text = (
        (get(column) or "").strip() for column in USAGE_COLUMNS)

    number, number_error = _normalize_number(number_text)
    if number_error:
        errors.append(RowError("number", number_error, number_text))

    started_at = parse_started_at(started_text)
    if started_at is None:
        errors.append(RowError("started_at", "datetime", started_text))
    elif started_at > now:
        errors.append(RowError("started_at", "future", started_text))
    elif local_day(started_at) < EARLIEST:
        errors.append(RowError("started_at", "too_early", started_text))

    if usage_type not in GROUP_OF_TYPE:
        errors.append(RowError("type", "choice", usage_type))

    if len(counterpart) > MAX_COUNTERPART:
        errors.append(RowError("counterpart", "too_long", counterpart[:20]))

    quantity = None
    if not _QUANTITY.match(quantity_text) or int(quantity_text) > MAX_QUANTITY:
        errors.append(RowError("quantity", "quantity", quantity_text))
    else:
        quantity = int(quantity_text)

    amount = None
    try:
        amount = parse_uah(amount_text, allow_negative=True)
    except AmountError:
        errors.append(RowError("amount", "amount", amount_text))
    else:
        if usage_type in CREDIT_TYPES and amount > 0:
            errors.append(RowError("amount", "credit_expected", amount_text))
        elif usage_type in DEBIT_TYPES and amount < 0:
            errors.append(RowError("amount", "charge_expected", amount_text))

    bonus = 0
    bonus_text = get(BONUS_COLUMN)
    if bonus_text and (bonus_text := bonus_text.strip()):
        try:
            bonus = parse_uah(bonus_text)
        except AmountError:
            # The value goes in the reason: a bonus part's problems all read "bonus_amount: …".
            errors.append(RowError(BONUS_COLUMN, "bonus_format", text=bonus_text[:20]))

    if errors:
        return None, errors
    return UsageRow(number, started_at, usage_type, counterpart, quantity, amount, bonus), []


# ---------------------------------------------------------------- the chart

class Bar(NamedTuple):
    """A day's bar (a tuple: Chart.bars_path unpacks thirty of them)."""
    day: date
    amount: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Gridline:
    amount: int  # kopiyky at this line
    y: float


def _svg_number(value):
    """A coordinate as SVG reads it, without a float's trailing '.0': '12.5', '130'. (They
    are rounded to hundredths and under 10,000, so six significant digits keep them
    whole and never take an exponent.)"""
    return f"{value:g}"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    scale: int  # kopiyky at the top of the plot
    bars: list
    gridlines: list

    # The page draws the bars as one <path>, and the gridlines as another: thirty <rect>s
    # were an eighth of the report's time (and bytes).
    @property
    def bars_path(self):
        """SVG path data of the bars that have a height, one closed rectangle each."""
        if not self.bars:
            return ""
        n, width = _svg_number, _svg_number(self.bars[0].width)  # every bar's the same
        return "".join(f"M{n(x)} {n(y)}h{width}v{n(height)}h-{width}z"
                       for _day, _amount, x, y, _width, height in self.bars if height > 0)

    @property
    def grid_path(self):
        """SVG path data of the gridlines, each across the whole width."""
        return "".join(f"M0 {_svg_number(line.y)}H{self.width}" for line in self.gridlines)

    @property
    def day_labels(self):
        """(x of the label's middle, day of the month) under the first bar and every fifth
        day's: a phone has room for no more."""
        return [(_svg_number(round(bar.x + bar.width / 2, 2)), bar.day.day)
                for index, bar in enumerate(self.bars) if index == 0 or bar.day.day % 5 == 0]


def nice_ceiling(kopiyky):
    """The smallest 1, 2 or 5 x 10^n whole hryvnias at or above `kopiyky` (at least 1 UAH),
    so the scale reads in round figures."""
    step = 100
    while True:
        for factor in (1, 2, 5):
            if step * factor >= kopiyky:
                return step * factor
        step *= 10


@lru_cache(maxsize=64)
def _columns(count, width):
    """(the bars' width, the x of each bar) of `count` bars across `width`: the same for
    every month of that many days, so worked out once (a float rounded costs 0.2 µs)."""
    pitch = width / count
    bar_width = round(pitch * 0.7, 2)
    return bar_width, tuple(round(index * pitch + (pitch - bar_width) / 2, 2)
                            for index in range(count))


def bar_chart(by_day, width=280, height=150, top=16, bottom=20, gridlines=4):
    """Geometry of the spending-by-day chart in SVG user units (the picture scales with
    CSS): one bar per day across `width`, the plot between `top` and `height - bottom`
    (the strip above holds the scale, the one below day labels; both fit labels of 12
    units, which a 360 px phone draws at least 12 px high: the picture is wider than 280 px
    there). A day with nothing spent, or with refunds
    outweighing charges, gets no bar height; its figure is still in the table."""
    bar_width, xs = _columns(max(len(by_day), 1), width)
    plot_bottom = height - bottom
    plot_height = plot_bottom - top
    scale = nice_ceiling(max([amount for _, amount in by_day] + [0]))

    def y_of(amount):
        return round(plot_bottom - plot_height * amount / scale, 2)

    # Days with no bar (most days of a month so far) share one y and one height.
    floor = y_of(0)
    no_height = round(plot_bottom - floor, 2)
    bars = []
    for x, (day, amount) in zip(xs, by_day, strict=False):  # no day: a column, no bar
        if amount > 0:
            y = y_of(amount)
            bars.append(Bar(day, amount, x, y, bar_width, round(plot_bottom - y, 2)))
        else:
            bars.append(Bar(day, amount, x, floor, bar_width, no_height))
    lines = [Gridline(scale * n // gridlines, y_of(scale * n // gridlines))
             for n in range(gridlines + 1)]
    return Chart(width, height, top, plot_bottom, scale, bars, lines)


# ---------------------------------------------------------------- paging and the dashboard

def format_cursor(moment, *numbers):
    """The keyset cursor of the last line shown: '2026-11-24T07:15:02.125000Z~812' (a
    record's start in UTC, which never repeats, and its id), or with more numbers
    ('…~1~812': the request archive's source and id)."""
    return "~".join([f"{instant(moment):%Y-%m-%dT%H:%M:%S.%fZ}", *map(str, numbers)])


def parse_cursor(text, numbers=1):
    """A cursor from format_cursor -> (moment, number, ...); None when it is not one."""
    moment, *parts = (text or "").split("~")
    if len(parts) != numbers or not all(
            part.isascii() and part.isdigit() and len(part) <= 18 for part in parts):
        return None
    started_at = parse_started_at(moment)
    if started_at is None or "T" not in moment:
        return None
    return (started_at, *map(int, parts))
