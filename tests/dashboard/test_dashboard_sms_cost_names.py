"""The SMS cost tables (the wave's texting page and the wizard's channels step) name
each language in the reader's language, as every other dashboard table does, not by
its code."""

from __future__ import annotations

import re
from typing import Any

from forms import Staff, give_password

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves

LANGUAGES = ["en", "es", "vi", "zh_Hans", "ar"]
SPANISH_NAMES = ["inglés", "español", "vietnamita", "chino (simplificado)", "árabe"]


async def _wave(conn: Conn, resources: Any, program_id: int, *, launch: bool) -> int:
    site = await programs.create_site(conn, SYSTEM, program_id, SiteIn(name="Spokane"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, program_id,
        WaveIn(name="Texted", phase="pre", questionnaire_id="pulse", languages=LANGUAGES,
               channels=["sms", "web"], sms_mode="link", allow_unreviewed=True,
               sites=[WaveSiteIn(site_id=site.id)]),
    )
    if launch:
        await waves.launch_wave(conn, SYSTEM, resources, program_id, wave.id,
                                LaunchIn(override_languages=LANGUAGES, reason="test: drafts"))
    await give_password(conn)
    return wave.id


def _first_cells(html: str, heading: str) -> list[str]:
    section = html[html.index(heading):]
    body = section[section.index("<tbody>"):section.index("</tbody>")]
    return re.findall(r"<tr><td>([^<]*)</td>", body)


async def test_outreach_cost_table_names_languages(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _wave(conn, resources, pid, launch=True)
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}/outreach?lang=es")
    assert page.status_code == 200
    assert _first_cells(page.text, 'id="cost-caption"') == SPANISH_NAMES


async def test_wizard_sms_estimate_names_languages(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _wave(conn, resources, pid, launch=False)
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels?lang=es")
    assert page.status_code == 200
    assert _first_cells(page.text, 'id="sms-h"') == SPANISH_NAMES
