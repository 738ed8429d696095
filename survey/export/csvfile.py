"""CSV export: UTF-8 with a byte-order mark (Excel opens it right), one header line,
CRLF line ends.

``csv_lines`` is what the service sends: PostgreSQL makes every data line
(``Q.export_csv_lines``) and COPY streams them, so no Python object is made per row
and memory stays flat. ``csv_bytes`` writes the same file from converted rows with
Python's csv module; it is the reference the tests hold the COPY lines to, byte for
byte.

A free-text cell that a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``, tab,
CR first) has a single quote in front (``survey.csvsafe``); numbers never do.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable

from survey.csvsafe import neutralise
from survey.db import Conn
from survey.export.cells import layout, prepare
from survey.export.copy import copy_out
from survey.export.plan import ExportPlan
from survey.export.rows import Value
from survey.sql import Q

# COPY's text format escapes these in a value; our lines hold them only in free text.
_UNESCAPE = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    # Only free text can start like a formula: the fixed columns are ids, codes and dates.
    return neutralise(value)


def header(plan: ExportPlan) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([c.name for c in plan.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def csv_bytes(
    plan: ExportPlan, chunks: AsyncIterator[list[list[Value]]]
) -> AsyncIterator[bytes]:
    """The file piece by piece from converted rows: the header, then one piece per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield header(plan)
    async for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(v) for v in row] for row in chunk)
        yield buffer.getvalue().encode("utf-8")


def line_args(plan: ExportPlan, cells: int | None = None) -> list[object]:
    """Parameters of ``Q.export_csv_lines``: the items that have columns, in order, and
    the layout of the pre-rendered cells to use (``survey.export.cells``; None: none)."""
    return [
        plan.program_id,
        plan.wave_id,
        plan.excluded_site_ids,
        *layout(plan.columns),
        plan.phase,
        cells,
        plan.identifying,
        *(plan.id_pads or (None, None)),
    ]


class _Lines:
    """COPY text-format bytes to CSV lines: CRLF line ends, escapes undone.

    COPY ends each row with LF and writes a LF, CR, tab or backslash inside a value
    as an escape, so a bare LF is always a line end. A chunk is cut after its last
    line end and the rest waits for the next chunk, so no escape is ever split.
    """

    def __init__(self) -> None:
        self.rest = b""
        self.lines = 0

    def feed(self, data: bytes) -> bytes:
        data = self.rest + data
        end = data.rfind(b"\n") + 1
        self.rest = data[end:]
        done = data[:end]
        self.lines += done.count(b"\n")
        done = done.replace(b"\n", b"\r\n")
        if b"\\" in done:
            done = _ESCAPED.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(1)), done)
        return done


async def data_lines(
    conn: Conn, plan: ExportPlan, cells: int | None = None
) -> AsyncGenerator[tuple[bytes, int], None]:
    """The data lines as COPY sends them, in pieces of whole lines, with their count;
    ``cells``: the layout of the current pre-rendered cells (``survey.export.cells``)."""
    lines = _Lines()
    async with contextlib.aclosing(
        copy_out(conn, Q.export_csv_lines, *line_args(plan, cells))
    ) as pieces:
        async for data in pieces:
            before = lines.lines
            piece = lines.feed(data)
            if piece:
                yield piece, lines.lines - before
    if lines.rest:
        raise RuntimeError("COPY ended inside a line")


async def csv_lines(
    conn: Conn, plan: ExportPlan, progress: Callable[[int, int], None] | None = None
) -> AsyncIterator[bytes]:
    """The file piece by piece: the header, then the lines as COPY sends them."""
    cells = await prepare(conn, plan)
    yield header(plan)
    done = 0
    # The streamed plan, as the .sav and .dta exports have it: the planner's own choice
    # at 1M rows sorted both sides of the join on disk before the first line. For the
    # session, not a transaction: a download dropped mid-COPY would roll back while
    # the COPY's cancel is still on its way (another operation in progress). Put back
    # after, and by the pool's reset on release if that finds the connection busy.
    await conn.execute(Q.export_sort_off)
    try:
        async with contextlib.aclosing(data_lines(conn, plan, cells)) as pieces:
            async for piece, lines in pieces:
                done += lines
                if progress:
                    progress(min(done, plan.rows), plan.rows)
                yield piece
    finally:
        with contextlib.suppress(Exception):
            await conn.execute(Q.export_sort_reset)
    if progress:
        progress(done, done)
