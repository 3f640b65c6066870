"""Cells of the files people open in a spreadsheet (the expenses CSV).

Some cells carry text from third parties (the sender name of an incoming SMS): a cell that
starts like a formula would be run by the spreadsheet (OWASP: CSV injection).
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text):
    """A text cell a spreadsheet shows and never runs: text starting with =, +, -, @, a tab
    or a carriage return gets a leading single quote (spreadsheets show the rest as text);
    any other text stays as it is. Only for text columns: a number keeps its minus."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
