import csv
import io
import re
from datetime import date

import pytest
from hypothesis import given, strategies as st

from rules.feeds import MAX_FIELD, SUBSCRIBER_COLUMNS, parse_subscriber_row, read_feed

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


@pytest.mark.parametrize("control", ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85"])
@pytest.mark.parametrize("field", SUBSCRIBER_COLUMNS + ("profile",))
def test_no_field_holds_a_control_character(field, control):
    row, errors = parse_subscriber_row({**GOOD, field: GOOD[field] + control}, TARIFFS, TODAY)
    assert row is None
    assert [(e.field, e.code) for e in errors] == [(field, "control")]


def records(text):
    header, found = read_feed(io.StringIO(text, newline=""))
    return header, [(line, record, [(e.field, e.code, e.details) for e in errors])
                    for line, record, errors in found]


@given(st.lists(st.lists(st.text(alphabet='ab,"\r\n ', max_size=6), min_size=3, max_size=3),
                max_size=8))
def test_each_record_comes_with_the_line_it_starts_on(rows):
    text = io.StringIO()
    csv.writer(text).writerows([["a", "b", "c"], *rows])
    starts, line = [], 2
    for row in rows:
        starts.append(line)
        written = io.StringIO()
        csv.writer(written).writerow(row)
        line += len(re.findall(r"\r\n|\r|\n", written.getvalue()))
    header, found = records(text.getvalue())
    assert header == ["a", "b", "c"]
    assert found == [(start, dict(zip(header, row, strict=False)), []) for start, row in zip(starts, rows, strict=True)]


@pytest.mark.parametrize("text,error", [
    ("a,b,c\n1,2,3,4\n", (None, "columns", {"fields": 4, "header": 3})),
    ('a,b,c\n1,"2\n3,4\n', ("b", "open_quote", {})),
    ('a,b,c\n1,"2"x,3\n', (None, "after_quote", {"error": "',' expected after '\"'"})),
    ("a,b,c\n1,2," + "x" * (MAX_FIELD + 1) + "\n", ("c", "field_limit", {})),
    ("a,b,c\n" + "x" * (MAX_FIELD + 1) + ",2,3\n", ("a", "field_limit", {})),
])
def test_a_record_that_cannot_be_read_names_its_field(text, error):
    _header, found = records(text + "5,6,7\n")
    assert found[0] == (2, {}, [error])
    assert len(found) == (2 if error[1] == "columns" else 1)  # an unreadable one is the last


def test_any_other_csv_error_is_reported_with_the_modules_words():
    _header, found = read_feed(io.StringIO("a,b\n1,x\ry\n"))  # not opened with newline=""
    (line, record, (error,)), = found
    assert (line, record, error.field, error.code) == (2, {}, None, "unreadable")
    assert "new-line character seen in unquoted field" in error.details["error"]
