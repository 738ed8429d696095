"""SPSS ``.sav`` and Stata ``.dta`` files in constant memory.

pyreadstat writes a whole DataFrame at once, so a big wave would need all its rows in
memory. Both formats store rows as fixed-width records after a header that depends
only on the variables, which lets us write them chunk by chunk:

- ``.sav``: every chunk is written by pyreadstat (uncompressed, strings padded to the
  codebook's width so every chunk has the same dictionary). The first chunk's header
  is kept with its case count patched to the total; later chunks contribute only
  their data records, which are the last ``rows × case size`` bytes of their file.
  The service now writes ``.sav`` with ``survey.export.savfile`` (numpy records, about
  as fast as PostgreSQL makes the rows); ``sav_bytes`` is kept as the reference the
  tests hold it to.
- ``.dta``: pyreadstat writes a one-row template whose strings have the codebook's
  widths; from it we keep the header (N patched, section offsets in ``<map>``
  shifted by the data size) and the value labels that follow the data, and encode
  the rows ourselves: little doubles and NUL-padded fixed strings are all there is.
  The service now encodes the rows with ``survey.export.dtafile`` (numpy, a column at
  a time, from the same COPY lines as ``.sav``); ``dta_bytes``, which encodes them cell
  by cell from ``rows.chunks``, is kept as the reference the tests hold it to.

At most one chunk of rows (``survey.export.rows.CHUNK``) is held at a time. The
pyreadstat calls are blocking, so they run in a worker thread.
"""

from __future__ import annotations

import math
import struct
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread

from survey.export.codebook import DONT_KNOW, MAX_DTA_STRING, PREFER_NOT, Column
from survey.export.plan import ExportPlan
from survey.export.rows import Value

_SAV_CASE_SIZE = 68
_SAV_NCASES = 80
_DTA_MAP = 14
_DTA_MISSING = struct.pack("<Q", 0x7FE0000000000000)  # Stata's "." for a double
_DTA_LABEL = 80

DTA_EXTENDED = {DONT_KNOW: "a", PREFER_NOT: "b"}
"""Stata's extended missing values for the missing codes: don't know is ``.a`` and
prefer not to say ``.b``. As plain -99 and -98 (as .sav and CSV have them) Stata's
``summarize`` and ``mean`` would average them into every scale: SPSS can declare a
number missing, Stata cannot, so the code itself becomes a missing value, labelled."""


def dta_label(column: Column) -> str:
    """The column's label within Stata's 80 characters. A multiple choice item's
    variables share the question and differ by the option after it, so the question
    is shortened, never the option: cut from the end, six variables read alike."""
    label = column.label
    if len(label) <= _DTA_LABEL:
        return label
    if column.option:
        question, sep, option = label.rpartition(": ")
        room = _DTA_LABEL - len(sep) - len(option) - 1
        if sep and room >= 10:
            return question[:room].rstrip() + "…" + sep + option
    return label[: _DTA_LABEL - 1].rstrip() + "…"


def dta_missing_bits(letter: str) -> int:
    """The bits of the double Stata stores for ``.a`` .. ``.z``: "." plus 2^40 per letter."""
    return 0x7FE0000000000000 + ((ord(letter) - ord("a") + 1) << 40)


DTA_EXTENDED_BITS = {code: dta_missing_bits(letter) for code, letter in DTA_EXTENDED.items()}


def _fit(text: str, width: int, pad: bytes) -> bytes:
    """UTF-8 bytes cut at a character boundary to ``width``, then padded."""
    raw = text.encode("utf-8")
    if len(raw) > width:
        raw = raw[:width].decode("utf-8", "ignore").encode("utf-8")
    return raw + pad * (width - len(raw))


def _frame(columns: list[Column], rows: list[list[Value]], *, dta: bool) -> Any:
    import pandas as pd

    data: dict[str, Any] = {}
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        if column.kind == "str":
            width = _width(column, dta)
            # Padding makes every chunk's string widths (hence its header) identical.
            data[column.name] = [
                _fit(str(v or ""), width, b" ").decode("utf-8", "ignore").ljust(1) for v in values
            ]
        else:
            data[column.name] = pd.Series(values, dtype="float64")
    return pd.DataFrame(data)


def _width(column: Column, dta: bool) -> int:
    return max(1, min(column.width, MAX_DTA_STRING) if dta else column.width)


def _labels(columns: list[Column], *, dta: bool) -> dict[str, dict[Any, str]]:
    out: dict[str, dict[Any, str]] = {}
    for c in columns:
        if c.value_labels and c.kind == "num":
            # Stata labels integers only; every labelled value here is a whole number,
            # and a missing code is labelled on its extended missing value.
            out[c.name] = {
                (_dta_key(c, k) if dta else k): v for k, v in c.value_labels.items()
            }
    return out


def _dta_key(column: Column, value: float) -> int | str:
    return DTA_EXTENDED[value] if value in column.user_missing else int(value)


def dta_extended(column: Column) -> dict[float, int]:
    """The missing codes of a numeric variable, each with the bits it is stored as."""
    return {v: DTA_EXTENDED_BITS[v] for v in column.user_missing if v in DTA_EXTENDED_BITS}


def _write_sav(plan: ExportPlan, rows: list[list[Value]], path: str) -> None:
    import pyreadstat

    pyreadstat.write_sav(
        _frame(plan.columns, rows, dta=False),
        path,
        file_label=f"{plan.program_name}: {plan.wave_name}"[:64],
        column_labels={c.name: c.label for c in plan.columns},
        variable_value_labels=_labels(plan.columns, dta=False),
        missing_ranges={c.name: list(c.user_missing) for c in plan.columns if c.user_missing},
        # pyreadstat's default, F8.2, would show a Likert 4 as 4.00 and an id as 123456.00.
        variable_format={
            c.name: f"F{c.digits}.{c.decimals}" for c in plan.columns if c.kind == "num"
        },
        # SPSS document lines hold 80 bytes each.
        note=[f"Questionnaire {plan.qversion}"[:80], "-99 = don't know, -98 = prefer not to say"],
    )


def _write_dta(plan: ExportPlan, rows: list[list[Value]], path: str) -> None:
    import pyreadstat

    pyreadstat.write_dta(
        _frame(plan.columns, rows, dta=True),
        path,
        file_label=f"{plan.program_name}: {plan.wave_name}"[:80],
        column_labels={c.name: dta_label(c) for c in plan.columns},
        variable_value_labels=_labels(plan.columns, dta=True),
        missing_user_values={
            c.name: [DTA_EXTENDED[v] for v in c.user_missing]
            for c in plan.columns
            if c.user_missing and c.kind == "num"
        },
    )


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


async def sav_bytes(
    plan: ExportPlan, chunks: AsyncIterator[list[list[Value]]]
) -> AsyncIterator[bytes]:
    with tempfile.TemporaryDirectory(prefix="survey-sav-") as tmp:
        path = str(Path(tmp) / "chunk.sav")
        header_size: int | None = None
        async for chunk in chunks:
            await anyio.to_thread.run_sync(_write_sav, plan, chunk, path)
            raw = await anyio.to_thread.run_sync(_read, path)
            (case_units,) = struct.unpack_from("<i", raw, _SAV_CASE_SIZE)
            size = len(raw) - len(chunk) * case_units * 8
            if header_size is None:
                header_size = size
                head = bytearray(raw[:size])
                total = plan.rows if plan.rows < 2**31 else -1  # -1: "read to the end"
                struct.pack_into("<i", head, _SAV_NCASES, total)
                yield bytes(head)
            elif size != header_size:
                raise RuntimeError("export chunks disagree on the file layout")
            yield raw[size:]
        if header_size is None:
            await anyio.to_thread.run_sync(_write_sav, plan, [], path)
            yield await anyio.to_thread.run_sync(_read, path)


class _DtaTemplate:
    """Header and trailer of a ``.dta`` file, taken from a one-row file."""

    def __init__(self, raw: bytes, columns: list[Column]) -> None:
        order = raw[raw.index(b"<byteorder>") + 11 : raw.index(b"</byteorder>")]
        self.endian = "<" if order == b"LSF" else ">"
        release = int(raw[raw.index(b"<release>") + 9 : raw.index(b"</release>")])
        self.n_at = raw.index(b"<N>") + 3
        self.n_format = self.endian + ("I" if release == 117 else "Q")
        self.map_at = raw.index(b"<map>") + 5
        self.offsets = list(struct.unpack_from(f"{self.endian}{_DTA_MAP}Q", raw, self.map_at))
        data_at, strls_at = self.offsets[9], self.offsets[10]
        self.head = raw[: data_at + len(b"<data>")]
        self.row_size = strls_at - data_at - len(b"<data></data>")
        self.tail = raw[strls_at - len(b"</data>") :]
        self.columns = columns
        self.extended = [dta_extended(c) if c.kind == "num" else {} for c in columns]
        self.widths = [_width(c, True) for c in columns]
        pairs = zip(columns, self.widths, strict=True)
        expected = sum(8 if c.kind == "num" else w for c, w in pairs)
        if expected != self.row_size:
            raise RuntimeError("unexpected .dta row layout")

    def header(self, rows: int) -> bytes:
        head = bytearray(self.head)
        struct.pack_into(self.n_format, head, self.n_at, rows)
        grow = (rows - 1) * self.row_size
        shifted = self.offsets[:10] + [o + grow for o in self.offsets[10:]]
        struct.pack_into(f"{self.endian}{_DTA_MAP}Q", head, self.map_at, *shifted)
        return bytes(head)

    def encode(self, rows: list[list[Value]]) -> bytes:
        double = struct.Struct(self.endian + "d")
        bits = struct.Struct(self.endian + "Q")
        parts: list[bytes] = []
        for row in rows:
            cells = zip(row, self.columns, self.widths, self.extended, strict=True)
            for value, column, width, extended in cells:
                if column.kind == "str":
                    parts.append(_fit(str(value or ""), width, b"\x00"))
                elif value is None or (isinstance(value, float) and math.isnan(value)):
                    parts.append(_DTA_MISSING)
                elif float(value) in extended:
                    parts.append(bits.pack(extended[float(value)]))
                else:
                    parts.append(double.pack(float(value)))
        return b"".join(parts)


def _sample_row(columns: list[Column]) -> list[Value]:
    return ["x" * _width(c, True) if c.kind == "str" else 0.0 for c in columns]


async def dta_bytes(
    plan: ExportPlan, chunks: AsyncIterator[list[list[Value]]]
) -> AsyncIterator[bytes]:
    with tempfile.TemporaryDirectory(prefix="survey-dta-") as tmp:
        path = str(Path(tmp) / "template.dta")
        template: _DtaTemplate | None = None
        async for chunk in chunks:
            if template is None:
                await anyio.to_thread.run_sync(_write_dta, plan, [_sample_row(plan.columns)], path)
                raw = await anyio.to_thread.run_sync(_read, path)
                template = _DtaTemplate(raw, plan.columns)
                yield template.header(plan.rows)
            yield await anyio.to_thread.run_sync(template.encode, chunk)
        if template is None:
            await anyio.to_thread.run_sync(_write_dta, plan, [], path)
            yield await anyio.to_thread.run_sync(_read, path)
        else:
            yield template.tail
