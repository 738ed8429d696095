"""SPSS ``.sav`` from the CSV lines PostgreSQL makes, encoded column by column.

An uncompressed ``.sav`` is a header that depends only on the variables, then one
fixed-size record per case: a little-endian double per numeric variable (system
missing is -DBL_MAX), and per string variable its UTF-8 bytes padded with spaces,
rounded up to 8-byte units; a string longer than 255 bytes is cut into segments
(``_segments``). pyreadstat writes the header once, from a one-row file whose
strings have the codebook's widths; the records we encode ourselves with numpy, a
few thousand cases at a time, from ``Q.export_csv_lines`` parsed by pyarrow
(``parsed_lines``). No Python object is made per value, only per distinct string of a
parse (``SavRecords.prepare``), and at most one batch of cases (``BATCH_BYTES`` of
records) is held at a time, in one buffer of spaces reused for every batch.

The cells are the CSV file's, parsed back by pyarrow, whose float parser gives back
the exact double of each shortest-repr cell; the one thing a number loses on the way
is the sign of a negative zero, written as 0. tests/export/test_export_sav_records.py
holds the result to pyreadstat's own file, byte for byte.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
import msgspec
import numpy as np

from survey.csvsafe import restore
from survey.db import Conn
from survey.export.cells import prepare
from survey.export.codebook import Column
from survey.export.csvfile import data_lines
from survey.export.parsed_lines import ParsedLines, parse_lines
from survey.export.plan import ExportPlan
from survey.export.readstat import _SAV_CASE_SIZE, _SAV_NCASES, _fit, _read, _write_sav
from survey.export.rows import Value
from survey.sql import Q

BATCH_BYTES = 4 * 2**20
"""Records encoded at once: a wave with long free text has cases of several KiB."""
PARSE_BYTES = 2**20
"""CSV lines parsed at once (a few thousand cases), so that pyarrow's and numpy's cost
per call is spread over many cases; their records are still made a batch at a time."""

_SYSMIS = np.frombuffer(struct.pack("<Q", 0xFFEFFFFFFFFFFFFF), "<f8")[0]
_SEGMENT = 255
_EXTENDED_COUNT = struct.pack("<4i", 7, 16, 8, 2)
_SPACE = 0x20


def _segments(width: int) -> list[tuple[int, int]]:
    """(bytes of data, bytes in the record) of each segment of a string variable.

    As ReadStat lays them out: a string longer than 255 bytes has
    ``(width + 251) // 252`` segments; all but the last take 256 bytes and carry
    255 bytes of the string, the last takes the remaining ``width - 252 * (n - 1)``
    rounded up to 8 and carries what is left of the string (possibly nothing).
    """
    if width <= _SEGMENT:
        return [(width, -(-width // 8) * 8)]
    n = (width + 251) // 252
    last = width - 252 * (n - 1)
    return [(_SEGMENT, 256)] * (n - 1) + [(width - _SEGMENT * (n - 1), -(-last // 8) * 8)]


class SavRecords:
    """Where each variable sits in a case record, and the encoder for a batch.

    One batch buffer of spaces is kept and reused: numbers overwrite their 8 bytes in
    every case, and a string variable is written, and blanked again after, only as
    far as its longest value in the parse reaches. Most of a record is padding (a
    free-text variable takes 8 KiB, usually empty), so it is never rewritten.
    """

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.offsets: list[int] = []
        at = 0
        for c in columns:
            self.offsets.append(at)
            at += 8 if c.kind == "num" else sum(u for _, u in _segments(max(1, c.width)))
        self.case_size = at
        self.runs = numeric_runs(zip(columns, self.offsets, strict=True))
        self.numeric = [c.name for c in columns if c.kind == "num"]
        self.buffer = np.full((self.batch_rows(), self.case_size), _SPACE, dtype=np.uint8)

    def batch_rows(self) -> int:
        return max(1, BATCH_BYTES // self.case_size)

    def prepare(self, parsed: ParsedLines) -> tuple[Any, list[tuple[Any, Any]]]:
        """What ``encode`` takes from a parsed batch: the numeric variables of every
        case as little-endian doubles (system missing for NaN), viewed as bytes; and
        per string variable each case's index into its distinct values, with those
        values' bytes (``_fixed``), or the values themselves when that table would be
        large (long free text, most of it different). Most string variables hold a few
        distinct values (language, channel, status, dates), so each is encoded once
        rather than once per case."""
        numbers = parsed.numbers(self.numeric)
        numbers[np.isnan(numbers)] = _SYSMIS
        strings: list[tuple[Any, Any]] = []
        for c in self.columns:
            if c.kind == "num":
                continue
            codes, values = parsed.distinct(c.name)
            if c.text:  # The CSV cells quote formula-like text; a .sav holds it as written.
                values = [restore(v) for v in values]
            longest = max((len(v) for v in values), default=0) * 4  # UTF-8 bytes at most
            if len(values) * min(longest, max(1, c.width)) <= BATCH_BYTES:
                strings.append((codes, _fixed(values, max(1, c.width))))
            else:
                strings.append((codes, values))
        return numbers.view(np.uint8), strings

    def encode(
        self, parsed: ParsedLines, prepared: tuple[Any, list[tuple[Any, Any]]], start: int
    ) -> bytes:
        """The records of one batch of cases of ``parsed``, from ``start``."""
        numbers, strings = prepared
        n = min(self.batch_rows(), parsed.rows - start)
        out = self.buffer[:n]
        for first, count, at in self.runs:
            out[:, at : at + 8 * count] = numbers[
                start : start + n, 8 * first : 8 * (first + count)
            ]
        written = []
        texts = [
            (c, at) for c, at in zip(self.columns, self.offsets, strict=True) if c.kind != "num"
        ]
        for (c, at), (codes, table) in zip(texts, strings, strict=True):
            width = max(1, c.width)
            batch = codes[start : start + n]
            if isinstance(table, list):
                values = _fixed([table[k] for k in batch], width)
            else:
                values = table[batch]
            done = 0
            for data, units in _segments(width):
                take = min(data, values.shape[1] - done)
                if take <= 0:
                    break
                out[:, at : at + take] = values[:, done : done + take]
                written.append((at, take))
                done += take
                at += units
        piece = out.tobytes()
        for at, take in written:
            out[:, at : at + take] = _SPACE
        return piece


def _fixed(values: list[str], width: int) -> Any:
    """UTF-8 bytes of each value as an (n, used) array, space-padded, cut at a
    character boundary as ``readstat._fit`` cuts; ``used`` (at most ``width``) is the
    longest value's length (1 when all are empty)."""
    raw = np.array([v.encode("utf-8") for v in values])  # numpy sizes it to the longest
    if raw.itemsize > width:
        raw = np.array([_fit(v, width, b" ") for v in values], dtype=f"S{width}")
    raw = raw.view(np.uint8).reshape(len(values), raw.itemsize)
    raw[raw == 0] = _SPACE  # numpy pads with NUL; text in PostgreSQL never holds NUL
    return raw


def _header(plan: ExportPlan, path: str, rows: int) -> tuple[bytes, SavRecords]:
    sample: list[Value] = [0.0 if c.kind == "num" else "" for c in plan.columns]
    _write_sav(plan, [sample], path)
    raw = _read(path)
    records = SavRecords(plan.columns)
    (case_units,) = struct.unpack_from("<i", raw, _SAV_CASE_SIZE)
    if case_units * 8 != records.case_size:
        raise RuntimeError("unexpected .sav record layout")
    head = bytearray(raw[: len(raw) - records.case_size])
    struct.pack_into("<i", head, _SAV_NCASES, rows if rows < 2**31 else -1)
    # ReadStat also writes the case count as 64 bits, in extension record 16
    # (type 7, subtype 16, two 8-byte fields: 1, then the count).
    at = head.rfind(_EXTENDED_COUNT)
    if at < 0:
        raise RuntimeError("no extended case count in the .sav header")
    struct.pack_into("<q", head, at + len(_EXTENDED_COUNT) + 8, rows)
    return bytes(head), records


async def sav_lines(
    conn: Conn, plan: ExportPlan, progress: Callable[[int, int], None] | None = None
) -> AsyncIterator[bytes]:
    """The file piece by piece: the header, then one piece per batch of cases."""
    async with counted_snapshot(conn, plan, "sav") as (cells, path):
        if plan.rows == 0:
            _write_sav(plan, [], path)
            yield _read(path)
            return
        plan = await fit_text_widths(conn, plan)
        head, records = await anyio.to_thread.run_sync(_header, plan, path, plan.rows)
        yield head
        async for lines in line_batches(conn, plan, cells, progress):
            async for data in _records(plan, records, lines):
                yield data


def numeric_runs(placed: Iterable[tuple[Column, int]]) -> list[tuple[int, int, int]]:
    """Runs of numeric variables that lie next to each other in a record, each
    (first numeric's place among the numerics, count, byte offset): a run is written
    as one block of float64s."""
    runs: list[tuple[int, int, int]] = []
    k = 0
    for c, offset in placed:
        if c.kind != "num":
            continue
        if runs and runs[-1][2] + 8 * runs[-1][1] == offset:
            first, count, start = runs[-1]
            runs[-1] = (first, count + 1, start)
        else:
            runs.append((k, 1, offset))
        k += 1
    return runs


@asynccontextmanager
async def counted_snapshot(
    conn: Conn, plan: ExportPlan, suffix: str
) -> AsyncIterator[tuple[int | None, str]]:
    """For a file whose header holds its row count (.sav, .dta): the wave's cells made
    current, then a read-only snapshot in which ``plan.rows`` is set and the rows are
    read, so the count and the rows agree; with the cells' count for ``line_batches``
    and a scratch path for the writer's template."""
    cells = await prepare(conn, plan)
    with tempfile.TemporaryDirectory(prefix=f"survey-{suffix}-") as tmp:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            plan.rows = int(
                await conn.fetchval(
                    Q.export_count, plan.program_id, plan.wave_id, plan.excluded_site_ids
                )
            )
            yield cells, str(Path(tmp) / f"template.{suffix}")


async def line_batches(
    conn: Conn,
    plan: ExportPlan,
    cells: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The data lines in batches of about ``PARSE_BYTES`` of whole lines, so that
    pyarrow's and numpy's cost per call is spread over many rows; ``progress`` hears
    after each batch was used. Raises if the lines are not ``plan.rows``: the count
    is in the file's header, which has gone out before the lines. Runs inside the
    export's transaction, whose plan it makes a streamed one."""
    await conn.execute(Q.export_lines_streamed)
    done = 0
    pending: list[bytes] = []
    size = count = 0
    async for piece, lines in data_lines(conn, plan, cells):
        pending.append(piece)
        size += len(piece)
        count += lines
        if size >= PARSE_BYTES:
            yield b"".join(pending)
            pending, done, size, count = [], done + count, 0, 0
            if progress:
                progress(min(done, plan.rows), plan.rows)
    if pending:
        done += count
        yield b"".join(pending)
    if done != plan.rows:
        raise RuntimeError(f"export read {done} rows, its header says {plan.rows}")
    if progress:
        progress(done, plan.rows)


async def fit_text_widths(conn: Conn, plan: ExportPlan) -> ExportPlan:
    """The plan with each free-text variable as wide as its longest answer (at least
    one byte), not the codebook's up-to-8,000 bytes: a case record carries every
    string at its full width, so a comment box nobody filled cost ~8 KiB a case.
    Read in the export's snapshot, so no answer in the file is longer."""
    text = [c.item_id for c in plan.columns if c.text]
    if not text:
        return plan
    found = {
        r["item_id"]: r["width"] or 0
        for r in await conn.fetch(
            Q.export_text_widths, plan.program_id, plan.wave_id, text, plan.excluded_site_ids
        )
    }
    columns = [
        msgspec.structs.replace(c, width=max(1, min(c.width, found.get(c.item_id, 0))))
        if c.text else c
        for c in plan.columns
    ]
    return msgspec.structs.replace(plan, columns=columns)


async def _records(plan: ExportPlan, records: SavRecords, lines: bytes) -> AsyncIterator[bytes]:
    """Records of these lines, a batch of cases a piece, made in a worker thread (the
    event loop keeps reading COPY data meanwhile); one batch is held at a time."""
    parsed = await anyio.to_thread.run_sync(parse_lines, plan.columns, lines)
    prepared = await anyio.to_thread.run_sync(records.prepare, parsed)
    for start in range(0, parsed.rows, records.batch_rows()):
        yield await anyio.to_thread.run_sync(records.encode, parsed, prepared, start)
