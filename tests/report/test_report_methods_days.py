"""The methods paragraph names a wave's dates as days in its sites' time zone, as the
wizard took them and the dashboard shows them: ``closes_at`` is the exclusive midnight
after the last open day, so its UTC date read a day late ("open until 1 July" for a
Washington wave open through 30 June). JSON, HTML in English and Spanish, and the PDF
drawn from the HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import unescape
from typing import Any

import msgspec

from survey.access import SYSTEM
from survey.db import Conn
from survey.i18n import format_date
from survey.report.model import Report
from survey.report.seeding import create_waves, write_responses
from survey.report.synthetic import SiteDesign
from survey.schemas import SiteIn
from survey.services import programs

DESIGN = [SiteDesign("Alpha", 14, 14), SiteDesign("Beta", 14, 14)]

# Midnight in Los Angeles (PDT) after the last open day: 07:00 UTC the next day.
PRE_OPENS = datetime(2025, 3, 1, 8, tzinfo=UTC)  # midnight PST, 1 March
PRE_CLOSES = datetime(2025, 4, 16, 7, tzinfo=UTC)  # last open day 15 April 2025
POST_CLOSES = datetime(2027, 7, 1, 7, tzinfo=UTC)  # last open day 30 June 2027 (future)


def _methods(html: str) -> str:
    start = html.index('<section class="methods"')
    return unescape(html[start : html.index("</section>", start)])


async def test_methods_say_the_last_open_day_in_the_sites_zone(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    site_ids = {}
    for d in DESIGN:  # SiteIn's zone: America/Los_Angeles
        site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name=d.name))
        site_ids[d.name] = site.id
    assert {r["timezone"] for r in await conn.fetch(
        "SELECT timezone FROM sites WHERE program_id = $1", pid)} == {"America/Los_Angeles"}
    pre, post, qhash = await create_waves(conn, resources, pid, list(site_ids.values()))
    await write_responses(conn, resources.questionnaires["community-trust"], qhash, pid,
                          DESIGN, site_ids, (pre, post), seed=5, extras=True)
    await conn.execute("UPDATE waves SET opens_at = $2, closes_at = $3 WHERE id = $1",
                       pre, PRE_OPENS, PRE_CLOSES)
    # The post wave still in the field, open through 30 June 2027.
    await conn.execute("UPDATE waves SET state = 'open', closed_at = NULL, closes_at = $2"
                       " WHERE id = $1", post, POST_CLOSES)

    h = actors.headers("evaluator")
    query = f"pre={pre}&post={post}"
    r = await client.get(f"/api/v1/programs/{pid}/report?{query}", headers=h)
    assert r.status_code == 200, r.text
    report = msgspec.json.decode(r.content, type=Report)
    assert "opened 2025-03-01 and closed 2025-04-15)" in report.methods, report.methods
    assert "and open until 2027-06-30)" in report.methods, report.methods
    assert "2025-04-16" not in report.methods and "2027-07-01" not in report.methods
    assert (report.pre.last_day, report.post.last_day) == (date(2025, 4, 15), date(2027, 6, 30))
    assert report.pre.first_day == date(2025, 3, 1)

    for lang in ("en", "es"):
        r = await client.get(f"/api/v1/programs/{pid}/report.html?lang={lang}&{query}",
                             headers=h)
        assert r.status_code == 200, r.text
        methods = _methods(r.text)
        # English shows the JSON's paragraph word for word (ISO dates); Spanish its own.
        said = date.isoformat if lang == "en" else (lambda d: format_date(d, "es"))
        for day in (date(2025, 4, 15), date(2027, 6, 30)):
            assert said(day) in methods, (lang, day, methods)
        for late in (date(2025, 4, 16), date(2027, 7, 1)):
            assert said(late) not in methods, (lang, late, methods)
    assert f"abierta hasta el {format_date(date(2027, 6, 30), 'es')}" in methods

    pdf = await client.get(f"/api/v1/programs/{pid}/report.pdf?{query}", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_a_wave_closed_by_hand_says_the_day_it_closed(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    """Closed on 20 March (local) though planned through 15 April: the paragraph must
    not claim fieldwork ran for another month."""
    pid = actors.programs["own"]
    site_ids = {}
    for d in DESIGN:
        site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name=d.name))
        site_ids[d.name] = site.id
    pre, post, qhash = await create_waves(conn, resources, pid, list(site_ids.values()))
    await write_responses(conn, resources.questionnaires["community-trust"], qhash, pid,
                          DESIGN, site_ids, (pre, post), seed=6, extras=True)
    # 21 March 03:00 UTC is still 20 March in Los Angeles (PDT, UTC-7).
    await conn.execute("UPDATE waves SET opens_at = $2, closes_at = $3, state = 'closed',"
                       " closed_at = $4 WHERE id = $1",
                       pre, PRE_OPENS, PRE_CLOSES, datetime(2025, 3, 21, 3, tzinfo=UTC))
    # No planned end at all, closed by hand: it still reads closed, on its day.
    await conn.execute("UPDATE waves SET opens_at = $2, closes_at = NULL, state = 'closed',"
                       " closed_at = $3 WHERE id = $1",
                       post, datetime(2025, 9, 1, 7, tzinfo=UTC),
                       datetime(2025, 10, 2, 18, tzinfo=UTC))
    h = actors.headers("evaluator")
    r = await client.get(f"/api/v1/programs/{pid}/report?pre={pre}&post={post}", headers=h)
    assert r.status_code == 200, r.text
    report = msgspec.json.decode(r.content, type=Report)
    assert "opened 2025-03-01 and closed 2025-03-20)" in report.methods, report.methods
    assert "opened 2025-09-01 and closed 2025-10-02)" in report.methods, report.methods
    assert "2025-04-15" not in report.methods
    assert (report.pre.last_day, report.post.last_day) == (date(2025, 3, 20), date(2025, 10, 2))
