"""The binary writers' parse of the CSV lines: missing numbers, empty and quoted
strings, text that looks like a missing value, line breaks inside a value, and a
batch large enough that pyarrow reads it in several blocks (a block must not end at
a line break inside a value)."""

from __future__ import annotations

import math

import numpy as np

from survey.export.codebook import Column
from survey.export.parsed_lines import parse_lines

COLUMNS = [
    Column(name="n", label="n"),
    Column(name="s", label="s", kind="str", width=8),
    Column(name="t", label="t", kind="str", width=100, text=True),
    Column(name="m", label="m"),
]


def test_cells_as_the_copy_writes_them() -> None:
    data = (
        b'1,es,"",-99\n'
        b',en,nan,nan\n'
        b'0.30000000000000004,es,"two\nlines, ""quoted""",1e-300\n'
        b'Infinity,,"",-Infinity\n'
    )
    parsed = parse_lines(COLUMNS, data)
    assert parsed.rows == 4
    numbers = parsed.numbers(["n", "m"])
    assert numbers[0].tolist() == [1.0, -99.0]
    assert math.isnan(numbers[1, 0]) and math.isnan(numbers[1, 1])
    assert numbers[2].tolist() == [0.1 + 0.2, 1e-300]  # the exact doubles
    assert numbers[3].tolist() == [math.inf, -math.inf]
    codes, values = parsed.distinct("s")
    assert [values[k] for k in codes] == ["es", "en", "es", ""]
    assert values == ["es", "en", ""]  # in the order they first appear
    codes, values = parsed.distinct("t")
    # A free-text "nan" is what the resident wrote, not a missing value.
    assert [values[k] for k in codes] == ["", "nan", 'two\nlines, "quoted"', ""]


def test_skipped_columns_are_read_past() -> None:
    parsed = parse_lines(COLUMNS, b'1,es,"a,b",2\n', frozenset({"s", "t"}))
    assert parsed.numbers(["n", "m"]).tolist() == [[1.0, 2.0]]
    assert parsed.table.column_names == ["n", "m"]


def test_a_batch_read_in_several_blocks() -> None:
    rows = 200_000  # about 4 MB: pyarrow reads 1 MiB blocks
    line = b'%d,%s,"%s",%d\n'
    data = b"".join(
        line % (i, b"es" if i % 3 else b"vi", b"x\n" * (i % 7), i % 5) for i in range(rows)
    )
    parsed = parse_lines(COLUMNS, data)
    assert parsed.table.column("n").num_chunks > 1
    numbers = parsed.numbers(["n", "m"])
    assert np.array_equal(numbers[:, 0], np.arange(rows, dtype=float))
    assert np.array_equal(numbers[:, 1], np.arange(rows, dtype=float) % 5)
    codes, values = parsed.distinct("s")
    assert values == ["vi", "es"]
    assert np.array_equal(codes, (np.arange(rows) % 3 != 0).astype(codes.dtype))
    codes, values = parsed.distinct("t")
    assert len(values) == 7
    assert [values[k] for k in codes[:14]] == ["x\n" * (i % 7) for i in range(14)]
