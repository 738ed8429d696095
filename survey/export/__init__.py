"""Respondent-level exports (CSV, SPSS, Stata) and paper imports. Free of HTTP.

``plan_export`` checks access and decides columns and suppression; ``export_bytes``
streams the file in constant memory from a connection of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from survey.db import Conn
from survey.export.csvfile import csv_lines
from survey.export.dictionary import dictionary_csv, dictionary_filename
from survey.export.dtafile import dta_lines
from survey.export.plan import FORMATS, ExportPlan, WithheldSite, plan_export
from survey.export.savfile import sav_lines
from survey.report.suppression import SUPPRESS_BELOW  # the report's: one rule for both

# No charset on text types: Litestar appends the response's (utf-8) itself.
MEDIA_TYPES = {
    "csv": "text/csv",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


def export_bytes(
    conn: Conn,
    plan: ExportPlan,
    fmt: str,
    progress: Callable[[int, int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The file in pieces. ``conn`` must stay free for the whole iteration;
    ``progress(done, total)`` hears about every chunk of rows."""
    if fmt == "csv":
        return csv_lines(conn, plan, progress)
    if fmt == "sav":
        return sav_lines(conn, plan, progress)
    if fmt == "dta":
        return dta_lines(conn, plan, progress)
    raise ValueError(f"unknown export format {fmt!r}")


__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "SUPPRESS_BELOW",
    "ExportPlan",
    "WithheldSite",
    "dictionary_csv",
    "dictionary_filename",
    "export_bytes",
    "plan_export",
]
