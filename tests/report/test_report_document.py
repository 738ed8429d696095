"""The printable report (HTML, and the PDF drawn from it): counts read as whole numbers
in the reader's locale, a site without a target says so, and single-item results are
there with the numbers of the JSON report."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from survey.access import SYSTEM
from survey.db import Conn
from survey.report.model import Report
from survey.report.seeding import create_waves, write_responses
from survey.report.synthetic import SiteDesign
from survey.schemas import SiteIn
from survey.services import programs

pytest.importorskip("survey.report.seeding")

DESIGN = [
    SiteDesign("Alpha", 30, 32, {"trust": 0.8}),
    SiteDesign("Fourteen", 14, 14),
    SiteDesign("Control", 24, 22, comparison=True),
    SiteDesign("Tiny", 4, 5),
]


async def _seed(
    conn: Conn, resources: Any, pid: int, questionnaire: str = "community-trust"
) -> dict[str, int]:
    site_ids = {}
    for d in DESIGN:
        site = await programs.create_site(
            conn, SYSTEM, pid, SiteIn(name=d.name, comparison=d.comparison)
        )
        site_ids[d.name] = site.id
    pre, post, qhash = await create_waves(
        conn, resources, pid, list(site_ids.values()), questionnaire_id=questionnaire
    )
    q = resources.questionnaires[questionnaire]
    await write_responses(
        conn, q, qhash, pid, DESIGN, site_ids, (pre, post), seed=3,
        extras=questionnaire == "community-trust",
    )
    # A blank target in the wizard is stored as 0: the site has none.
    await conn.execute(
        "UPDATE wave_sites SET target_n = 0 WHERE site_id = $1", site_ids["Fourteen"]
    )
    return {"pre": pre, "post": post, **site_ids}


def _cells(html: str, row_header: str) -> list[str]:
    """The text of each cell in the first table row whose header starts ``row_header``."""
    match = re.search(
        r'<tr[^>]*>\s*<th scope="row">'
        + re.escape(row_header)
        + r"[^<]*(?:<span[^>]*>[^<]*</span>)?</th>(.*?)</tr>",
        html,
        re.S,
    )
    assert match, row_header
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match[1], re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


async def test_counts_are_whole_numbers_and_no_target_is_said(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    alpha = next(s for s in report.sites if s.name == "Alpha")
    fw = report.fieldwork[0]
    assert (alpha.n_pre, alpha.n_post) == (30, 32)
    for lang in ("en", "es"):
        r = await client.get(f"/api/v1/programs/{pid}/report.html?lang={lang}", headers=h)
        assert r.status_code == 200, r.text
        html = r.text
        assert re.search(r"Baseline 2025 \(synthetic\) 30, Follow-up 2025 \(synthetic\) 32<", html)
        assert fw.complete.value == 68 and ": 68 · " in html
        # n columns of the construct table: whole numbers.
        trust = next(c for c in alpha.constructs if c.construct_id == "trust")
        assert trust.pre.n is not None and trust.post.n is not None
        site_rows = html[html.index('id="site-'):]
        row = _cells(site_rows, "Trust and confidence in police")  # constructs: English labels
        assert row[:2] == [str(trust.pre.n), str(trust.post.n)], row
        # Fieldwork: targets and counts per site; Fourteen has no target.
        assert _cells(html, "Alpha")[:2] == ["200", "30"]
        no_target = "sin meta" if lang == "es" else "no target"
        assert _cells(html, "Fourteen")[0] == f"– ({no_target})"
        # Nowhere a count with a decimal: "30.0", "200,0", "1,234.0".
        counts = [str(v) for v in (30, 32, 200, fw.complete.value, trust.pre.n)]
        for n in counts:
            assert not re.search(rf"\b{n}[.,]0\b", html), (lang, n)
