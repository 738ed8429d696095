"""SPSS ``.sav`` from the CSV lines PostgreSQL makes, encoded column by column.

An uncompressed ``.sav`` is a header that depends only on the variables, then one
fixed-size record per case: a little-endian double per numeric variable (system
missing is -DBL_MAX), and per string variable its UTF-8 bytes padded with spaces,
rounded up to 8-byte units; a string longer than 255 bytes is cut into segments
(``_segments``). pyreadstat writes the header once, from a one-row file whose
strings have the codebook's widths; the records we encode ourselves with numpy, a
few thousand cases at a time, from ``Q.export_csv_lines`` parsed by pandas' C
reader. So no Python object is made per value except the strings, and at most one
batch of cases (``BATCH_BYTES`` of records) is held at a time.

The cells are the CSV file's, parsed back by pandas, whose float parser gives back
the exact double of each shortest-repr cell; the one thing a number loses on the way
is the sign of a negative zero, written as 0. tests/export/test_export_sav_records.py
holds the result to pyreadstat's own file, byte for byte.
"""

from __future__ import annotations

import io
import struct
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import numpy as np

from survey.db import Conn
from survey.export.cells import prepare
from survey.export.codebook import Column
from survey.export.csvfile import data_lines
from survey.export.plan import ExportPlan
from survey.export.readstat import _SAV_CASE_SIZE, _SAV_NCASES, _fit, _read, _write_sav
from survey.export.rows import Value
from survey.sql import Q

BATCH_BYTES = 4 * 2**20
"""Records encoded at once: a wave with long free text has cases of several KiB."""

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
    """Where each variable sits in a case record, and the encoder for a batch."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.offsets: list[int] = []
        at = 0
        for c in columns:
            self.offsets.append(at)
            at += 8 if c.kind == "num" else sum(u for _, u in _segments(max(1, c.width)))
        self.case_size = at

    def batch_rows(self) -> int:
        return max(1, BATCH_BYTES // self.case_size)

    def encode(self, frame: Any) -> bytes:
        n = len(frame)
        out = np.full((n, self.case_size), _SPACE, dtype=np.uint8)
        for c, at in zip(self.columns, self.offsets, strict=True):
            values = frame[c.name]
            if c.kind == "num":
                v = values.to_numpy(dtype="<f8", copy=True)
                v[np.isnan(v)] = _SYSMIS
                out[:, at : at + 8] = v.view(np.uint8).reshape(n, 8)
                continue
            width = max(1, c.width)
            raw = _fixed(values.tolist(), width)
            start = 0
            for data, units in _segments(width):
                out[:, at : at + data] = raw[:, start : start + data]
                start += data
                at += units
        return out.tobytes()


def _fixed(values: list[str], width: int) -> Any:
    """UTF-8 bytes of each value as an (n, width) array, space-padded, cut at a
    character boundary as ``readstat._fit`` cuts."""
    encoded = [v.encode("utf-8") for v in values]
    if any(len(b) > width for b in encoded):
        encoded = [_fit(v, width, b" ") for v in values]
    raw = np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(values), width)
    raw[raw == 0] = _SPACE  # numpy pads with NUL; text in PostgreSQL never holds NUL
    return raw


def _parse(plan: ExportPlan, data: bytes) -> Any:
    import pandas as pd

    names = [c.name for c in plan.columns]
    numeric = [c.name for c in plan.columns if c.kind == "num"]
    return pd.read_csv(
        io.BytesIO(data),
        header=None,
        names=names,
        dtype={c.name: ("float64" if c.kind == "num" else "str") for c in plan.columns},
        keep_default_na=False,
        na_values={name: ["", "nan"] for name in numeric},  # both are system missing
        encoding="utf-8",
    )


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
    cells = await prepare(conn, plan)
    with tempfile.TemporaryDirectory(prefix="survey-sav-") as tmp:
        path = str(Path(tmp) / "template.sav")
        # The count in the header and the rows come from one snapshot.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            plan.rows = int(
                await conn.fetchval(
                    Q.export_count, plan.program_id, plan.wave_id, plan.excluded_site_ids
                )
            )
            if plan.rows == 0:
                _write_sav(plan, [], path)
                yield _read(path)
                return
            head, records = await anyio.to_thread.run_sync(_header, plan, path, plan.rows)
            yield head
            batch = records.batch_rows()
            done = 0
            pending: list[bytes] = []
            count = 0
            async for piece, lines in data_lines(conn, plan, cells):
                pending.append(piece)
                count += lines
                if count >= batch:
                    async for data in _batches(plan, records, b"".join(pending), batch):
                        yield data
                    pending, done, count = [], done + count, 0
                    if progress:
                        progress(min(done, plan.rows), plan.rows)
            if pending:
                done += count
                async for data in _batches(plan, records, b"".join(pending), batch):
                    yield data
            if progress:
                progress(done, plan.rows)


async def _batches(
    plan: ExportPlan, records: SavRecords, lines: bytes, batch: int
) -> AsyncIterator[bytes]:
    """Records of these lines, ``batch`` cases at a time: a piece of COPY data can hold
    more lines than a batch, and the records of wide cases take far more room."""
    frame = await anyio.to_thread.run_sync(_parse, plan, lines)
    for start in range(0, len(frame), batch):
        part = frame.iloc[start : start + batch]
        yield await anyio.to_thread.run_sync(records.encode, part)
