"""The monitor's chart numbers as text: completes per day (each on its site's local
day) by channel, with total and running total, most recent first; and the "Updated"
time its script polls, formatted by the server as the page formats it."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

from babel.dates import format_datetime
from forms import Staff, give_password

from survey.db import Conn


async def _seeded_monitor(client: Any, conn: Conn, res: Any) -> tuple[Staff, str]:
    from reportdata import seed_report_program

    seeded = await seed_report_program(conn, res, sites=("King County",), scale=0.1)
    pid, wave = seeded.program_id, seeded.post_id
    await conn.execute(
        "INSERT INTO program_members (program_id, user_id) "
        "SELECT $1, id FROM users WHERE email = 'grantee@example.org'",
        pid,
    )
    await give_password(conn)
    # Three completes: one on a Pacific evening (the next day in UTC), two the next day.
    await conn.execute(
        "UPDATE responses SET status = 'partial', submitted_at = NULL WHERE wave_id = $1", wave
    )
    ids = await conn.fetch("SELECT id FROM responses WHERE wave_id = $1 ORDER BY id LIMIT 3", wave)
    utc = dt.UTC
    for (rid,), (at, channel) in zip(ids, (
        (dt.datetime(2026, 3, 2, 3, 0, tzinfo=utc), "web"),  # 1 March, 7 p.m. PST
        (dt.datetime(2026, 3, 2, 20, 0, tzinfo=utc), "web"),
        (dt.datetime(2026, 3, 2, 21, 0, tzinfo=utc), "sms"),
    ), strict=True):
        await conn.execute(
            "UPDATE responses SET status = 'complete', submitted_at = $2, channel = $3 "
            "WHERE id = $1", rid, at, channel,
        )
    await conn.execute(
        "UPDATE sites SET timezone = 'America/Los_Angeles' WHERE program_id = $1", pid
    )
    staff = Staff(client)
    await staff.login("grantee@example.org")
    return staff, f"/dashboard/programs/{pid}/waves/{wave}/monitor"


def _daily(html: str) -> list[list[str]]:
    region = re.search(
        r'<div class="table-scroll" tabindex="0" role="region" aria-labelledby="daily-h">'
        r"(.*?)</div>", html, re.S,
    )
    assert region, "no completes-per-day region"
    return [
        [unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", region.group(1), re.S)
    ]


async def test_the_monitor_lists_completes_per_local_day(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    staff, url = await _seeded_monitor(client, conn, resources)
    r = await staff.get(f"{url}?lang=en")
    assert r.status_code == 200
    assert '<h3 id="daily-h">Completes per day</h3>' in r.text
    assert "the table “Completes per day” below holds the same numbers" in unescape(r.text)
    assert _daily(r.text) == [
        ["Day", "Web survey", "Text messages (SMS)", "Total", "Cumulative total"],
        ["Mar 2, 2026", "1", "1", "2", "3"],
        ["Mar 1, 2026", "1", "0", "1", "1"],
    ]
    r = await staff.get(f"{url}?lang=es")
    assert _daily(r.text) == [
        ["Día", "Encuesta web", "Mensajes de texto (SMS)", "Total", "Total acumulado"],
        ["2 mar 2026", "1", "1", "2", "3"],
        ["1 mar 2026", "1", "0", "1", "1"],
    ]


async def test_the_polled_json_carries_the_updated_text_and_the_daily_table(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    staff, url = await _seeded_monitor(client, conn, resources)
    page = await staff.get(f"{url}?lang=es")
    poll = re.search(r'data-poll="([^"]+)"', page.text)
    assert poll
    r = await staff.get(unescape(poll.group(1)))
    # Neither handler sets it: survey.logs' rule for /dashboard and /api/ covers both.
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    api = await client.get(url.replace("/dashboard/", "/api/v1/").replace("/monitor", "/fieldwork"))
    assert api.status_code == 200, api.text
    assert api.headers["cache-control"] == "no-store"
    assert api.json()["complete"] == 3
    data = r.json()
    # The page's numbers still come with it, and the texts the page shows.
    assert data["complete"] == 3
    as_of = dt.datetime.fromisoformat(data["as_of"])
    when = format_datetime(as_of, "short", tzinfo="America/Los_Angeles", locale="es_US")
    assert data["updated_text"].startswith(f"Actualizado {when} (hora "), data["updated_text"]
    assert "Pacífico" in data["updated_text"]
    table = data["daily_table"]
    assert [table["head"], *table["rows"]] == _daily(page.text)
