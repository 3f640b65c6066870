import pytest
from hypothesis import given, strategies as st

from rules.numbers import (
    OPERATOR_PREFIXES,
    Login,
    NumberError,
    format_number,
    parse_login,
    parse_mobile,
)


@pytest.mark.parametrize("text", ["0971234567", "+380 97 123 45 67", "380971234567",
                                  "(097) 123-45-67", "097 123 45 67", " +380971234567 "])
def test_common_forms_of_one_number(text):
    assert parse_mobile(text) == "+380971234567"


@pytest.mark.parametrize("text,code", [
    ("", "empty"), ("   ", "empty"), ("abc", "invalid"), ("097123", "invalid"),
    ("09712345678901234", "invalid"), ("0501234567", "foreign"), ("0631234567", "foreign"),
    ("+48 601 234 567", "foreign"), ("0441234567", "foreign"), ("097-123-45-6x", "invalid"),
])
def test_bad_and_foreign_numbers(text, code):
    with pytest.raises(NumberError) as info:
        parse_mobile(text)
    assert info.value.code == code


@given(prefix=st.sampled_from(OPERATOR_PREFIXES), rest=st.integers(0, 9_999_999))
def test_every_operator_number_round_trips(prefix, rest):
    number = f"+380{prefix}{rest:07d}"
    assert parse_mobile(number) == number
    assert parse_mobile("0" + number[4:]) == number
    assert parse_mobile(format_number(number)) == number


@given(st.text(max_size=20))
def test_parse_login_never_crashes(text):
    try:
        login = parse_login(text)
    except NumberError as error:
        assert error.code in {"empty", "invalid", "foreign"}
    else:
        assert login.kind in {"mobile", "home_internet"}


def test_home_internet_account():
    login = parse_login(" 12345678 ")
    assert (login.kind, login.number) == ("home_internet", "12345678")
    assert parse_login("0971234567").kind == "mobile"


@pytest.mark.parametrize("text", [
    "8 067 123 45 67", "80671234567", "067-123-45-67", "8 (067) 123-45-67", "8-067-123-45-67",
    "067/123 45 67", "067.123.45.67", "+38 067 123 45 67", "00380671234567",
    "+380 (67) 123-45-67", "0 67 123 45 67", "671234567", "8 067 1234 567"])
def test_any_format_the_guide_allows(text):
    assert parse_mobile(text) == "+380671234567"
    assert parse_login(text) == Login("mobile", "+380671234567")


@pytest.mark.parametrize("text", ["+80671234567", "8 97 123 45 67", "067 123 45 67+",
                                  "+38+0671234567", "067_123_45_67"])
def test_what_only_looks_like_a_number(text):
    with pytest.raises(NumberError) as info:
        parse_mobile(text)
    assert info.value.code == "invalid"


SEPARATOR = st.sampled_from(["", " ", "-", ".", "/", "\u00a0", " - "])


@given(prefix=st.sampled_from(OPERATOR_PREFIXES), rest=st.integers(0, 9_999_999),
       start=st.sampled_from(["+380", "380", "+38 0", "0", "8 0", "80", "8 (0", "00380", ""]),
       separators=st.lists(SEPARATOR, min_size=3, max_size=3), bracket=st.booleans(),
       padding=st.sampled_from(["", " ", "\t"]))
def test_every_format_of_every_operator_number(prefix, rest, start, separators, bracket,
                                               padding):
    """However the digits are grouped and whichever prefix is dialled, one number."""
    digits = f"{rest:07d}"
    code = f"({prefix})" if bracket and "(" not in start else prefix
    if start.endswith("("):
        code += ")"
    first, second, third = separators
    text = f"{start}{code}{first}{digits[:3]}{second}{digits[3:5]}{third}{digits[5:]}"
    assert parse_mobile(text) == f"+380{prefix}{digits}"
    assert parse_login(padding + text + padding).number == f"+380{prefix}{digits}"


@given(st.integers(0, 99_999_999), st.sampled_from(["", " ", "-"]))
def test_an_account_typed_in_groups(account, separator):
    digits = f"{account:08d}"
    assert parse_login(f"{digits[:4]}{separator}{digits[4:]}") == Login("home_internet", digits)
