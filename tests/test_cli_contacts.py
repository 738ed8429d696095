"""``survey contacts purge --wave W`` as an operator runs it: refused while the wave is
open, then the closed wave's contact details are gone and only counts are printed."""

from __future__ import annotations

from typing import Any

from cli_run import Ran, survey

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, ProgramIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves

PHONES = ["+12065550181", "+12065550182"]


def run(args: list[str], database_url: str) -> Ran:
    """The command in this process (see cli_run): its output, status and what it
    leaves in the database are the test's subject, not the process."""
    return survey(args, {"SURVEY_DATABASE_URL": database_url})


async def test_purge_a_closed_wave_from_the_command_line(
    database_url: str, conn: Conn, resources: Any
) -> None:
    program = await programs.create_program(conn, SYSTEM, ProgramIn(slug="cli-purge", name="P"))
    site = await programs.create_site(conn, SYSTEM, program.id, SiteIn(name="King"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, program.id,
        WaveIn(name="W", phase="pre", questionnaire_id="pulse",
               sites=[WaveSiteIn(site_id=site.id)]),
    )
    await waves.launch_wave(conn, SYSTEM, resources, program.id, wave.id, LaunchIn())
    for n, phone in enumerate(PHONES):
        await conn.execute(
            "WITH c AS (INSERT INTO contacts (program_id, phone_e164, site_id)"
            " VALUES ($1, $2, $3) RETURNING id)"
            " INSERT INTO invitations (program_id, wave_id, site_id, channel, token_hash,"
            " contact_id) SELECT $1, $4, $3, 'web', $5, id FROM c",
            program.id, phone, site.id, wave.id, bytes([n + 1]))

    refused = run(["contacts", "purge", "--wave", str(wave.id)], database_url)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "survey: error: Only a closed wave's contacts can be purged; this wave is open")
    missing = run(["contacts", "purge", "--wave", "999999"], database_url)
    assert missing.returncode == 1 and "999999" in missing.stderr
    await waves.close_wave(conn, SYSTEM, program.id, wave.id)

    done = run(["contacts", "purge", "--wave", str(wave.id)], database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"purged 2 contact(s) of wave {wave.id}: 2 personal link(s)"
                           " withdrawn, 0 waiting text(s) canceled\n")
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM invitations WHERE contact_id IS NULL AND wave_id = $1",
        wave.id) == 2
    assert not any(p in done.stdout + done.stderr for p in PHONES)
