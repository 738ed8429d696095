"""The printable report's "answers before and after" charts: one chart per scale, its
legend the scale of every bar in it, and alt text and data table giving the shares
of the answers seeded (no made-up counts)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.report.seeding import create_waves, write_responses
from survey.report.synthetic import SiteDesign
from survey.schemas import SiteIn
from survey.services import programs

DESIGN = [SiteDesign("Alpha", 20, 20), SiteDesign("Beta", 20, 20)]
# Known answers at Alpha: pre 2/4/6/8 of 20 (10/20/30/40 %), post 5 each (25 %).
COOP_PRE = [1] * 2 + [2] * 4 + [3] * 6 + [4] * 8
COOP_POST = [1, 2, 3, 4] * 5
# safety_dark: pre 20 × "Very unsafe", post 15 × "Safe-ish" (3) and 5 × 4.
SAFE_PRE = [1] * 20
SAFE_POST = [3] * 15 + [4] * 5
WAVES = ("Baseline 2025 (synthetic)", "Follow-up 2025 (synthetic)")


async def _seed(conn: Conn, resources: Any, pid: int) -> int:
    site_ids = {}
    for d in DESIGN:
        site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name=d.name))
        site_ids[d.name] = site.id
    pre, post, qhash = await create_waves(conn, resources, pid, list(site_ids.values()))
    q = resources.questionnaires["community-trust"]
    await write_responses(conn, q, qhash, pid, DESIGN, site_ids, (pre, post), seed=5)
    alpha = site_ids["Alpha"]
    for wave, answers in ((pre, {"coop_report": COOP_PRE, "safety_dark": SAFE_PRE}),
                          (post, {"coop_report": COOP_POST, "safety_dark": SAFE_POST})):
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE program_id = $1 AND wave_id = $2 "
                "AND site_id = $3 AND status = 'complete' ORDER BY id",
                pid,
                wave,
                alpha,
            )
        ]
        assert len(ids) == 20
        for item, values in answers.items():
            await conn.execute(
                "DELETE FROM answers WHERE program_id = $1 AND item_id = $2 "
                "AND response_id = ANY($3::bigint[])",
                pid,
                item,
                ids,
            )
            await conn.copy_records_to_table(
                "answers",
                records=[
                    (pid, rid, item, float(v), None, None)
                    for rid, v in zip(ids, values, strict=True)
                ],
                columns=(
                    "program_id", "response_id", "item_id", "value_num", "value_codes", "missing"
                ),
            )
    return alpha


def _charts(html: str, site_id: int) -> list[dict[str, Any]]:
    start = html.index(f'<article class="site" id="site-{site_id}">')
    section = html[start : html.index("</article>", start)]
    out = []
    for fig in re.findall(r'<figure class="chart">(.*?)</figure>', section, re.S):
        head = re.findall(r'<th scope="col">(.*?)</th>', fig, re.S)
        rows = [
            [unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(<td>.*?)</tr>", fig, re.S)
        ]
        alt = unescape(re.search(r'alt="([^"]*)"', fig)[1])  # type: ignore[index]
        out.append({"head": [unescape(h) for h in head], "rows": rows, "alt": alt})
    return out


async def test_each_chart_has_its_own_scale_and_the_seeded_shares(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    alpha = await _seed(conn, resources, pid)
    q = resources.questionnaires["community-trust"]
    items = {i.id: i for i in q.items}
    h = actors.headers("evaluator")
    r = await client.get(f"/api/v1/programs/{pid}/report.html?lang=en", headers=h)
    assert r.status_code == 200, r.text
    likert = [c for c in _charts(r.text, alpha) if c["head"][:2] == ["Question", "Wave"]]
    assert likert
    # Every bar's question has the scale of its chart's legend.
    for chart in likert:
        for row in chart["rows"]:
            item = next(i for i in items.values() if getattr(i, "prompt", None) == row[0])
            assert [p.label for p in item.points] == chart["head"][2:], row[0]
    coop = next(c for c in likert if c["head"][2] == "Very unlikely")
    safe = next(c for c in likert if c["head"][2] == "Very unsafe")
    assert {row[0] for row in coop["rows"]} == {
        items[i].prompt for i in ("coop_report", "coop_information", "coop_suspicious")
    }
    assert {row[0] for row in safe["rows"]} == {items["safety_dark"].prompt}
    # The seeded shares, in the table rows and the alt text; no count from a share.
    report = items["coop_report"].prompt
    assert [report, WAVES[0], "10%", "20%", "30%", "40%"] in coop["rows"]
    assert [report, WAVES[1], "25%", "25%", "25%", "25%"] in coop["rows"]
    assert (
        f"{report} — {WAVES[0]}: Very unlikely 10%, Somewhat unlikely 20%, "
        f"Somewhat likely 30%, Very likely 40%; {WAVES[1]}: Very unlikely 25%, "
        "Somewhat unlikely 25%, Somewhat likely 25%, Very likely 25%"
    ) in coop["alt"]
    dark = items["safety_dark"].prompt
    labels = [p.label for p in items["safety_dark"].points]
    assert safe["rows"] == [
        [dark, WAVES[0], "100%", "0%", "0%", "0%"],
        [dark, WAVES[1], "0%", "0%", "75%", "25%"],
    ]
    assert (
        f"{dark} — {WAVES[0]}: {labels[0]} 100%, {labels[1]} 0%, {labels[2]} 0%, "
        f"{labels[3]} 0%; {WAVES[1]}: {labels[0]} 0%, {labels[1]} 0%, {labels[2]} 75%, "
        f"{labels[3]} 25%"
    ) in safe["alt"]
    assert "(0)" not in coop["alt"] + safe["alt"]
