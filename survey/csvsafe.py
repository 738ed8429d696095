"""Spreadsheet formulas kept out of the CSV files people open (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets evaluate a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula, and a leading tab or carriage return can hide one, so a
resident's comment ``=HYPERLINK(...)`` in a staff export would run on the grantee's
machine. Such a text cell is written with a single quote in front, which spreadsheets
show as text. A value that already starts with quotes before one of those characters
gets one more, so ``restore`` gives back exactly what was written: the .sav and .dta
files, which are made from the same cells, hold the text as the resident typed it.

Only text is touched: numbers, missing codes (-99, -98) included, are written as
numbers and never pass through here. PostgreSQL applies the same rule to the export's
pre-rendered cells (``export_render``, 0021_export_formulas.sql).
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r")


def _needs_quote(text: str) -> bool:
    first = text[:1]
    return first in FORMULA_STARTS or (first == "'" and text.lstrip("'")[:1] in FORMULA_STARTS)


def neutralise(text: str) -> str:
    """The text as a spreadsheet shows but never evaluates it."""
    return "'" + text if _needs_quote(text) else text


def restore(text: str) -> str:
    """What ``neutralise`` was given."""
    if text[:1] == "'" and text.lstrip("'")[:1] in FORMULA_STARTS:
        return text[1:]
    return text
