"""Regressions the fuzzers found, each as a plain request."""

from __future__ import annotations

from typing import Any

from survey.db import Conn

NOT_UTF8 = b"phone\n\x92\xb5\xff\n"


async def test_non_utf8_multipart_fields_are_422_not_500(
    client: Any, actors: Any, conn: Conn
) -> None:
    """A multipart part with an empty file name is a plain field to Litestar, which
    decodes it strictly as UTF-8: that raised UnicodeDecodeError, a 500."""
    pid = actors.programs["own"]
    grantee = actors.headers("grantee")
    for method, path in (
        ("POST", f"/api/v1/programs/{pid}/contacts"),
        ("PUT", f"/api/v1/programs/{pid}/report/margins"),
    ):
        r = await client.request(
            method, path, headers=grantee, files={"file": ("", NOT_UTF8, "text/csv")}
        )
        assert r.status_code == 422, (path, r.text)
        assert r.json()["extra"] == [{"field": "body", "reason": "is not UTF-8 text"}]
    # The same body to a form page: the HTML error page, still not a 500.
    r = await client.post(
        "/dashboard/login",
        headers={"Accept": "text/html"},
        files={"csrf": ("", NOT_UTF8, "text/plain")},
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0


async def test_nul_in_json_text_is_a_422_that_says_why(
    client: Any, actors: Any, conn: Conn
) -> None:
    """PostgreSQL text cannot hold NUL: the API says so instead of "has the wrong
    format", and stores nothing."""
    pid = actors.programs["own"]
    r = await client.patch(
        f"/api/v1/programs/{pid}", json={"name": "Safe\u0000 Streets"},
        headers=actors.headers("admin"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [
        {"field": "value", "reason": "contains a control character (NUL)"}]
    assert await conn.fetchval("SELECT name FROM programs WHERE id = $1", pid) == "own"
