"""Display formats in the files: SPSS shows codes and ids as whole numbers, and
decimals only for a number item that allows them; Stata's general format does too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pyreadstat
from seeding import seed_wave

from survey.access import SYSTEM
from survey.db import Conn
from survey.export import export_bytes, plan_export
from survey.export.codebook import columns
from survey.questionnaire import NumberItem


async def _write(conn: Conn, plan: Any, fmt: str, tmp_path: Path) -> str:
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(b"".join([p async for p in export_bytes(conn, plan, fmt)]))
    return str(path)


async def test_sav_formats_show_codes_whole(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path
) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid)
    plan = await plan_export(conn, SYSTEM, resources, pid, seeded.wave_id)
    _, meta = pyreadstat.read_sav(await _write(conn, plan, "sav", tmp_path))
    formats = meta.original_variable_types
    assert formats["resp_id"] == "F15.0" and formats["site_id"] == "F15.0"
    assert formats["safety_dark"] == "F8.0"  # Likert
    assert formats["gender"] == "F8.0"  # single choice
    assert formats["race_ethnicity_asian"] == "F8.0"  # 0/1 flag
    assert formats["participate_count"] == "F8.0"  # integer number, 1..200
    assert formats["language"] == "A8" and formats["comment"].startswith("A")
    assert not [n for n, f in formats.items() if f.startswith("F") and not f.endswith(".0")]

    # A number item that allows fractions keeps two decimals.
    q = plan.questionnaire
    items = [
        msgspec.structs.replace(i, integer=False, max=2000.0)
        if isinstance(i, NumberItem) and i.id == "participate_count"
        else i
        for i in q.items
    ]
    q = msgspec.structs.replace(q, items=items)
    plan.columns = columns(q, plan.site_names, include_text=True)
    _, meta = pyreadstat.read_sav(await _write(conn, plan, "sav", tmp_path))
    assert meta.original_variable_types["participate_count"] == "F8.2"
    assert meta.original_variable_types["safety_dark"] == "F8.0"


async def test_dta_formats_show_codes_whole(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path
) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid)
    plan = await plan_export(conn, SYSTEM, resources, pid, seeded.wave_id)
    _, meta = pyreadstat.read_dta(await _write(conn, plan, "dta", tmp_path))
    # Stata's general format prints 4 as "4" and 2.5 as "2.5": no fixed decimals.
    formats = meta.original_variable_types
    assert formats["safety_dark"] == "%10.0g" and formats["resp_id"] == "%10.0g"
