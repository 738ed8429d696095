"""A contact list uploaded while the database is away: the 503 page must not offer a
"Try again" form, which would post the other fields and leave the file out (then
"choose a CSV file" and nothing imported, after promising to send it again)."""

from __future__ import annotations

from typing import Any

from forms import signed_in
from test_dashboard_outage import outage

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves


async def test_an_upload_in_an_outage_gets_no_retry_form_without_its_file(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    king = await programs.create_site(conn, SYSTEM, pid, SiteIn(name="King"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(name="Texted", phase="pre", questionnaire_id="pulse", languages=["en"],
               channels=["sms", "web"], sms_mode="link", sites=[WaveSiteIn(site_id=king.id)]),
    )
    await waves.launch_wave(conn, SYSTEM, resources, pid, wave.id, LaunchIn())
    staff = await signed_in(client, conn)
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave.id}/setup/contacts")
    sheet = b"phone,language,site\n2065550100,en,King\n"
    async with outage(client):
        r = await staff.submit(page, "/contacts", files={"file": ("c.csv", sheet, "text/csv")})
    assert r.status_code == 503
    assert f'action="/dashboard/programs/{pid}/waves/{wave.id}/contacts' not in r.text
    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE program_id = $1", pid) == 0
