"""A wave opens and closes in the years 2000 to 9998. A closing day of 31 December 9999
has no next midnight to close at, and an instant at either end of time has no local
day: the wizard answered 500, and a wave given such a date through the API made its
dashboard pages a 500 for good. Now both say which field is wrong, and a wave already
holding such a date (stored before) still shows."""

from __future__ import annotations

from typing import Any

import pytest
from forms import Staff
from test_dashboard_wave_dates import _dates, _draft, _stored

from survey.db import Conn

OUT_OF_YEARS = {
    "en": "must be in the years 2000 to 9998",
    "es": "debe estar entre los años 2000 y 9998",
}
# A day the wizard cannot turn into an instant, and instants no page could show:
# 9999-12-31 ends after the last midnight there is; 0001-01-01 at 02:00 UTC is
# the evening before the first day in Los Angeles.
EXTREMES = [
    ("America/Los_Angeles", "closes_at", "9999-12-31", "9999-12-31T20:00:00Z"),
    ("Asia/Tokyo", "closes_at", "9999-12-31", "9999-12-31T20:00:00Z"),
    ("America/Los_Angeles", "opens_at", "0001-01-01", "0001-01-01T02:00:00Z"),
]


@pytest.mark.parametrize(("zone", "field", "day", "_instant"), EXTREMES)
async def test_the_wizard_refuses_a_day_at_the_ends_of_time_in_words(
    client: Any, actors: Any, conn: Conn, resources: Any, zone: str, field: str, day: str,
    _instant: str,
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, [zone])
    staff = Staff(client)
    await staff.login("grantee@example.org")
    url = f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels"
    saved = {"opens_at": "2027-03-01", "closes_at": "2027-03-31"}
    assert (await staff.submit(await staff.get(url), "/setup/channels", saved)).status_code == 303
    before = await _stored(conn, wave_id)
    typed = {**saved, field: day}
    label = {"opens_at": {"en": "Opens on", "es": "Abre el"},
             "closes_at": {"en": "Closes on", "es": "Cierra el"}}[field]
    for lang in ("en", "es"):
        r = await staff.submit(await staff.get(f"{url}?lang={lang}"), "/setup/channels", typed)
        assert r.status_code == 422, r.text
        # The field in the form's words, not its name in the API.
        assert f"<strong>{label[lang]}</strong>: {OUT_OF_YEARS[lang]}" in r.text
        assert _dates(r.text) == typed  # what was typed, not what is stored
    assert await _stored(conn, wave_id) == before


@pytest.mark.parametrize(("zone", "field", "_day", "instant"), EXTREMES)
async def test_the_api_refuses_an_instant_at_the_ends_of_time(
    client: Any, actors: Any, conn: Conn, resources: Any, zone: str, field: str, _day: str,
    instant: str,
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, [zone])
    h = actors.headers("grantee")
    r = await client.patch(f"/api/v1/programs/{pid}/waves/{wave_id}", json={field: instant},
                           headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [
        {"field": field, "reason": OUT_OF_YEARS["en"], "code": "out_of_range"}
    ]
    body = {"name": "Far off", "phase": "pre", "questionnaire_id": "pulse",
            "languages": ["en"], field: instant}
    r = await client.post(f"/api/v1/programs/{pid}/waves", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["extra"]] == [field]
    assert await conn.fetchval("SELECT count(*) FROM waves WHERE name = 'Far off'") == 0
    # The years' own ends are fine.
    edge = "9998-12-31T00:00:00Z" if field == "closes_at" else "2000-01-01T00:00:00Z"
    r = await client.patch(f"/api/v1/programs/{pid}/waves/{wave_id}", json={field: edge},
                           headers=h)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("zone", "field", "_day", "instant"), EXTREMES)
async def test_a_wave_stored_with_such_a_date_still_shows(
    client: Any, actors: Any, conn: Conn, resources: Any, zone: str, field: str, _day: str,
    instant: str,
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, [zone])
    await conn.execute(f"UPDATE waves SET {field} = $2::text::timestamptz WHERE id = $1",
                       wave_id, instant)
    staff = Staff(client)
    await staff.login("grantee@example.org")
    for url in (f"/dashboard/programs/{pid}/waves/{wave_id}",
                f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels",
                f"/dashboard/programs/{pid}"):
        page = await staff.get(url)
        assert page.status_code == 200, (url, page.status_code)
