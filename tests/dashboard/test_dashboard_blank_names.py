"""A wave or site name of spaces only is refused on the dashboard's forms, in the
reader's words, instead of becoming a wave called "—" or a site called "?"."""

from __future__ import annotations

import re
from typing import Any

from forms import signed_in

from survey.db import Conn


def _summary(html: str) -> list[str]:
    box = html.split('class="error-summary"')[1].split("</div>")[0]
    return re.findall(r"<li>(.*?)</li>", box)


async def test_blank_wave_and_site_names_refused_in_place(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = actors.programs["own"]
    staff = await signed_in(client, conn)

    page = await staff.get(f"/dashboard/programs/{pid}/waves/new")
    r = await staff.submit(page, "/waves/new", {"name": "   ", "phase": "pre",
                                                "questionnaire_id": "pulse"})
    assert r.status_code == 422, r.text
    assert _summary(r.text) == ["The name must not be blank."]
    spanish = await staff.get(f"/dashboard/programs/{pid}/waves/new?lang=es")
    r = await staff.submit(spanish, "/waves/new", {"name": " ", "phase": "pre",
                                                   "questionnaire_id": "pulse"})
    assert r.status_code == 422
    assert _summary(r.text) == ["El nombre no puede estar en blanco."]
    assert await conn.fetchval("SELECT count(*) FROM waves WHERE program_id = $1", pid) == 0

    program = await staff.get(f"/dashboard/programs/{pid}")
    r = await staff.submit(program, "/sites", {"name": "   ", "kind": "county"})
    assert r.status_code == 422, r.text
    assert _summary(r.text) == ["<strong>Nombre</strong>: no debe estar en blanco"]
    assert await conn.fetchval("SELECT count(*) FROM sites WHERE program_id = $1", pid) == 0
