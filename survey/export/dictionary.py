"""The data dictionary of an export: one CSV row per variable of the data file.

A CSV export holds only codes (Likert scored values, single choices 1..k, 0/1 flags,
-99 and -98); SPSS and Stata files carry their labels, a CSV file cannot. The
dictionary is made from the same ``ExportPlan.columns`` as the data file, so its rows
are the data file's header, in order, for the same caller and language: a variable
the caller's export leaves out (free text, for a role without PII access) is not
listed either.
"""

from __future__ import annotations

import csv
import io

from survey.csvsafe import neutralise
from survey.export.codebook import Column
from survey.export.plan import ExportPlan

HEADER = ("variable", "label", "type", "value_labels", "missing_codes", "free_text")
"""Machine-read names, the same in every language; the labels are in the one asked."""


def _code(value: float) -> str:
    # As the data file writes the number, so a code can be matched by its text.
    return str(int(value)) if value.is_integer() else repr(value)


def _type(column: Column) -> str:
    if column.kind == "str":
        return "string"
    return "decimal" if column.decimals else "integer"


def row(column: Column) -> list[str]:
    """One variable: value labels as ``code=label; ...``, missing codes as ``-99; -98``.
    The label is the questionnaire author's text: one that starts like a formula gets a
    quote in front (``survey.csvsafe``). The other cells are the service's own (names,
    codes; value labels start with a code) and stay machine-readable as they are."""
    return [
        column.name,
        neutralise(column.label),
        _type(column),
        "; ".join(f"{_code(k)}={v}" for k, v in column.value_labels.items()),
        "; ".join(_code(v) for v in column.user_missing),
        "yes" if column.text else "no",
    ]


def dictionary_csv(plan: ExportPlan) -> bytes:
    """UTF-8 with a byte-order mark and CRLF line ends, like the data file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(row(c) for c in plan.columns)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def dictionary_filename(plan: ExportPlan) -> str:
    return f"wave-{plan.wave_id}-{plan.phase}-codebook.csv"
