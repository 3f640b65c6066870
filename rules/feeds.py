"""The operator's CSV feeds read record by record, and the rows of the subscriber feed
checked field by field."""
import csv
import re
from dataclasses import dataclass
from datetime import date

from .amounts import AmountError, parse_uah
from .numbers import HOME_INTERNET, MOBILE, NumberError, is_home_internet_account, parse_mobile

SUBSCRIBER_COLUMNS = (
    "number", "kind", "name", "tariff", "payment", "customer", "status",
    "balance", "bonus_balance", "activated_on",
)
KINDS = (MOBILE, HOME_INTERNET)
PAYMENTS = ("prepaid", "contract")
CUSTOMERS = ("individual", "business")
STATUSES = ("active", "suspended", "debt_blocked", "closed")
MAX_NAME = 200
MAX_PROFILE_KEY = 64
# Columns a feed may leave out: `profile` (rows with one key share a cabinet) and
# `welcome` (yes/no: the welcome SMS, see welcome_due).
OPTIONAL_COLUMNS = ("profile", "welcome")
WELCOME_CHOICES = ("yes", "no")
MAX_FIELD = csv.field_size_limit()  # the csv module's: 131,072 characters
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What stops the csv module in a record, by the start of its message; a record it cannot
# read ends the reading, as where the next one starts can no longer be told.
_UNREADABLE = (("field larger than field limit", "field_limit"),
               ("unexpected end of data", "open_quote"),
               ("',' expected after '\"'", "after_quote"))


class RowError(ValueError):
    """One bad field of one row: `field` (None: the row as a whole) and a `code` saying
    why, `value` as it came, `details` for the message."""

    def __init__(self, field, code, value="", **details):
        super().__init__(f"{field}: {code}")
        self.field, self.code, self.value, self.details = field, code, value, details


class _Lines:
    """The lines of a file as the csv module takes them, keeping those of the record it is
    reading."""

    def __init__(self, stream):
        self.stream, self.record = stream, []

    def __iter__(self):
        return self

    def __next__(self):
        line = next(self.stream)
        self.record.append(line)
        return line


def read_feed(stream):
    """A CSV feed (a text stream opened with newline=""): (header, records), `records`
    yielding (line, {column: text}, [RowError]) with the line each record starts on (a
    quoted field may hold line breaks). A record with more fields than the header, or one
    the csv module cannot read (the last then), comes as a RowError of the row."""
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, [])
    except csv.Error:
        header = []  # a header that cannot be read names none of the columns
    return header, _records(reader, lines, header)


def _records(reader, lines, header):
    start = reader.line_num + 1
    while True:
        lines.record.clear()
        try:
            fields = next(reader, None)
        except csv.Error as error:
            yield start, {}, [_unreadable(str(error), "".join(lines.record), header)]
            return
        if fields is None:
            return
        if len(fields) > len(header):
            yield start, {}, [RowError(None, "columns", fields=len(fields), header=len(header))]
        elif fields:  # a blank line is no record
            # A short row: the cells it lacks are missing from its record.
            yield start, dict(zip(header, fields, strict=False)), []
        start = reader.line_num + 1


def _unreadable(message, text, header):
    """The RowError of a record the csv module stopped in (`text`, as read of it). A field
    too long or a quote never closed is named: the first field longer than the limit, or
    the last one (the quote runs to the end)."""
    code = next((code for start, code in _UNREADABLE if message.startswith(start)),
                "unreadable")
    if code not in ("field_limit", "open_quote"):
        return RowError(None, code, error=message)
    lengths = _field_lengths(text)
    index = len(lengths) - 1
    if code == "field_limit":
        index = next((i for i, length in enumerate(lengths) if length > MAX_FIELD), index)
    return RowError(header[index] if index < len(header) else None, code)


def _field_lengths(text):
    """The length of each field of a record as written, quotes and all (a comma between
    quotes is in a field; a doubled quote opens and closes)."""
    lengths, quoted = [0], False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            lengths.append(0)
            continue
        lengths[-1] += 1
    return lengths


def control_errors(record, columns):
    """A RowError for each of `columns` holding a control character (NUL, a tab, a line
    break in a quoted field...): no field of a feed may."""
    if not _CONTROL.search("".join(record.get(column) or "" for column in columns)):
        return []
    return [RowError(column, "control", record[column][:20]) for column in columns
            if _CONTROL.search(record.get(column) or "")]


@dataclass(frozen=True)
class SubscriberRow:
    number: str
    kind: str
    name: str
    tariff: str
    payment: str
    customer: str
    status: str
    balance: int  # kopiyky
    bonus_balance: int  # kopiyky
    activated_on: date
    profile: str  # '' when the row names no profile
    welcome: str = ""  # the optional column: 'yes', 'no' or '' (welcome_due decides)


def missing_columns(header):
    return [column for column in SUBSCRIBER_COLUMNS if column not in (header or ())]


def parse_subscriber_row(row, tariff_kinds, today):
    """A CSV row (dict of str) -> SubscriberRow, or every RowError found in it.

    `tariff_kinds` maps each catalogue tariff code to its kind ('mobile', 'home_internet').
    """
    errors = control_errors(row, SUBSCRIBER_COLUMNS + OPTIONAL_COLUMNS)
    if errors:
        return None, errors
    value = {key: (row.get(key) or "").strip() for key in SUBSCRIBER_COLUMNS + OPTIONAL_COLUMNS}

    def choice(field, allowed):
        if value[field] not in allowed:
            errors.append(RowError(field, "choice", value[field]))

    choice("kind", KINDS)
    choice("payment", PAYMENTS)
    choice("customer", CUSTOMERS)
    choice("status", STATUSES)

    number = value["number"]
    if value["kind"] == MOBILE:
        try:
            number = parse_mobile(value["number"])
        except NumberError as exc:
            errors.append(RowError("number", exc.code, value["number"]))
    elif value["kind"] == HOME_INTERNET and not is_home_internet_account(value["number"]):
        errors.append(RowError("number", "account", value["number"]))

    if not value["name"]:
        errors.append(RowError("name", "required"))
    elif len(value["name"]) > MAX_NAME:
        errors.append(RowError("name", "too_long", value["name"][:20]))

    tariff_kind = tariff_kinds.get(value["tariff"])
    if tariff_kind is None:
        errors.append(RowError("tariff", "unknown", value["tariff"]))
    elif value["kind"] in KINDS and tariff_kind != value["kind"]:
        errors.append(RowError("tariff", "wrong_kind", value["tariff"]))

    amounts = {}
    for field, negative in (("balance", True), ("bonus_balance", False)):
        try:
            amounts[field] = parse_uah(value[field], allow_negative=negative)
        except AmountError:
            errors.append(RowError(field, "amount", value[field]))

    activated_on = None
    try:
        activated_on = date.fromisoformat(value["activated_on"])
        if len(value["activated_on"]) != 10:
            raise ValueError(value["activated_on"])
        if activated_on > today:
            errors.append(RowError("activated_on", "future", value["activated_on"]))
    except ValueError:
        errors.append(RowError("activated_on", "date", value["activated_on"]))

    if len(value["profile"]) > MAX_PROFILE_KEY:
        errors.append(RowError("profile", "too_long", value["profile"][:20]))
    if value["welcome"]:
        choice("welcome", WELCOME_CHOICES)

    if errors:
        return None, errors
    return SubscriberRow(
        number=number, kind=value["kind"], name=value["name"], tariff=value["tariff"],
        payment=value["payment"], customer=value["customer"], status=value["status"],
        balance=amounts["balance"], bonus_balance=amounts["bonus_balance"],
        activated_on=activated_on, profile=value["profile"], welcome=value["welcome"],
    ), []


def welcome_due(row):
    """Whether a newly imported number whose cabinet never existed gets the welcome SMS
    (login and a temporary password): a mobile number, unless it is closed or a business
    customer's; the feed's `welcome` column ('yes', 'no') overrides that."""
    if row.kind != MOBILE or row.welcome == "no":
        return False
    return row.welcome == "yes" or (row.status != "closed" and row.customer != "business")
