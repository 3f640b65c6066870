"""Rows of the operator's subscriber feed (CSV), checked field by field."""
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


class RowError(ValueError):
    """One bad field of one row: `field` and a `code` saying why, `value` as it came."""

    def __init__(self, field, code, value=""):
        super().__init__(f"{field}: {code}")
        self.field, self.code, self.value = field, code, value


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


def missing_columns(header):
    return [column for column in SUBSCRIBER_COLUMNS if column not in (header or ())]


def parse_subscriber_row(row, tariff_kinds, today):
    """A CSV row (dict of str) -> SubscriberRow, or every RowError found in it.

    `tariff_kinds` maps each catalogue tariff code to its kind ('mobile', 'home_internet').
    """
    errors = []
    value = {key: (row.get(key) or "").strip() for key in SUBSCRIBER_COLUMNS + ("profile",)}

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

    if errors:
        return None, errors
    return SubscriberRow(
        number=number, kind=value["kind"], name=value["name"], tariff=value["tariff"],
        payment=value["payment"], customer=value["customer"], status=value["status"],
        balance=amounts["balance"], bonus_balance=amounts["bonus_balance"],
        activated_on=activated_on, profile=value["profile"],
    ), []
