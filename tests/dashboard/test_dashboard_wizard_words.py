"""The wave wizard speaks the reader's language all through: the wave's state, the SMS
cost note under the estimate and its own refusals, not stored values or English."""

from __future__ import annotations

import re
from typing import Any

from forms import Staff, give_password

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves


async def _wave(
    conn: Conn, resources: Any, program_id: int, *, mode: str, launch: bool
) -> int:
    site = await programs.create_site(conn, SYSTEM, program_id, SiteIn(name=f"Spokane {mode}"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, program_id,
        WaveIn(name="Baseline 2026", phase="pre", questionnaire_id="pulse",
               languages=["en", "es"], channels=["sms", "web"], sms_mode=mode,  # type: ignore[arg-type]
               allow_unreviewed=True, sites=[WaveSiteIn(site_id=site.id)]),
    )
    if launch:
        await waves.launch_wave(conn, SYSTEM, resources, program_id, wave.id,
                                LaunchIn(override_languages=["es"], reason="test: drafts"))
    await give_password(conn)
    return wave.id


def _crumb_state(html: str) -> str:
    found = re.search(r'class="crumbs">.*?: <strong>([^<]*)</strong>', html)
    assert found, html[:2000]
    return found.group(1)


async def test_an_open_wave_says_its_state_in_spanish(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _wave(conn, resources, pid, mode="link", launch=True)
    staff = Staff(client)
    await staff.login("grantee@example.org")
    base = f"/dashboard/programs/{pid}/waves/{wave_id}/setup"
    launch = await staff.get(f"{base}/launch?lang=es")
    assert launch.status_code == 200
    assert "Esta ola está abierta." in launch.text
    assert "está open" not in launch.text
    assert _crumb_state(launch.text) == "Abierta"
    contacts = await staff.get(f"{base}/contacts?lang=es")
    assert _crumb_state(contacts.text) == "Abierta"
    english = await staff.get(f"{base}/launch?lang=en")
    assert "This wave is open." in english.text and _crumb_state(english.text) == "Open"


async def test_the_sms_cost_note_is_in_spanish(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    link = await _wave(conn, resources, pid, mode="link", launch=False)
    texted = await _wave(conn, resources, pid, mode="conversation", launch=False)
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{link}/setup/channels?lang=es")
    assert page.status_code == 200
    assert _crumb_state(page.text) == "Borrador"
    assert "no incluye los recordatorios" in page.text
    assert "reminders not included" not in page.text
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{texted}/setup/channels?lang=es")
    assert "reminders" not in page.text, page.text[-1500:]
    assert "recordatorios" in page.text
    english = await staff.get(f"/dashboard/programs/{pid}/waves/{link}/setup/channels?lang=en")
    assert "One text with the personal link per contact; reminders not included." in english.text


async def _post_channels(
    client: Any, actors: Any, conn: Conn, resources: Any, **how: Any
) -> tuple[Any, int]:
    """The channels step of a draft wave, posted in Spanish with ``how`` changed."""
    pid = actors.programs["own"]
    wave_id = await _wave(conn, resources, pid, mode="link", launch=False)
    staff = Staff(client)
    await staff.login("grantee@example.org")
    path = f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels"
    page = await staff.get(f"{path}?lang=es")
    return await staff.submit(page, path, **how), wave_id


async def test_a_step_left_empty_says_why_in_spanish(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    refused, _ = await _post_channels(client, actors, conn, resources, drop=("channels",))
    assert refused.status_code == 422
    assert "<strong>Canales</strong>: Elija al menos un canal." in refused.text


async def test_a_date_typed_wrong_is_named_and_explained(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    # A browser without a date picker sends what was typed.
    refused, wave_id = await _post_channels(
        client, actors, conn, resources, changes={"closes_at": "31/03/2026"}
    )
    assert refused.status_code == 422
    assert ("<strong>Cierra el</strong>: 31/03/2026 no es una fecha; escríbala como "
            "AAAA-MM-DD, p. ej., 2026-03-31") in refused.text, refused.text[-2000:]
    assert await conn.fetchval("SELECT closes_at FROM waves WHERE id = $1", wave_id) is None
