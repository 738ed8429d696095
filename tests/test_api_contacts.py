"""Contact CSV uploads through the HTTP API, checked in the database: what a second
upload keeps, and the sheets spreadsheets really write."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn

FIRST = "phone,language,panel_id,site\n(206) 555-0134,es,P001,King County\n"


async def _program(client: Any, actors: Any, sites: tuple[str, ...] = ("King County",)) -> int:
    pid: int = actors.programs["own"]
    for name in sites:
        r = await client.post(
            f"/api/v1/programs/{pid}/sites", json={"name": name},
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
    # Two sites: a row without one is not put in the only site.
    pid = await _program(client, actors, ("King County", "Pierce County"))
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


@pytest.mark.parametrize("sep", [";", "\t", ","])
async def test_semicolon_and_tab_separated_sheets_are_read(
    client: Any, actors: Any, conn: Conn, sep: str
) -> None:
    pid = await _program(client, actors)
    # Excel with a decimal comma saves "CSV" with semicolons, and then commas can be
    # data: the header decides the separator.
    notes = '"called twice, no answer; left a note"'
    text = sep.join(["phone", "language", "site", "notes"]) + "\n"
    text += sep.join(["(206) 555-0160", "es", "King County", notes]) + "\n"
    r = await _upload(client, actors, pid, text)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1
    row = await conn.fetchrow(
        "SELECT phone_e164, preferred_language, site_id IS NOT NULL AS sited FROM contacts"
    )
    assert tuple(row) == ("+12065550160", "es", True)


async def test_a_number_with_an_extension_is_refused_by_row(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = await _program(client, actors)
    text = "phone,language\n206-555-0161,en\n206-555-0160 x12,en\n(206) 555-0162 ext. 3,es\n"
    r = await _upload(client, actors, pid, text)
    assert r.status_code == 422
    reason = "has an extension: a text message cannot reach an extension"
    assert r.json()["extra"] == [
        {"field": "phone", "reason": reason, "row": 3},
        {"field": "phone", "reason": reason, "row": 4},
    ]
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    r = await _upload(client, actors, pid, text, "?partial=true")
    assert (r.json()["imported"], r.json()["rejected"]) == (1, 2)
    assert await conn.fetchval("SELECT array_agg(phone_e164) FROM contacts") == ["+12065550161"]


async def test_columns_we_do_not_read_are_reported(client: Any, actors: Any) -> None:
    pid = await _program(client, actors)
    text = "Name,phone,language,Date of birth,,\nAna,2065550160,es,1980-01-01,,\n"
    r = await _upload(client, actors, pid, text)
    assert r.status_code == 200, r.text
    ignored = "is not a column we read: it was ignored"
    assert r.json() == {
        "imported": 1, "updated": 0, "rejected": 0, "errors": [],
        "warnings": [
            {"row": 1, "column": "Name", "reason": ignored},
            {"row": 1, "column": "Date of birth", "reason": ignored},
            {"row": 1, "column": "site",
             "reason": "rows with no site were put in the program's only site"},
        ],
        "without_site": 0,
    }


async def test_languages_by_name_and_a_refusal_that_lists_the_codes(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = await _program(client, actors)
    text = "phone,language\n2065550170,SPANISH\n2065550171,Tiếng Việt\n2065550172,中文\n"
    r = await _upload(client, actors, pid, text)
    assert r.status_code in (200, 201) and r.json()["imported"] == 3, r.text
    rows = await conn.fetch(
        "SELECT phone_e164, preferred_language FROM contacts WHERE program_id = $1"
        " ORDER BY phone_e164", pid,
    )
    assert [tuple(r) for r in rows] == [
        ("+12065550170", "es"), ("+12065550171", "vi"), ("+12065550172", "zh_Hans")
    ]
    r = await _upload(client, actors, pid, "phone,language\n2065550173,Klingon\n")
    assert r.status_code == 422
    [problem] = r.json()["extra"]
    assert (problem["row"], problem["field"]) == (2, "language")
    assert problem["reason"].startswith(
        "'Klingon' is not a supported language; write a code, English name or native name "
        "of one of: en, es, zh_Hans, zh_Hant, vi, tl,"
    ), problem


async def test_rows_without_a_site_are_named_and_counted(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = await _program(client, actors, ("King County", "Pierce County"))
    sheet = "phone,language,site\n5095550319,es,\n5095550322,vi,King County\n5095550317,es,\n"
    r = await _upload(client, actors, pid, sheet)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["imported"], out["without_site"]) == (3, 2)
    assert out["warnings"] == [
        {"row": 2, "column": "site",
         "reason": "no site: this contact will not be invited until it has one"},
        {"row": 4, "column": "site",
         "reason": "no site: this contact will not be invited until it has one"},
    ]
    # Without a site column at all, the same; a known contact keeps its stored site.
    r = await _upload(client, actors, pid, "phone,language\n5095550322,vi\n5095550319,es\n")
    assert (r.json()["without_site"], [w["row"] for w in r.json()["warnings"]]) == (1, [3])
    assert await conn.fetchval(
        "SELECT count(*) FROM contacts WHERE program_id = $1 AND site_id IS NULL", pid) == 2


async def test_with_one_site_a_row_without_one_goes_there(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = await _program(client, actors)
    r = await _upload(client, actors, pid, "phone,language\n5095550319,es\n5095550322,vi\n")
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["without_site"]) == (2, 0)
    assert r.json()["warnings"] == [{"row": 1, "column": "site", "reason":
                                     "rows with no site were put in the program's only site"}]
    assert await conn.fetchval(
        "SELECT count(*) FROM contacts c JOIN sites s ON s.id = c.site_id"
        " WHERE c.program_id = $1 AND s.name = 'King County'", pid) == 2


async def test_a_short_row_is_refused_by_row(client: Any, actors: Any, conn: Conn) -> None:
    pid = await _program(client, actors, ("King County", "Pierce County"))
    r = await _upload(client, actors, pid,
                      "phone,language,site\n5095550317,es,King County\n5095550318,es\n")
    assert r.status_code == 422, r.text
    [problem] = r.json()["extra"]
    assert (problem["row"], problem["field"], problem["reason"]) == (
        3, "site", "is missing: the row has 2 columns where the header has 3")
    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE program_id = $1", pid) == 0
