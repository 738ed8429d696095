"""Staff pages name languages, channels and site kinds in words of the reader's
language, never the stored codes ("zh_Hans", "sms", "county")."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from forms import signed_in

from survey.db import Conn


async def _seed(conn: Conn, res: Any) -> Any:
    from reportdata import seed_report_program

    return await seed_report_program(conn, res, sites=("King County",), scale=0.1)


def _first_cells(page: str, table: str) -> list[str]:
    body = re.search(rf'<tbody data-table="{table}"[^>]*>(.*?)</tbody>', page, re.S)
    assert body, table
    return [html.unescape(c) for c in re.findall(r"<tr><td>([^<]*)</td>", body[1])]


def _labels(page: str, table: str) -> dict[str, str]:
    found = re.search(rf'<tbody data-table="{table}" data-labels="([^"]*)"', page)
    assert found, table
    labels: dict[str, str] = json.loads(html.unescape(found[1]))
    return labels


async def test_monitor_names_languages_and_channels(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    seeded = await _seed(conn, resources)
    pid = seeded.program_id
    await conn.execute(
        "INSERT INTO program_members (program_id, user_id) "
        "SELECT $1, id FROM users WHERE email = 'grantee@example.org'",
        pid,
    )
    staff = await signed_in(client, conn)
    wave = seeded.post_id
    data = (await client.get(f"/api/v1/programs/{pid}/waves/{wave}/fieldwork")).json()
    codes = set(data["by_language"])
    assert {"en", "es"} <= codes, codes
    for lang, expect in (
        ("en", {"en": "English", "es": "Spanish", "zh_Hans": "Chinese (Simplified)",
                "sms": "Text messages (SMS)", "web": "Web survey"}),
        ("es", {"en": "inglés", "es": "español", "zh_Hans": "chino (simplificado)",
                "web": "Encuesta web"}),
    ):
        page = (
            await staff.get(f"/dashboard/programs/{pid}/waves/{wave}/monitor?lang={lang}")
        ).text
        # The script's Intl formats in the server's locale: es-US writes 14% and
        # 12,345 like the page (es would give 14 % and 12.345 after a poll).
        assert f'data-locale="{ {"en": "en-US", "es": "es-US"}[lang] }"' in page
        shown = _first_cells(page, "by_language")
        assert len(shown) == len(codes) and not codes & set(shown), shown
        languages = _labels(page, "by_language")
        channels = _labels(page, "by_channel")
        # The script redraws the tables from the JSON's codes with these names.
        assert codes <= set(languages)
        for code, name in expect.items():
            assert {**languages, **channels}.get(code, name) == name, (lang, code)
        assert set(_first_cells(page, "by_channel")) <= set(channels.values())
        assert "sms" not in _first_cells(page, "by_channel")
    program = (await staff.get(f"/dashboard/programs/{pid}?lang=es")).text
    assert "<td>Condado</td>" in program and "<td>county</td>" not in program
    # Waves: their state and languages in words too (the synthetic waves are closed).
    row = re.search(rf'waves/{wave}">[^<]*</a></td>(.*?)</tr>', program)
    assert row, program
    cells = re.findall(r"<td>([^<]*)</td>", row[1])
    assert cells[1] == "Cerrada", cells
    assert "español" in cells[2] and "inglés" in cells[2] and "es," not in cells[2], cells
    page = (await staff.get(f"/dashboard/programs/{pid}/waves/{wave}?lang=es")).text
    assert "<dd>Cerrada</dd>" in page and "<dd>closed</dd>" not in page


async def test_header_and_bad_address_in_words(client: Any, actors: Any) -> None:
    from forms import HTML

    headers = {**HTML, **actors.headers("grantee")}
    for lang, word, bad in (
        ("en", "Grantee", "This address has a value we cannot read (pre)"),
        ("es", "Beneficiario", "Esta dirección tiene un valor que no podemos leer (pre)"),
    ):
        page = (await client.get(f"/dashboard?lang={lang}", headers=headers)).text
        assert f'<span class="user">{word}</span>' in page, re.findall(r'class="user">[^<]*', page)
        pid = actors.programs["own"]
        url = f"/dashboard/programs/{pid}/report?pre=abc&lang={lang}"
        r = await client.get(url, headers=headers)
        assert r.status_code == 400
        assert bad in html.unescape(r.text) and "Validation failed" not in r.text
