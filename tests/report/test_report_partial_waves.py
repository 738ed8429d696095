"""A follow-up wave at some of the sites only, compared with the post wave: the sites
not in it read "not in this wave" in the forest plots as in their own sections, and
the reliability table and the methods' counts rest on the sites compared alone."""

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


async def _complete(conn: Conn, wave: int, site: int) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM responses WHERE wave_id = $1 AND site_id = $2 "
            "AND status = 'complete'",
            wave,
            site,
        )
    )


async def test_reliability_and_methods_count_the_compared_sites_only(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    seeded = await _follow_up(client, actors, conn, resources)
    report: Report = seeded["report"]
    ids, post, follow_up = seeded["ids"], seeded["ids"]["post"], seeded["follow_up"]
    alpha = ids["Alpha"]
    # Alpha alone is shown in both waves (Tiny is in both, but with too few responses);
    # Control and Fourteen have results in the post
    # wave but are not in the follow-up.
    assert [s.name for s in report.sites if not (s.suppressed_pre or s.suppressed_post)] == [
        "Alpha"
    ]
    q = resources.questionnaires["community-trust"]
    checked = 0
    for construct in q.constructs:
        if len(construct.items) < 2:
            continue
        for wave in (post, follow_up):
            # Listwise-complete respondents of the construct at Alpha, counted here.
            want = await conn.fetchval(
                "SELECT count(*) FROM responses r WHERE r.wave_id = $1 AND r.site_id = $2 "
                "AND r.status = 'complete' AND (SELECT count(*) FROM answers a "
                "WHERE a.response_id = r.id AND a.item_id = ANY($3::text[]) "
                "AND a.value_num IS NOT NULL AND a.missing IS NULL) = $4",
                wave,
                alpha,
                list(construct.items),
                len(construct.items),
            )
            got = next(
                r
                for r in report.reliability
                if (r.construct_id, r.wave_id, r.language) == (construct.id, wave, None)
            )
            if want < 10:
                assert got.suppressed and got.n is None
                continue
            assert got.n == want, (construct.id, wave, got.n, want)
            checked += 1
    assert checked >= 2
    everyone = await conn.fetchval(
        "SELECT count(*) FROM responses WHERE wave_id = $1 AND status = 'complete'", post
    )
    before, after = await _complete(conn, post, alpha), await _complete(conn, follow_up, alpha)
    assert everyone > before  # the other sites of the post wave are left out
    assert (
        f"It analyses complete responses only: {before} before and {after} after at the "
        "sites shown" in report.methods
    ), report.methods
    assert "1 program site has results in both waves" in report.methods
