"""What ``survey import responses`` refuses or leaves out of a paper sheet: rows with
no answer, days the wave was not open, and how it names languages and answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from seeding import HEADER, seed_wave
from test_export_cli import _survey

from survey.access import SYSTEM
from survey.db import Conn
from survey.export.paper import import_paper
from survey.services.contacts import RowsRejected

Problems = list[tuple[int | None, str, str]]


async def _paper(conn: Conn, wave_id: int) -> list[Any]:
    return list(await conn.fetch(
        "SELECT language, status, submitted_at, "
        "(SELECT count(*) FROM answers a WHERE a.response_id = r.id "
        " AND a.missing IS DISTINCT FROM 'skipped') AS answered "
        "FROM responses r WHERE wave_id = $1 AND channel = 'paper' ORDER BY id", wave_id))


async def _refused(conn: Conn, pid: int, wave_id: int, sheet: str) -> Problems:
    with pytest.raises(RowsRejected) as refused:
        await import_paper(conn, SYSTEM, pid, wave_id, sheet)
    return [(p.row, p.field, p.reason) for p in refused.value.problems]


async def _utc(conn: Conn, seeded: Any) -> Any:
    """Both sites in UTC, so the sheet's days are UTC days."""
    await conn.execute("UPDATE sites SET timezone = 'UTC' WHERE id = ANY($1::bigint[])",
                       [seeded.big, seeded.small])
    return seeded


async def _dates(conn: Conn, wave_id: int, opens: dt.datetime, closes: dt.datetime | None,
                 *, closed: bool = False) -> None:
    await conn.execute(
        "UPDATE waves SET opens_at = $2, closes_at = $3, "
        "state = CASE WHEN $4 THEN 'closed' ELSE state END, "
        "closed_at = CASE WHEN $4 THEN $3 ELSE closed_at END WHERE id = $1",
        wave_id, opens, closes, closed)  # fmt: skip


async def test_a_row_with_no_answer_is_skipped_not_stored(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await _utc(conn, await seed_wave(conn, resources, pid, big=0, small=0))
    today = dt.datetime.now(dt.UTC).date()
    sheet = (f"{HEADER}\nBig,en,{today},,,,,,,,\n"
             f"Big,en,{today},dont_know,4,woman,asian,no,,,\n"
             "Small,es,,,,,,,,,\n")
    out = await import_paper(conn, SYSTEM, pid, seeded.wave_id, sheet)
    stored = await _paper(conn, seeded.wave_id)
    assert [(r["status"], r["answered"]) for r in stored] == [("complete", 5)]
    assert (out.imported, out.rejected, out.skipped) == (1, 0, [2, 4])


async def test_submitted_must_be_a_day_the_wave_was_open(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await _utc(conn, await seed_wave(conn, resources, pid, big=0, small=0))
    # Big is UTC, Small Pacific: the wave opened on Nov 24 in both, and closes after
    # Jan 23 there (08:00 UTC on Jan 24 is midnight in Los Angeles).
    await conn.execute("UPDATE sites SET timezone = 'America/Los_Angeles' WHERE id = $1",
                       seeded.small)
    await _dates(conn, seeded.wave_id, dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC),
                 dt.datetime(2027, 1, 24, 8, tzinfo=dt.UTC))
    today = dt.datetime.now(dt.UTC).date()
    future = today + dt.timedelta(days=1)
    sheet = (f"{HEADER}\nBig,en,2030-01-01,1,2,woman,asian,no,,,\n"
             "Big,en,1999-01-01,1,2,woman,asian,no,,,\n"
             "Small,en,2026-11-23,1,2,woman,asian,no,,,\n"
             f"Big,en,{future},1,2,woman,asian,no,,,\n"
             "Small,en,2026-11-24,1,2,woman,asian,no,,,\n")
    problems = await _refused(conn, pid, seeded.wave_id, sheet)
    problems.sort()
    assert [(row, field) for row, field, _ in problems] == [
        (2, "submitted"), (3, "submitted"), (4, "submitted"), (5, "submitted")]
    assert problems[0][2] == (
        f"2030-01-01 is not allowed: must be a day from 2026-11-24 to {today}, "
        "while the wave was open")
    assert await _paper(conn, seeded.wave_id) == []
    ok = await import_paper(conn, SYSTEM, pid, seeded.wave_id,
                            f"{HEADER}\nSmall,en,2026-11-24,1,2,woman,asian,no,,,\n")
    assert ok.imported == 1


async def test_a_closed_wave_needs_the_submitted_column(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await _utc(conn, await seed_wave(conn, resources, pid, big=0, small=0))
    await _dates(conn, seeded.wave_id, dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
                 dt.datetime(2025, 11, 1, tzinfo=dt.UTC), closed=True)
    no_column = "site,language,pj_respect\nBig,en,2\n"
    problems = await _refused(conn, pid, seeded.wave_id, no_column)
    assert problems == [(1, "submitted",
                         "the wave has closed: add a submitted column with the day each form "
                         "was filled in (YYYY-MM-DD); today's date would be wrong")]
    blank = f"{HEADER}\nBig,en,,1,2,woman,asian,no,,,\nBig,en,2025-11-01,1,2,woman,,no,,,\n"
    problems = await _refused(conn, pid, seeded.wave_id, blank)
    problems.sort()
    assert [(r, f) for r, f, _ in problems] == [(2, "submitted"), (3, "submitted")]
    assert "2025-10-01 to 2025-10-31" in problems[1][2]
    out = await import_paper(conn, SYSTEM, pid, seeded.wave_id,
                             "site,submitted,pj_respect\nBig,2025-10-31,2\n")
    assert out.imported == 1
    stored = await _paper(conn, seeded.wave_id)
    assert stored[0]["submitted_at"] == dt.datetime(2025, 10, 31, 12, tzinfo=dt.UTC)


async def test_an_open_wave_without_submitted_is_today(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await _utc(conn, await seed_wave(conn, resources, pid, big=0, small=0))
    out = await import_paper(conn, SYSTEM, pid, seeded.wave_id, "site,pj_respect\nBig,2\n")
    assert out.imported == 1
    stored = await _paper(conn, seeded.wave_id)
    assert stored[0]["submitted_at"].date() == dt.datetime.now(dt.UTC).date()


async def test_language_names_and_answer_codes(conn: Conn, resources: Any, actors: Any) -> None:
    pid = int(actors.programs["own"])
    seeded = await _utc(conn, await seed_wave(conn, resources, pid, big=0, small=0))
    sheet = "site,language,pj_respect\nBig,Spanish,2\nBig,es-MX,3\nBig,español,4\nBig,English,5\n"
    out = await import_paper(conn, SYSTEM, pid, seeded.wave_id, sheet)
    assert out.imported == 4
    assert [r["language"] for r in await _paper(conn, seeded.wave_id)] == [
        "es", "es", "es", "en"]
    bad = "site,language,pj_respect,gender\nBig,Klingon,Agree,9\n"
    problems = await _refused(conn, pid, seeded.wave_id, bad)
    assert sorted(problems) == [
        (2, "gender", "'9': choose one of woman (1), man (2), nonbinary (3), "
                      "self_describe (4), or prefer_not (-98)"),
        (2, "language", "'Klingon' is not one of the wave's languages (en, es)"),
        (2, "pj_respect", "'Agree': choose one of 1\u20135, or dont_know (-99)"),
    ]


async def test_cli_skips_blank_rows_and_fails_when_partial_imports_nothing(
    conn: Conn, resources: Any, actors: Any, database_url: str, tmp_path: Path
) -> None:
    seeded = await seed_wave(conn, resources, actors.programs["own"], big=0, small=0)
    wave = str(seeded.wave_id)
    blank = tmp_path / "blank.csv"
    blank.write_text("site,language,pj_respect\nBig,en,\nBig,en,2\n", encoding="utf-8")
    code, out, err = await _survey(database_url, "import", "responses", str(blank),
                                   "--wave", wave)
    assert code == 0, err
    assert "row 2: no answers: skipped" in out and "imported 1 paper response(s)" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("site,language,pj_respect\nBig,en,Agree\nBig,xx,9\n", encoding="utf-8")
    code, out, err = await _survey(database_url, "import", "responses", str(bad),
                                   "--wave", wave, "--partial")
    assert code == 1, out
    assert "nothing imported" in err and "row 2: pj_respect" in err and "row 3: language" in err
    assert len(await _paper(conn, seeded.wave_id)) == 1
