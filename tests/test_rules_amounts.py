from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from rules.amounts import AmountError, format_grouped, format_plain, parse_uah


@pytest.mark.parametrize("text,kopiyky", [("12", 1200), ("12.5", 1250), ("12,05", 1205),
                                          ("1 000.00", 100000), ("0.01", 1)])
def test_parse(text, kopiyky):
    assert parse_uah(text) == kopiyky


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1e2", "-5", "1..2", "12.", "NaN", "٣"])
def test_bad_amounts(text):
    with pytest.raises(AmountError):
        parse_uah(text)


@given(st.integers(-10**12, 10**12))
def test_round_trip(kopiyky):
    assert parse_uah(format_plain(kopiyky), allow_negative=True) == kopiyky
    assert parse_uah(format_grouped(kopiyky, ",", " "), allow_negative=True) == kopiyky


@given(st.integers(-10**14, 10**14))
def test_plain_is_the_decimal_figure(kopiyky):
    """format_plain is worked out in integers: the same text as Decimal hryvnias give."""
    assert format_plain(kopiyky) == str((Decimal(kopiyky) / 100).quantize(Decimal("0.01")))


@given(st.integers(-10**14, 10**14), st.sampled_from([(",", "\u00a0"), (".", ","), (",", "")]))
def test_grouped_is_the_decimal_figure_grouped(kopiyky, separators):
    """format_grouped (str() below a thousand, a looked-up pair of kopiyky digits) writes
    what Python's own grouping of the Decimal figure writes, with the reader's marks."""
    decimal_sep, group_sep = separators
    figure = f"{Decimal(kopiyky) / 100:,.2f}"
    expected = figure.replace(",", "G").replace(".", decimal_sep).replace("G", group_sep)
    assert format_grouped(kopiyky, decimal_sep, group_sep) == expected
