"""A contact list over the body limit: the page says how large a file may be and what
to do, in the reader's language. Before, it said "Something went wrong" and Litestar's
English "Request Entity Too Large"; the API's JSON now names the limit too."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from forms import signed_in

from survey.access import SYSTEM
from survey.config import Settings
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, max_body_bytes=1_500_000)


async def test_a_file_over_the_limit_is_explained(
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
    rows = b"".join(b"20655%05d,en,King\n" % i for i in range(80_000))
    sheet = b"phone,language,site\n" + rows
    assert len(sheet) > 1_500_000

    big = await staff.submit(page, "/contacts", files={"file": ("c.csv", sheet, "text/csv")})
    assert big.status_code == 413
    assert ("This file is larger than 1.5\u00a0MB, the most one upload may be. Split it "
            "into smaller files and upload them one after another.") in big.text
    assert "Request Entity Too Large" not in big.text

    client.cookies.set("survey_dash_lang", "es")
    grande = await staff.submit(page, "/contacts", files={"file": ("c.csv", sheet, "text/csv")})
    client.cookies.delete("survey_dash_lang")
    assert grande.status_code == 413
    # US Spanish (es_US) writes a decimal point, as the rest of the dashboard does.
    assert "Este archivo pesa más de 1.5\u00a0MB, el máximo de una carga." in grande.text
    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE program_id = $1", pid) == 0

    api = await client.post(
        f"/api/v1/programs/{pid}/contacts", content=sheet,
        headers={**actors.headers("grantee"), "Content-Type": "text/csv"},
    )
    assert api.status_code == 413
    assert api.json()["detail"] == (
        "Request body too large: at most 1500000 bytes (SURVEY_MAX_BODY_BYTES)")
