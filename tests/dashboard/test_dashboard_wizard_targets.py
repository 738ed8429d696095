"""The Sites step reads a target grouped the way the page's language writes numbers:
its own message says "1 to 1,000,000", so "1,200" must be taken, and "1.200" from a
Spanish reader; decimals and junk are still refused."""

from __future__ import annotations

from typing import Any

import pytest
from forms import Staff, signed_in

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import SiteIn, WaveIn
from survey.services import programs, waves


async def _sites_step(
    client: Any, conn: Conn, resources: Any, pid: int
) -> tuple[Staff, str, int, int]:
    site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name="Spokane County"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(name="Targets", phase="pre", questionnaire_id="pulse", languages=["en"]),
    )
    staff = await signed_in(client, conn)
    return staff, f"/dashboard/programs/{pid}/waves/{wave.id}/setup/sites", wave.id, site.id


@pytest.mark.parametrize(
    ("lang", "typed"), [("en", "1,200"), ("es", "1.200"), ("es", "1,200"), ("en", "1200")]
)
async def test_grouped_targets_are_taken(
    client: Any, actors: Any, conn: Conn, resources: Any, lang: str, typed: str
) -> None:
    staff, url, wave_id, site_id = await _sites_step(
        client, conn, resources, actors.programs["own"]
    )
    step = await staff.get(f"{url}?lang={lang}")
    r = await staff.submit(
        step, "/setup/sites", {f"site_{site_id}": "on", f"target_{site_id}": typed}
    )
    assert r.status_code == 303, r.text
    stored = await conn.fetchval(
        "SELECT target_n FROM wave_sites WHERE wave_id = $1 AND site_id = $2", wave_id, site_id
    )
    assert stored == 1200


@pytest.mark.parametrize(
    ("lang", "typed"),
    [("en", "1.200"), ("en", "1.5"), ("en", "12,00"), ("es", "1,5"), ("es", "1.000,0"),
     ("en", "1,000,001"), ("en", "-5"), ("en", "1e3"), ("es", "abc")],
)
async def test_decimals_and_junk_are_still_refused(
    client: Any, actors: Any, conn: Conn, resources: Any, lang: str, typed: str
) -> None:
    staff, url, wave_id, site_id = await _sites_step(
        client, conn, resources, actors.programs["own"]
    )
    step = await staff.get(f"{url}?lang={lang}")
    r = await staff.submit(
        step, "/setup/sites", {f"site_{site_id}": "on", f"target_{site_id}": typed}
    )
    assert r.status_code == 422
    assert "1,000,000" in r.text  # the message, in the page's language
    assert await conn.fetchval(
        "SELECT count(*) FROM wave_sites WHERE wave_id = $1", wave_id
    ) == 0
