"""Framework errors on resident pages render as localized HTML, not JSON."""

from __future__ import annotations

from typing import Any

HTML = {"Accept": "text/html", "Accept-Language": "es"}


async def test_unknown_survey_path_is_a_page(client: Any) -> None:
    r = await client.get("/s/1-abc/q/one/two/three", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    # Spanish has only unreviewed drafts, which nothing allowed here: English text,
    # so an English page.
    assert '<html lang="en" dir="ltr">' in r.text


async def test_wrong_method_is_a_page(client: Any) -> None:
    r = await client.delete("/s/1-abcdefghijklmnop", headers=HTML)
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("text/html")


async def test_api_errors_stay_json(client: Any) -> None:
    r = await client.get("/api/v1/nothing-here", headers=HTML)
    assert r.status_code == 404
    assert r.json()["status_code"] == 404
