"""Contact CSV uploads through the HTTP API, checked in the database: what a second
upload keeps, and the sheets spreadsheets really write."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn

FIRST = "phone,language,panel_id,site\n(206) 555-0134,es,P001,King County\n"


async def _program(client: Any, actors: Any) -> int:
    pid: int = actors.programs["own"]
    r = await client.post(
        f"/api/v1/programs/{pid}/sites", json={"name": "King County"},
        headers=actors.headers("grantee"),
    )
    assert r.status_code == 201, r.text
    return pid


async def _upload(client: Any, actors: Any, pid: int, text: str, query: str = "") -> Any:
    h = {**actors.headers("grantee"), "content-type": "text/csv"}
    return await client.post(f"/api/v1/programs/{pid}/contacts{query}", content=text, headers=h)


@pytest.mark.parametrize(
    "again",
    [
        "phone\n2065550134\n2065550135\n",
        "phone,language,panel_id,site\n2065550134,,,\n2065550135,,,\n",
    ],
)
async def test_reupload_without_a_language_keeps_the_known_one(
    client: Any, actors: Any, conn: Conn, again: str
) -> None:
    pid = await _program(client, actors)
    assert (await _upload(client, actors, pid, FIRST)).json()["imported"] == 1
    r = await _upload(client, actors, pid, again)
    assert (r.json()["imported"], r.json()["updated"]) == (1, 1)
    rows = await conn.fetch(
        "SELECT phone_e164, preferred_language, panel_code, site_id IS NOT NULL AS sited"
        " FROM contacts WHERE program_id = $1 ORDER BY phone_e164", pid,
    )
    assert [tuple(r) for r in rows] == [
        ("+12065550134", "es", "P001", True),  # all kept
        ("+12065550135", "en", None, False),  # new, without a language: the default
    ]
    # A language the row does give still replaces the stored one.
    await _upload(client, actors, pid, "phone,language\n2065550134,vi\n")
    assert await conn.fetchval(
        "SELECT preferred_language FROM contacts WHERE phone_e164 = '+12065550134'"
    ) == "vi"
