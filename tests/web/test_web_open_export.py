"""Exports carry the open-link duplicate flag that reports with
``exclude_duplicates=true`` leave out, so an analyst can redo such a report from the
file: a real suspected duplicate (the same device completing twice), flagged 1 in
every format, every other response 0."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from respondent import Respondent, fill
from survey_setup import Setup, parse_form

from survey.access import SYSTEM
from survey.db import Conn
from survey.export import dictionary_csv, export_bytes, plan_export


async def _three_completes(client: Any, wave: Setup) -> None:
    """One phone completes twice (the second is suspected), another phone once."""
    who = Respondent(client, wave.open_path, headers={"User-Agent": "Phone/1.0"})
    await who.finish(await who.start())
    again = await who.get(wave.open_path)
    form = parse_form(again.text, "/start")
    restarted = await who.post(form.action, fill(form))
    await who.finish(await who.get(restarted.headers["location"]))
    client.cookies.clear()
    other = Respondent(client, wave.open_path, headers={"User-Agent": "OtherPhone/2.0"})
    await other.finish(await other.start())


@pytest.mark.parametrize("fmt", ["csv", "sav", "dta"])
async def test_exports_flag_the_suspected_duplicate(
    client: Any, conn: Conn, wave: Setup, resources: Any, tmp_path: Path, fmt: str
) -> None:
    await _three_completes(client, wave)
    rows = await conn.fetch("SELECT id, duplicate_suspect FROM responses ORDER BY id")
    expected = {r["id"]: int(r["duplicate_suspect"]) for r in rows}
    assert list(expected.values()) == [0, 1, 0]

    plan = await plan_export(conn, SYSTEM, resources, wave.program_id, wave.wave_id)
    data = b"".join([piece async for piece in export_bytes(conn, plan, fmt)])
    if fmt == "csv":
        lines = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        flags = {int(r["resp_id"]): int(r["duplicate_suspect"]) for r in lines}
    else:
        path = tmp_path / f"out.{fmt}"
        path.write_bytes(data)
        reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        df, meta = reader(str(path))
        pairs = zip(df["resp_id"], df["duplicate_suspect"], strict=True)
        flags = {int(i): int(f) for i, f in pairs}
        assert meta.variable_value_labels["duplicate_suspect"] == {0: "no", 1: "yes"}
        assert "duplicate" in meta.column_names_to_labels["duplicate_suspect"]
    assert flags == expected

    codebook = list(csv.DictReader(io.StringIO(dictionary_csv(plan).decode("utf-8-sig"))))
    row = next(r for r in codebook if r["variable"] == "duplicate_suspect")
    assert (row["type"], row["value_labels"]) == ("integer", "0=no; 1=yes")
