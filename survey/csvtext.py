"""Reading uploaded CSV text the way spreadsheets write it.

Every upload parser (contacts, population margins, paper responses) reads through
``records`` so none of them can fail with a bare ``csv.Error`` (a 500): line ends may
be LF, CRLF or a lone CR (Excel for Mac), and a malformed record becomes a row number
the parser reports like any other row problem.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping

from survey.i18n.marks import staff as t

#: The reason a parser gives for the row where the text stops being CSV.
NOT_CSV = t("is not valid CSV from this row on (a cell longer than 128 KiB?)")


def records(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str] | None]]:
    """(row number from 1 for the header, cells); cells are None at the row where the
    text stops being valid CSV, and nothing follows it."""
    # newline="": the csv module splits lines itself, so CR line ends and line breaks
    # inside quoted cells read as a spreadsheet wrote them.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield number, None
            return
        yield number, values


def site_id(cell: str, sites: Mapping[str, int]) -> int | None:
    """The site a sheet's cell names: by name (``sites`` is keyed by lower-case name),
    or by its id number. ASCII digits only: ``'²'.isdigit()`` holds, ``int('²')`` fails."""
    found = sites.get(cell.lower())
    if found is None and cell.isascii() and cell.isdigit() and int(cell) in sites.values():
        found = int(cell)
    return found
