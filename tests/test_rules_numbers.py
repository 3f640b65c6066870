import pytest
from hypothesis import given, strategies as st

from rules.numbers import OPERATOR_PREFIXES, NumberError, format_number, parse_login, parse_mobile


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
