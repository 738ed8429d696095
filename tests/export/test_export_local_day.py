"""The day a response was submitted is the resident's day, in their site's time zone:
in the CSV, .sav and .dta `submitted` column and the response monitor's daily counts.

A Pacific evening (00:45 UTC the next day) and a Tokyo morning (16:00 UTC the day
before) each belong to their own site's local day, within one wave.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pyreadstat
from seeding import paper_csv, seed_wave

from survey.access import SYSTEM
from survey.dashboard.fieldwork import fieldwork
from survey.db import Conn
from survey.export import export_bytes, plan_export
from survey.export.csvfile import csv_bytes
from survey.export.paper import import_paper
from survey.export.rows import chunks

PACIFIC_EVENING = dt.datetime(2026, 11, 25, 0, 45, tzinfo=dt.UTC)  # 4:45 PM on Nov 24
TOKYO_MORNING = dt.datetime(2026, 11, 24, 16, 0, tzinfo=dt.UTC)  # 1:00 AM on Nov 25


async def _seed(conn: Conn, resources: Any, pid: int) -> Any:
    seeded = await seed_wave(conn, resources, pid, big=12, small=10)
    await conn.execute(
        "UPDATE sites SET timezone = CASE id WHEN $2 THEN 'America/Los_Angeles' "
        "ELSE 'Asia/Tokyo' END WHERE program_id = $1 AND id = ANY($3::bigint[])",
        pid, seeded.big, [seeded.big, seeded.small],
    )  # fmt: skip
    for site, at in ((seeded.big, PACIFIC_EVENING), (seeded.small, TOKYO_MORNING)):
        await conn.execute(
            "UPDATE responses SET submitted_at = $4 "
            "WHERE program_id = $1 AND wave_id = $2 AND site_id = $3",
            pid, seeded.wave_id, site, at,
        )  # fmt: skip
    return seeded


def _days(rows: list[dict[str, Any]], seeded: Any) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for r in rows:
        out.setdefault(int(float(r["site_id"])), set()).add(str(r["submitted"]))
    return out


async def test_export_submitted_is_the_sites_local_day(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path
) -> None:
    pid = int(actors.programs["own"])
    seeded = await _seed(conn, resources, pid)
    want = {seeded.big: {"2026-11-24"}, seeded.small: {"2026-11-25"}}
    plan = await plan_export(conn, SYSTEM, resources, pid, seeded.wave_id)

    served = b"".join([p async for p in export_bytes(conn, plan, "csv")])
    rows = list(csv.DictReader(io.StringIO(served.decode("utf-8-sig"), newline="")))
    assert len(rows) == 22 and _days(rows, seeded) == want
    # The Python writer (the COPY path's reference) says the same.
    reference = b"".join([p async for p in csv_bytes(plan, chunks(conn, plan))])
    assert reference == served

    for fmt, read in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        path = tmp_path / f"out.{fmt}"
        path.write_bytes(b"".join([p async for p in export_bytes(conn, plan, fmt)]))
        frame, _ = read(str(path))
        assert _days(frame.to_dict("records"), seeded) == want, fmt


async def test_monitor_daily_counts_use_each_sites_local_day(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await _seed(conn, resources, pid)
    out = await fieldwork(conn, SYSTEM, pid, seeded.wave_id)
    daily = {(d.day, d.channel): d.n for d in out.daily}
    assert daily == {(dt.date(2026, 11, 24), "paper"): 12, (dt.date(2026, 11, 25), "paper"): 10}


async def test_paper_day_comes_back_as_written_in_any_zone(
    conn: Conn, resources: Any, actors: Any
) -> None:
    # Noon UTC, as paper rows were stored, is already the next day at UTC+14.
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid, big=0, small=0)
    await conn.execute(
        "UPDATE sites SET timezone = CASE id WHEN $2 THEN 'Pacific/Kiritimati' "
        "ELSE 'Pacific/Pago_Pago' END WHERE program_id = $1 AND id = ANY($3::bigint[])",
        pid, seeded.big, [seeded.big, seeded.small],
    )  # fmt: skip
    sheet = paper_csv(12, 10)
    await import_paper(conn, SYSTEM, pid, seeded.wave_id, sheet)
    written = sorted(r["submitted"] for r in csv.DictReader(io.StringIO(sheet)))
    plan = await plan_export(conn, SYSTEM, resources, pid, seeded.wave_id)
    served = b"".join([p async for p in export_bytes(conn, plan, "csv")])
    rows = list(csv.DictReader(io.StringIO(served.decode("utf-8-sig"), newline="")))
    assert sorted(r["submitted"] for r in rows) == written
