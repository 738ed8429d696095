"""The ``.sav`` records numpy encodes from the COPY lines are byte for byte the ones
pyreadstat writes from the same rows (survey.export.readstat.sav_bytes, kept as the
reference, given the same variables: free text as wide as its longest answer), header
included but for its creation time; long strings cross ReadStat's 255-byte segments the
same way."""

from __future__ import annotations

from typing import Any

import pyreadstat
import pytest
from test_export_csv_copy import awkward_wave, evaluator

from survey.access import SYSTEM
from survey.db import Conn
from survey.export import export_bytes, plan_export
from survey.export.readstat import sav_bytes
from survey.export.rows import chunks
from survey.export.savfile import _segments, fit_text_widths

_CREATED = slice(92, 109)  # creation date and time in the file header


@pytest.mark.parametrize("role", ["admin", "evaluator"])
async def test_sav_records_match_pyreadstat(
    conn: Conn, resources: Any, actors: Any, role: str, tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pid = actors.programs["own"]
    wave_id = await awkward_wave(conn, resources, pid)
    # A negative zero comes back from the CSV cell "0" as 0: the one documented loss.
    await conn.execute("UPDATE answers SET value_num = 0 WHERE value_num = '-0'")
    long_text = "é" * 300 + "x" * 40  # 640 bytes: three segments, the cut inside a letter
    await conn.execute(
        "UPDATE answers SET value_text = $1 WHERE item_id = 'comment' AND value_text = 'plain'",
        long_text,
    )
    await conn.execute("SELECT report_cache_invalidate($1, $2)", pid, wave_id)  # edited by hand
    who = SYSTEM if role == "admin" else evaluator(pid)
    plan = await plan_export(conn, who, resources, pid, wave_id)
    # The file's free text is as wide as its longest answer, not the codebook's limit.
    fitted = await fit_text_widths(conn, plan)
    widths = {c.name: c.width for c in fitted.columns if c.text}
    # (zip_or_area: no one answered it here, so one byte.)
    assert widths == (
        {"comment": len(long_text.encode()), "zip_or_area": 1} if role == "admin" else {}
    )
    reference = bytearray(
        b"".join([p async for p in sav_bytes(fitted, chunks(conn, fitted))])
    )
    # Several batches, one case each at the smallest.
    monkeypatch.setattr("survey.export.savfile.BATCH_BYTES", 1)
    served = bytearray(b"".join([p async for p in export_bytes(conn, plan, "sav")]))
    assert len(served) == len(reference)
    keep = [slice(0, _CREATED.start), slice(_CREATED.stop, None)]
    assert [served[k] for k in keep] == [reference[k] for k in keep]
    path = tmp_path / "out.sav"
    path.write_bytes(bytes(served))
    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert meta.number_rows == plan.rows == len(df)
    if role == "admin":
        assert long_text in df["comment"].str.rstrip().tolist()
        assert "two\nlines" in df["comment"].str.rstrip().tolist()
    else:
        assert "comment" not in df.columns


def test_segments_follow_readstat() -> None:
    assert _segments(8) == [(8, 8)]
    assert _segments(255) == [(255, 256)]
    assert _segments(256) == [(255, 256), (1, 8)]
    assert _segments(510) == [(255, 256), (255, 256), (0, 8)]
    assert sum(u for _, u in _segments(8000)) == 8128
