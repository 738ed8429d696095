"""The ``.dta`` rows numpy encodes from the COPY lines are byte for byte the ones the
cell-by-cell writer encodes from the same rows (survey.export.readstat.dta_bytes over
rows.chunks, kept as the reference), header and value labels included but for the
template's timestamp: awkward numbers, every missing code, multiple choices, free text
that needs quoting, non-ASCII text and text cut at 2,000 bytes inside a letter, for an
administrator and for an evaluator (small site withheld, no free text)."""

from __future__ import annotations

import math
from typing import Any

import pyreadstat
import pytest
from test_export_csv_copy import NUMBERS, TEXTS, awkward_wave, evaluator

from survey.access import SYSTEM
from survey.db import Conn
from survey.export import export_bytes, plan_export
from survey.export.codebook import MAX_DTA_STRING
from survey.export.plan import ExportPlan
from survey.export.readstat import dta_bytes
from survey.export.rows import chunks

# Longer than a .dta string may be: cut at 2,000 bytes, the second inside an "é".
CUT_CLEAN = "é" * 1000 + "tail"
CUT_INSIDE = "x" + "é" * 1200


def _timestamp(data: bytes) -> slice:
    start = data.index(b"<timestamp>")
    return slice(start, data.index(b"</timestamp>", start))


def _same_but_timestamp(served: bytes, reference: bytes) -> None:
    assert len(served) == len(reference)
    a, b = _timestamp(served), _timestamp(reference)
    assert a == b
    parts = [slice(0, a.start), slice(a.stop, None)]
    assert [served[p] for p in parts] == [reference[p] for p in parts]


async def _reference(conn: Conn, plan: ExportPlan) -> bytes:
    return b"".join([p async for p in dta_bytes(plan, chunks(conn, plan))])


@pytest.mark.parametrize("batch", ["default", "tiny"])
@pytest.mark.parametrize("role", ["admin", "evaluator"])
async def test_dta_rows_match_the_cell_by_cell_writer(
    conn: Conn, resources: Any, actors: Any, role: str, batch: str, tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pid = actors.programs["own"]
    wave_id = await awkward_wave(conn, resources, pid)
    for old, new in [("plain", CUT_CLEAN), ("", CUT_INSIDE)]:
        await conn.execute(
            "UPDATE answers SET value_text = $2 WHERE program_id = $1 AND item_id = 'comment' "
            "AND value_text = $3", pid, new, old,
        )  # fmt: skip
    await conn.execute("SELECT report_cache_invalidate($1, $2)", pid, wave_id)  # edited by hand
    if batch == "tiny":
        # One row per batch, every string through the per-batch path, COPY data in
        # small pieces, so lines arrive in many parses.
        monkeypatch.setattr("survey.export.dtafile.BATCH_BYTES", 1)
        monkeypatch.setattr("survey.export.savfile.PARSE_BYTES", 1)
        monkeypatch.setattr("survey.export.copy.PIECE", 300)
    who = SYSTEM if role == "admin" else evaluator(pid)
    plan = await plan_export(conn, who, resources, pid, wave_id)
    reference = await _reference(conn, plan)
    pieces = [p async for p in export_bytes(conn, plan, "dta")]
    if batch == "tiny":
        assert len(pieces) == 1 + plan.rows + 1  # header, one per row, labels
    served = b"".join(pieces)
    _same_but_timestamp(served, reference)

    path = tmp_path / "out.dta"
    path.write_bytes(served)
    # The missing codes are Stata's .a and .b (labelled), and missing to Stata.
    coded, meta = pyreadstat.read_dta(str(path), user_missing=True)
    assert coded["safety_dark"].tolist().count("b") == 1
    assert meta.variable_value_labels["safety_dark"]["a"] == "Don't know"
    assert set(coded["race_ethnicity_asian"].dropna()) == {"a", "b", 1.0}
    df, meta = pyreadstat.read_dta(str(path))
    assert meta.number_rows == plan.rows == len(df)
    assert set(df["race_ethnicity_asian"].dropna()) == {1.0}
    if role == "evaluator":
        assert len(df) == len(NUMBERS) + 3 and "comment" not in df.columns
        return
    counts = df["participate_count"].tolist()
    finite = [x for x in NUMBERS if math.isfinite(x)]
    # Stata's "." reads as NaN: the NaN answer and the unanswered ones.
    assert [x for x in counts if not math.isnan(x)][: len(finite)] == finite
    comments = df["comment"].tolist()
    assert CUT_CLEAN.encode()[:MAX_DTA_STRING].decode() in comments
    assert "x" + "é" * 999 in comments  # 1,999 bytes: the half letter is dropped
    for text in TEXTS:
        if text not in ("plain", ""):  # replaced by the long ones
            assert text in comments


async def test_dta_of_an_empty_wave_is_the_template(
    conn: Conn, resources: Any, actors: Any
) -> None:
    from seeding import seed_wave

    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid, big=0, small=0)
    plan = await plan_export(conn, SYSTEM, resources, pid, seeded.wave_id)
    served = b"".join([p async for p in export_bytes(conn, plan, "dta")])
    _same_but_timestamp(served, await _reference(conn, plan))
