"""The report page and its HTML/PDF downloads take the JSON report's choices: weighting
to population margins and leaving out suspected duplicates (a review found
``report.html?weighted=true`` answered with the unweighted document)."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from forms import Staff

from survey.db import Conn

pytest.importorskip("survey.report.seeding")

MARGINS = (
    "site,variable,category,population\n"
    "King County,gender,woman,5000\nKing County,gender,man,5000\n"
    "Cowlitz County,gender,woman,5100\nCowlitz County,gender,man,4900\n"
)
WEIGHTED = "Estimates are weighted: each site's respondents were raked"


async def test_weighting_and_duplicates_reach_the_page_and_downloads(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    from reportdata import seed_report_program

    seeded = await seed_report_program(
        conn, resources, sites=("King County", "Cowlitz County", "Okanogan County")
    )
    pid = seeded.program_id
    await conn.execute(
        "INSERT INTO program_members (program_id, user_id) "
        "SELECT $1, id FROM users WHERE email = 'evaluator@example.org'",
        pid,
    )
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    api = f"/api/v1/programs/{pid}"
    page_url = f"/dashboard/programs/{pid}/report"

    # No margins yet: the downloads refuse a weighted report as the JSON report does.
    json_refusal = await client.get(f"{api}/report?weighted=true")
    assert json_refusal.status_code == 422
    for kind in ("html", "pdf"):
        refused = await client.get(f"{api}/report.{kind}?weighted=true&lang=en")
        assert refused.status_code == 422, (kind, refused.text[:300])
        assert refused.json()["extra"] == json_refusal.json()["extra"]
    page = await staff.get(f"{page_url}?weighted=true")
    assert page.status_code == 200
    assert "Weight to population margins: no margins uploaded for this program" in unescape(
        page.text
    )

    stored = await client.put(
        f"{api}/report/margins",
        content=MARGINS,
        headers={**actors.headers("evaluator"), "content-type": "text/csv"},
    )
    assert stored.status_code == 200, stored.text
    plain = await client.get(f"{api}/report.html?lang=en")
    assert plain.status_code == 200 and WEIGHTED not in unescape(plain.text)
    weighted = await client.get(f"{api}/report.html?weighted=true&lang=en")
    assert weighted.status_code == 200, weighted.text[:300]
    text = unescape(weighted.text)
    assert WEIGHTED in text and "Estimates are weighted to population margins." in text
    assert "(gender)" in text
    pdf = await client.get(f"{api}/report.pdf?weighted=true&exclude_duplicates=true")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    kept = await client.get(f"{api}/report.html?exclude_duplicates=true&lang=en")
    assert "suspected duplicate open-link responses excluded" in unescape(kept.text)
    assert "suspected duplicate open-link responses included" in unescape(plain.text)

    # The page offers both choices, keeps them checked, and its downloads carry them.
    page = await staff.get(f"{page_url}?weighted=true&exclude_duplicates=true&lang=en")
    assert page.status_code == 200, page.text[:300]
    html = page.text
    assert '<label for="weighted">Weight to population margins</label>' in html
    assert 'name="weighted" value="true" checked' in html
    assert 'name="exclude_duplicates" value="true" checked' in html
    assert WEIGHTED in unescape(html)
    for kind in ("html", "pdf"):
        assert f"report.{kind}?pre=" in html
        link = html[html.index(f"report.{kind}?pre="):]
        link = unescape(link[: link.index('"')])
        assert "&weighted=true" in link and "&exclude_duplicates=true" in link, link
    unchecked = (await staff.get(f"{page_url}?lang=en")).text
    assert 'name="weighted" value="true">' in unchecked and "weighted=true" not in unchecked
