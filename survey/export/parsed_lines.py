"""A batch of the export's CSV lines parsed once, for the binary writers (.sav, .dta).

Parsed by pyarrow's CSV reader into Arrow buffers: its work runs outside the GIL, so
the event loop goes on reading the COPY meanwhile, and a string column becomes a
table of its distinct values and each row's index into it (``distinct``) without a
Python object per cell. pandas' C reader, used before, made a ``str`` per cell and
held the GIL while it did; the parse and the factorizing took twice the CPU.

Cells as ``Q.export_csv_lines`` writes them: a number in shortest-repr form, whose
double comes back exact; an empty cell or ``nan`` is missing (NaN); a string cell as
written, an empty one (quoted or not) an empty string; a value may hold newlines.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from survey.export.codebook import Column

_PARSE = pcsv.ParseOptions(newlines_in_values=True)  # free text keeps its line breaks
_MISSING = ["", "nan"]  # both are system missing
_DOUBLE = np.dtype("<f8")


class ParsedLines:
    """The parsed cells of one batch: numbers as doubles, strings as distinct values."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.rows = table.num_rows

    def numbers(self, names: list[str], dtype: Any = _DOUBLE) -> Any:
        """The named numeric columns as one (rows, len(names)) array, NaN where missing."""
        out = np.empty((self.rows, len(names)), dtype=dtype)
        for k, name in enumerate(names):
            out[:, k] = self.table.column(name).to_numpy()
        return out

    def distinct(self, name: str) -> tuple[Any, list[str]]:
        """Each row's index into the column's distinct values, and those values in
        the order they first appear."""
        encoded = self.table.column(name).combine_chunks().dictionary_encode()
        return encoded.indices.to_numpy(), encoded.dictionary.to_pylist()


def parse_lines(
    columns: list[Column], data: bytes, skip: frozenset[str] = frozenset()
) -> ParsedLines:
    """Whole CSV lines of these columns; the ``skip`` variables are left out (their
    cells are still read past, but never converted)."""
    kept = [c for c in columns if c.name not in skip]
    table = pcsv.read_csv(
        pa.py_buffer(data),
        read_options=pcsv.ReadOptions(column_names=[c.name for c in columns]),
        parse_options=_PARSE,
        convert_options=pcsv.ConvertOptions(
            column_types={
                c.name: pa.float64() if c.kind == "num" else pa.string() for c in kept
            },
            include_columns=[c.name for c in kept],
            null_values=_MISSING,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return ParsedLines(table)
