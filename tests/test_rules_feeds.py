from datetime import date

import pytest

from rules.feeds import parse_subscriber_row

TARIFFS = {"smart": "mobile", "fast": "home_internet"}
TODAY = date(2026, 11, 25)
GOOD = {"number": "0971234567", "kind": "mobile", "name": "Олена", "tariff": "smart",
        "payment": "prepaid", "customer": "individual", "status": "active",
        "balance": "-12.5", "bonus_balance": "0", "activated_on": "2020-01-31", "profile": "p1"}


def test_good_row():
    row, errors = parse_subscriber_row(GOOD, TARIFFS, TODAY)
    assert errors == []
    assert (row.number, row.balance, row.bonus_balance, row.profile) == (
        "+380971234567", -1250, 0, "p1")


@pytest.mark.parametrize("field,value,code", [
    ("number", "0501234567", "foreign"), ("number", "12", "invalid"),
    ("kind", "landline", "choice"), ("tariff", "nope", "unknown"), ("tariff", "fast", "wrong_kind"),
    ("payment", "credit", "choice"), ("customer", "vip", "choice"), ("status", "gone", "choice"),
    ("balance", "1.234", "amount"), ("balance", "1e3", "amount"), ("bonus_balance", "-1", "amount"),
    ("activated_on", "2020-13-01", "date"), ("activated_on", "2027-01-01", "future"),
    ("activated_on", "20200101", "date"), ("name", "", "required"),
])
def test_bad_fields(field, value, code):
    row, errors = parse_subscriber_row({**GOOD, field: value}, TARIFFS, TODAY)
    assert row is None
    assert [(e.field, e.code) for e in errors] == [(field, code)]


def test_home_internet_account_number():
    row, errors = parse_subscriber_row(
        {**GOOD, "kind": "home_internet", "number": "12345678", "tariff": "fast"}, TARIFFS, TODAY)
    assert errors == [] and row.number == "12345678"
    _, errors = parse_subscriber_row(
        {**GOOD, "kind": "home_internet", "number": "1234567", "tariff": "fast"}, TARIFFS, TODAY)
    assert [(e.field, e.code) for e in errors] == [("number", "account")]
