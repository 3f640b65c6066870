"""Text cells a spreadsheet never runs as a formula."""
import pytest
from hypothesis import given, strategies as st

from rules.spreadsheet import FORMULA_STARTS, text_cell


@pytest.mark.parametrize("text,cell", [
    ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("-2+3", "'-2+3"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Київстар", "Київстар"),
    ("+380671234567", "'+380671234567"),
    ("a=1", "a=1"),
    (" =1", " =1"),
    ("'=1", "'=1"),
    ("", ""),
])
def test_text_cells(text, cell):
    assert text_cell(text) == cell


@given(st.text())
def test_a_cell_never_starts_like_a_formula_and_keeps_the_text(text):
    cell = text_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell == ("'" + text if text.startswith(FORMULA_STARTS) else text)
    assert text_cell(cell) == cell
