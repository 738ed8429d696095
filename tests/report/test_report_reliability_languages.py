"""The reliability table's languages cannot be differenced: when one language's n is
suppressed in a construct × wave, the next-smallest is hidden too (as in the fieldwork
table's language rows), so all languages minus the shown ones never gives it back, in
the JSON report, report.html and report.pdf alike."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import pytest

from survey.db import Conn
from survey.report.model import Report
from tests.report.test_report_api import seed_own
from tests.report.test_report_result_tables import _table


async def test_a_small_language_takes_a_complement(
    client: Any, actors: Any, conn: Conn, resources: Any, tmp_path: Path
) -> None:
    pid = actors.programs["own"]
    ids = await seed_own(conn, resources, pid)
    # Everyone answered in English but two people at Alpha before.
    await conn.execute("UPDATE responses SET language = 'en' WHERE program_id = $1", pid)
    await conn.execute(
        "UPDATE responses SET language = 'es' WHERE id IN (SELECT id FROM responses WHERE "
        "site_id = $1 AND wave_id = $2 AND status = 'complete' ORDER BY id LIMIT 2)",
        ids["Alpha"], ids["pre"],
    )
    h = actors.headers("evaluator")
    r = await client.get(f"/api/v1/programs/{pid}/report?lang=en", headers=h)
    assert r.status_code == 200, r.text
    report = msgspec.json.decode(r.content, type=Report)
    pre = [x for x in report.reliability if x.wave_id == ids["pre"]]
    by_construct: dict[str, dict[str | None, Any]] = {}
    for x in pre:
        by_construct.setdefault(x.construct_id, {})[x.language] = x
    checked = 0
    for construct, rows in by_construct.items():
        if "es" not in rows:
            continue
        assert rows["es"].suppressed and rows["es"].n is None
        assert rows[None].n is not None and rows[None].n >= 10  # the total is shown
        # Without a complement: all languages − English = the two in Spanish.
        assert rows["en"].suppressed and rows["en"].n is None, construct
        assert rows["en"].alpha is None and not rows["en"].caution
        checked += 1
    assert checked >= 2
    # The post wave has one language only: nothing small, nothing hidden.
    post = [x for x in report.reliability if x.wave_id == ids["post"]]
    assert post and all(not x.suppressed for x in post)

    page = await client.get(f"/api/v1/programs/{pid}/report.html?lang=en", headers=h)
    assert page.status_code == 200
    rel = _table(page.text, "Cronbach's alpha per")
    before = [row for row in rel if row[1] == report.pre.name]
    assert len(before) == len(by_construct)
    for row in before:
        # Measure, wave, all languages, en, es: both languages hidden, the total shown.
        assert "(n " in row[2] and row[3].startswith("suppressed"), row
        assert row[4].startswith("suppressed"), row

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    pdf = await client.get(f"/api/v1/programs/{pid}/report.pdf?lang=en", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    start = text.index("Reliability (Cronbach")
    rows = [x for x in text[start:].splitlines()[: 12 * len(by_construct) + 20] if "(n " in x]
    # A shown total beside two hidden languages, never one hidden beside a shown one.
    assert sum(x.count("suppressed") == 2 for x in rows) == checked, rows
    assert not any(x.count("suppressed") == 1 for x in rows), rows
