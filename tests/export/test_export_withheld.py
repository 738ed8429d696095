"""One small-site rule for the report and the evaluator's export.

The report suppresses a site-wave with fewer than 10 *complete* responses; an export
that still released that site's rows (its partials made it 10 or more "responses")
would give back the hidden count and every answer behind the hidden means. Here a
site has 9 completes and 3 partials: the report hides it, and so must every format
of the evaluator's export, partial rows included; with 10 completes it is shown in
both, with its partials.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from seeding import seed_wave
from test_export_files import evaluator

from survey.access import SYSTEM, Principal
from survey.db import Conn
from survey.export import export_bytes, plan_export
from survey.report import build_report


async def _partials(conn: Conn, pid: int, wave_id: int, site_id: int, n: int) -> None:
    """Residents who answered the first question and stopped: partial, with an answer."""
    for _ in range(n):
        rid = await conn.fetchval(
            "INSERT INTO responses (program_id, wave_id, site_id, language, channel, "
            "questionnaire_hash) SELECT $1, $2, $3, 'en', 'web', questionnaire_hash "
            "FROM waves WHERE id = $2 RETURNING id",
            pid, wave_id, site_id,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO answers (program_id, response_id, item_id, value_num) "
            "VALUES ($1, $2, 'safety_dark', 4)",
            pid, rid,
        )  # fmt: skip


async def _sites_in(
    conn: Conn, res: Any, who: Principal, pid: int, wave_id: int, fmt: str, tmp_path: Path
) -> list[tuple[int, str]]:
    """(site_id, status) of every row of the file the caller gets."""
    plan = await plan_export(conn, who, res, pid, wave_id)
    data = b"".join([piece async for piece in export_bytes(conn, plan, fmt)])
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        return sorted((int(r["site_id"]), r["status"]) for r in rows)
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(data)
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    df, _ = reader(str(path))
    # Status is a labelled code in .sav/.dta or a string, depending on the writer.
    return sorted((int(s), str(st)) for s, st in zip(df["site_id"], df["status"], strict=True))


@pytest.mark.parametrize("fmt", ["csv", "sav", "dta"])
async def test_a_site_the_report_suppresses_is_withheld_with_its_partials(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path, fmt: str
) -> None:
    pid = int(actors.programs["own"])
    pre = await seed_wave(conn, resources, pid, big=10, small=9)
    await _partials(conn, pid, pre.wave_id, pre.small, 3)  # 9 complete + 3 partial
    await _partials(conn, pid, pre.wave_id, pre.big, 3)  # 10 complete + 3 partial
    post = await seed_wave(conn, resources, pid, big=10, small=10, phase="post", name="After")

    report = await build_report(
        conn, evaluator(pid), resources, pid, pre=pre.wave_id, post=post.wave_id
    )
    suppressed = {s.name: s.suppressed_pre for s in report.sites}
    assert suppressed == {"Big": False, "Small": True}

    plan = await plan_export(conn, evaluator(pid), resources, pid, pre.wave_id)
    assert [w.name for w in plan.withheld] == ["Small"]  # X-Withheld-Sites: 1
    assert plan.withheld[0].reason == "fewer than 10 complete responses (9 complete, 3 partial)"
    assert plan.rows == 13
    rows = await _sites_in(conn, resources, evaluator(pid), pid, pre.wave_id, fmt, tmp_path)
    assert pre.small not in {site for site, _ in rows}
    assert len(rows) == 13 and {site for site, _ in rows} == {pre.big}
    # The shown site's partials go with it: it passes the threshold on completes alone.
    assert sum(status == "partial" for _, status in rows) == 3

    # An administrator (who holds the contact list) still gets every row.
    everything = await _sites_in(conn, resources, SYSTEM, pid, pre.wave_id, fmt, tmp_path)
    assert len(everything) == 25
    assert sum(site == pre.small for site, _ in everything) == 12


async def test_ten_completes_are_shown_with_their_partials(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path
) -> None:
    pid = int(actors.programs["own"])
    pre = await seed_wave(conn, resources, pid, big=10, small=10)
    await _partials(conn, pid, pre.wave_id, pre.small, 3)
    plan = await plan_export(conn, evaluator(pid), resources, pid, pre.wave_id)
    assert plan.withheld == [] and plan.rows == 23
    rows = await _sites_in(conn, resources, evaluator(pid), pid, pre.wave_id, "csv", tmp_path)
    assert sum(site == pre.small for site, _ in rows) == 13


async def test_a_site_with_only_partials_is_withheld(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    pre = await seed_wave(conn, resources, pid, big=10, small=0)
    await _partials(conn, pid, pre.wave_id, pre.small, 12)
    plan = await plan_export(conn, evaluator(pid), resources, pid, pre.wave_id)
    assert [w.name for w in plan.withheld] == ["Small"] and plan.rows == 10


async def test_suspected_duplicates_do_not_lift_a_site_over_the_threshold(
    conn: Conn, resources: Any, actors: Any
) -> None:
    # 10 completes, one a suspected open-link duplicate: a report that leaves suspects
    # out hides the site, so the export, which cannot know the reader's choice, does.
    pid = int(actors.programs["own"])
    pre = await seed_wave(conn, resources, pid, big=10, small=10)
    await conn.execute(
        "UPDATE responses SET duplicate_suspect = true WHERE id = (SELECT min(id)"
        " FROM responses WHERE program_id = $1 AND wave_id = $2 AND site_id = $3)",
        pid, pre.wave_id, pre.small,
    )  # fmt: skip
    post = await seed_wave(conn, resources, pid, big=10, small=10, phase="post", name="After")
    report = await build_report(conn, evaluator(pid), resources, pid, pre=pre.wave_id,
                                post=post.wave_id, exclude_duplicates=True)
    assert {s.name: s.suppressed_pre for s in report.sites} == {"Big": False, "Small": True}
    plan = await plan_export(conn, evaluator(pid), resources, pid, pre.wave_id)
    assert [w.name for w in plan.withheld] == ["Small"] and plan.rows == 10
    assert plan.withheld[0].reason == (
        "fewer than 10 complete responses (10 complete, 1 of them suspected duplicates,"
        " 0 partial)"
    )
