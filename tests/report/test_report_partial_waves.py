"""A follow-up wave at some of the sites only, compared with the post wave: the sites
not in it read "not in this wave" in the forest plots as in their own sections."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import msgspec
import pytest

from survey.db import Conn
from survey.report.model import Report
from tests.report.test_report_api import seed_own
from tests.report.test_report_open_waves import _answer, _open_wave


async def _follow_up(client: Any, actors: Any, conn: Conn, resources: Any) -> dict[str, Any]:
    pid = actors.programs["own"]
    ids = await seed_own(conn, resources, pid)
    follow_up = await _open_wave(conn, resources, pid, [ids["Alpha"], ids["Tiny"]])
    await _answer(conn, resources, pid, ("Alpha", ids["Alpha"]), follow_up)
    query = f"?lang=en&pre={ids['post']}&post={follow_up}"
    r = await client.get(
        f"/api/v1/programs/{pid}/report{query}", headers=actors.headers("evaluator")
    )
    assert r.status_code == 200, r.text
    return {
        "pid": pid,
        "ids": ids,
        "follow_up": follow_up,
        "query": query,
        "report": msgspec.json.decode(r.content, type=Report),
    }


def _forest_rows(html: str) -> dict[str, list[str]]:
    """The first forest plot's data table, site → its cells."""
    start = html.index('<figure class="chart">')
    table = html[start : html.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :])
    out = {}
    for row in rows:
        cells = [unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
        out[cells[0]] = cells[1:]
    return out


async def test_a_site_outside_the_follow_up_is_not_said_suppressed_in_the_forest(
    client: Any, actors: Any, conn: Conn, resources: Any, tmp_path: Path
) -> None:
    seeded = await _follow_up(client, actors, conn, resources)
    report: Report = seeded["report"]
    status = {s.name: s.status_post for s in report.sites}
    assert status["Fourteen"] == "not_in_wave" and status["Tiny"] == "suppressed"
    h = actors.headers("evaluator")
    page = await client.get(
        f"/api/v1/programs/{seeded['pid']}/report.html{seeded['query']}", headers=h
    )
    assert page.status_code == 200
    rows = _forest_rows(page.text)
    absent = ["not in this wave", "the site is not one of this wave's sites"]
    # Fourteen had 14 responses before: not a small cell, just not asked afterwards;
    # Empty is out of the follow-up too, which says more than its empty post wave.
    assert rows["Fourteen"] == absent
    assert rows["Empty"] == absent
    # In the follow-up but with nobody answering there: a small cell, as before.
    assert rows["Tiny"] == ["suppressed", "fewer than 10 respondents"]
    assert rows["Alpha"][0] not in ("suppressed", "not in this wave")
    alt = unescape(re.search(r'<figure class="chart">\s*<img [^>]*alt="([^"]*)"', page.text)[1])
    assert "Fourteen: not in this wave" in alt and "Tiny: –" in alt
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    pdf = await client.get(
        f"/api/v1/programs/{seeded['pid']}/report.pdf{seeded['query']}", headers=h
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    line = next(x for x in text.splitlines() if re.match(r"\s*Fourteen\s", x) and "wave" in x)
    assert "not in this wave" in line and "fewer than 10" not in line, line

