"""A missing program, wave, site or page is said in the reader's language, as a whole
sentence per kind; the report names which wave selector points at nothing."""

from __future__ import annotations

import re
from typing import Any

from forms import Staff, signed_in

from survey.db import Conn


async def _grantee(client: Any, conn: Conn) -> Staff:
    return await signed_in(client, conn)


def _notice(html: str) -> str:
    found = re.search(r'<p class="notice">([^<]*)</p>', html)
    assert found, html[-2000:]
    return found.group(1)


CASES = [
    ("/dashboard/programs/99", "No se encontró el programa", "Program not found"),
    ("/dashboard/programs/{pid}/waves/99", "No se encontró la ola", "Wave not found"),
    ("/dashboard/programs/{pid}/sites/999", "No se encontró la página", "Page not found"),
    ("/dashboard/no-such-page", "No se encontró la página", "Page not found"),
]


async def test_missing_things_are_said_in_the_readers_language(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = actors.programs["own"]
    staff = await _grantee(client, conn)
    for path, spanish, english in CASES:
        url = path.format(pid=pid)
        page = await staff.get(f"{url}?lang=es")
        assert page.status_code == 404, url
        assert _notice(page.text) == spanish, url
        assert "not found" not in page.text.lower() and "Not Found" not in page.text, url
        page = await staff.get(f"{url}?lang=en")
        assert page.status_code == 404 and _notice(page.text) == english, url


async def test_the_report_names_the_selector_of_a_missing_wave(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = actors.programs["own"]
    staff = await _grantee(client, conn)
    page = await staff.get(f"/dashboard/programs/{pid}/report?pre=999&lang=es")
    assert page.status_code == 200
    assert "Antes: No se encontró la ola" in page.text, page.text[-3000:]
    assert "wave not found" not in page.text
    page = await staff.get(f"/dashboard/programs/{pid}/report?post=999&lang=en")
    assert "After: Wave not found" in page.text
