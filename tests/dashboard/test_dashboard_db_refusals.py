"""A refusal the database gives (``survey.db.translate_error``) reads in the staff
reader's language on a dashboard page, while the API keeps answering in English."""

from __future__ import annotations

import re
from typing import Any

from forms import signed_in

from survey.db import Conn


def _summary(html: str) -> list[str]:
    box = html.split('class="error-summary"')[1].split("</div>")[0]
    return re.findall(r"<li>(.*?)</li>", box)


async def test_a_database_refusal_is_worded_in_spanish_on_the_site_form(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = actors.programs["own"]
    staff = await signed_in(client, conn)

    # A NUL pasted into the name: PostgreSQL refuses it, translate_error words it.
    page = await staff.get(f"/dashboard/programs/{pid}?lang=es")
    r = await staff.submit(page, "/sites", {"name": "Tacoma\x00", "kind": "city"})
    assert r.status_code == 422, r.text
    assert _summary(r.text) == [
        "<strong>value</strong>: contiene un carácter de control (NUL)"
    ]
    assert await conn.fetchval("SELECT count(*) FROM sites WHERE program_id = $1", pid) == 0

    # The API, whatever the client's language, answers as it always has.
    api = await client.post(
        f"/api/v1/programs/{pid}/sites", json={"name": "Tacoma\x00"},
        headers={**actors.headers("admin"), "Accept-Language": "es"},
    )
    assert api.status_code == 422, api.text
    assert api.json()["extra"] == [
        {"field": "value", "reason": "contains a control character (NUL)"}
    ]
