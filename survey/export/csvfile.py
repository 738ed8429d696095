"""CSV export: UTF-8 with a byte-order mark (Excel opens it right), one header line."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from survey.export.plan import ExportPlan
from survey.export.rows import Value


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


async def csv_bytes(
    plan: ExportPlan, chunks: AsyncIterator[list[list[Value]]]
) -> AsyncIterator[bytes]:
    """The file piece by piece: the header, then one piece per chunk of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in plan.columns])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    async for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(v) for v in row] for row in chunk)
        yield buffer.getvalue().encode("utf-8")
