"""Stata ``.dta`` from the CSV lines PostgreSQL makes, encoded column by column.

A ``.dta`` file (format 118) is a header that depends only on the variables, the
rows, then the value labels. pyreadstat writes a one-row template whose strings have
the codebook's widths (``readstat._DtaTemplate``): its header, with N and the section
offsets patched, and its value labels are kept. The rows are fixed-size records, a
double per numeric variable (Stata's "." for missing) and per string variable its
UTF-8 bytes cut at a character boundary to the variable's width and padded with NUL;
numpy encodes them a batch of rows at a time from the lines ``Q.export_csv_lines``
makes, parsed by pyarrow (``survey.export.parsed_lines``) as for ``.sav``. The
missing codes -99 and -98 of a variable that has them are stored as Stata's ``.a``
and ``.b`` (``readstat.DTA_EXTENDED``), as the reference writer stores them. No Python
object is made per value, only per distinct string of a parse, and one buffer of
NULs (``BATCH_BYTES``) is reused for every batch, strings written only as far as
their longest value reaches (the 2,000-byte comment is usually empty).

The rows are byte for byte what ``readstat.dta_bytes`` encodes cell by cell from
``rows.chunks`` (kept as the reference): tests/export/test_export_dta_records.py
compares the two files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import numpy as np

from survey.csvsafe import restore
from survey.db import Conn
from survey.export.parsed_lines import parse_lines
from survey.export.plan import ExportPlan
from survey.export.readstat import (
    _DtaTemplate,
    _fit,
    _read,
    _sample_row,
    _width,
    _write_dta,
    dta_extended,
)
from survey.export.savfile import counted_snapshot, line_batches, numeric_runs

BATCH_BYTES = 4 * 2**20
"""Rows encoded at once: a row with the free-text comment is over 2 KiB."""

_MISSING = 0x7FE0000000000000  # Stata's "." for a double, as an integer of its bits


CONSTANT = frozenset({"wave_id", "phase"})
"""Variables that hold the same value in every row of a file: written into the batch
buffer once, never parsed."""


class DtaRecords:
    """Where each variable sits in a row, and the encoder for a batch of rows.

    One batch buffer of NULs is kept and reused: the constant variables are written
    into it once, numbers overwrite their 8 bytes in every row, and a string variable
    is written, and blanked again after, only as far as its longest value reaches.
    """

    def __init__(self, plan: ExportPlan, endian: str) -> None:
        columns = plan.columns
        self.double = np.dtype(endian + "f8")
        self.bits = np.dtype(endian + "u8")
        self.widths = [8 if c.kind == "num" else _width(c, True) for c in columns]
        self.offsets: list[int] = []
        at = 0
        for width in self.widths:
            self.offsets.append(at)
            at += width
        self.row_size = at
        layout = list(zip(columns, self.widths, self.offsets, strict=True))
        parsed = [(c, w, at) for c, w, at in layout if c.name not in CONSTANT]
        self.runs = numeric_runs((c, offset) for c, _, offset in parsed)
        self.numeric = [c.name for c, _, _ in parsed if c.kind == "num"]
        # Per missing code, the numeric variables (by position) that store it as a
        # Stata extended missing value, and those bits.
        extended: dict[float, tuple[list[int], int]] = {}
        numeric = [c for c, _, _ in parsed if c.kind == "num"]
        for index, column in enumerate(numeric):
            for code, bits in dta_extended(column).items():
                extended.setdefault(code, ([], bits))[0].append(index)
        self.extended = [(code, np.array(at), bits) for code, (at, bits) in extended.items()]
        self.texts = [(c.name, w, at) for c, w, at in parsed if c.kind != "num"]
        self.free_text = {c.name for c, _, _ in parsed if c.text}
        self.buffer = np.zeros((self.batch_rows(), self.row_size), dtype=np.uint8)
        for c, width, at in layout:
            if c.name == "wave_id":
                value = np.array([plan.wave_id], dtype=self.double).view(np.uint8)
            elif c.name == "phase":
                value = np.frombuffer(_fit(plan.phase, width, b"\x00"), dtype=np.uint8)
            else:
                continue
            self.buffer[:, at : at + width] = value

    def batch_rows(self) -> int:
        return max(1, BATCH_BYTES // self.row_size)

    def prepare(self, plan: ExportPlan, lines: bytes) -> _Parsed:
        """What ``encode`` takes from a batch of lines, parsed in one call: the numeric
        variables of every row as doubles in the file's byte order (NaN as Stata's
        missing, the missing codes as its .a and .b), viewed as bytes; per string
        variable each row's index into its distinct values with those values' bytes
        (``_fixed``), or the values themselves when that table would be large (long
        free text, mostly distinct). Most string variables hold a few distinct values,
        each encoded once."""
        parsed = parse_lines(plan.columns, lines, CONSTANT)
        numbers = parsed.numbers(self.numeric, self.double)
        stored = numbers.view(self.bits)
        stored[np.isnan(numbers)] = _MISSING
        for code, at, bits in self.extended:
            mask = np.zeros(numbers.shape, dtype=bool)
            mask[:, at] = numbers[:, at] == code
            stored[mask] = bits
        strings: list[tuple[Any, Any]] = []
        for name, width, _ in self.texts:
            codes, values = parsed.distinct(name)
            # The CSV cells quote formula-like text; a .dta holds it as written.
            if name in self.free_text:
                values = [restore(v) for v in values]
            longest = max((len(v) for v in values), default=0) * 4  # UTF-8 bytes at most
            if len(values) * min(longest, width) <= BATCH_BYTES:
                strings.append((codes, _fixed(values, width)))
            else:
                strings.append((codes, values))
        return _Parsed(parsed.rows, numbers.view(np.uint8), strings)

    def encode(self, parsed: _Parsed, start: int) -> bytes:
        """The rows of one batch, from row ``start`` of what was parsed."""
        n = min(self.batch_rows(), parsed.rows - start)
        out = self.buffer[:n]
        for first, count, at in self.runs:
            out[:, at : at + 8 * count] = parsed.numbers[
                start : start + n, 8 * first : 8 * (first + count)
            ]
        written = []
        for (_, width, at), (codes, table) in zip(self.texts, parsed.strings, strict=True):
            batch = codes[start : start + n]
            values = _fixed([table[k] for k in batch], width) if isinstance(table, list) else (
                table[batch]
            )
            used = values.shape[1]
            out[:, at : at + used] = values
            written.append((at, used))
        piece = out.tobytes()
        for at, used in written:
            out[:, at : at + used] = 0
        return piece


@dataclass
class _Parsed:
    rows: int
    numbers: Any
    strings: list[tuple[Any, Any]]


def _fixed(values: list[str], width: int) -> Any:
    """UTF-8 bytes of each value as an (n, used) array, NUL-padded, cut at a character
    boundary as ``readstat._fit`` cuts; ``used`` (at most ``width``) is the longest
    value's length (1 when all are empty)."""
    raw = np.array([v.encode("utf-8") for v in values])  # numpy sizes it to the longest
    if raw.itemsize > width:
        raw = np.array([_fit(v, width, b"") for v in values], dtype=f"S{width}")
    return raw.view(np.uint8).reshape(len(values), raw.itemsize)


def _template(plan: ExportPlan, path: str) -> tuple[_DtaTemplate, DtaRecords]:
    _write_dta(plan, [_sample_row(plan.columns)], path)
    template = _DtaTemplate(_read(path), plan.columns)
    records = DtaRecords(plan, template.endian)
    if records.row_size != template.row_size:
        raise RuntimeError("unexpected .dta row layout")
    return template, records


async def dta_lines(
    conn: Conn, plan: ExportPlan, progress: Callable[[int, int], None] | None = None
) -> AsyncIterator[bytes]:
    """The file piece by piece: the header, one piece per batch of rows, the labels."""
    async with counted_snapshot(conn, plan, "dta") as (cells, path):
        if plan.rows == 0:
            await anyio.to_thread.run_sync(_write_dta, plan, [], path)
            yield await anyio.to_thread.run_sync(_read, path)
            return
        template, records = await anyio.to_thread.run_sync(_template, plan, path)
        yield template.header(plan.rows)
        async for lines in line_batches(conn, plan, cells, progress):
            # In worker threads: the event loop keeps reading COPY data meanwhile.
            parsed = await anyio.to_thread.run_sync(records.prepare, plan, lines)
            for start in range(0, parsed.rows, records.batch_rows()):
                yield await anyio.to_thread.run_sync(records.encode, parsed, start)
        yield template.tail
