"""Stata gets don't know and prefer not to say as missing values, not as numbers.

SPSS declares -99 and -98 user-missing; Stata cannot, and as plain numbers its
``summarize`` and ``mean`` would average them into every scale. The .dta stores them
as the extended missing values ``.a`` and ``.b``, labelled: checked against the CSV
of the same export, for every numeric variable.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pyreadstat
from seeding import seed_wave

from survey.access import SYSTEM
from survey.db import Conn
from survey.export import export_bytes, plan_export

CODES = {"-99": "a", "-98": "b"}


async def test_dta_missing_codes_are_stata_extended_missing(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path
) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid)
    plan = await plan_export(conn, SYSTEM, resources, pid, seeded.wave_id)
    text = b"".join([p async for p in export_bytes(conn, plan, "csv")]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    path = tmp_path / "out.dta"
    path.write_bytes(b"".join([p async for p in export_bytes(conn, plan, "dta")]))
    coded, meta = pyreadstat.read_dta(str(path), user_missing=True)
    plain, _ = pyreadstat.read_dta(str(path), user_missing=False)

    assert meta.variable_value_labels["safety_dark"]["a"] == "Don't know"
    assert meta.variable_value_labels["safety_dark"]["b"] == "Prefer not to say"
    assert -99 not in meta.variable_value_labels["safety_dark"]
    assert "a" in meta.missing_user_values["safety_dark"]  # those the data holds
    # The seeded wave: 3 don't knows on safety_dark, 8 prefer not to say on race.
    assert coded["safety_dark"].tolist().count("a") == 3
    assert coded["race_ethnicity_asian"].tolist().count("b") == 8
    assert plain["safety_dark"].isna().sum() == 3

    checked = 0
    for column in plan.columns:
        if column.kind != "num" or not column.user_missing:
            continue
        cells = [r[column.name] for r in rows]
        for code, letter in CODES.items():
            assert coded[column.name].tolist().count(letter) == cells.count(code), column.name
        real = [float(v) for v in cells if v not in ("", *CODES)]
        expected = sum(real) / len(real) if real else math.nan
        mean = float(plain[column.name].mean())
        assert (math.isnan(mean) and math.isnan(expected)) or math.isclose(mean, expected)
        checked += 1
    assert checked > 10
    # What `summarize safety_dark` shows: the mean of the 12 real answers only.
    real = [float(r["safety_dark"]) for r in rows if r["safety_dark"] not in ("", "-99")]
    assert len(real) == 12 and plain["safety_dark"].mean() == sum(real) / 12
