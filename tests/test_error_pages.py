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


async def test_framework_and_domain_validation_errors_read_alike(
    client: Any, actors: Any
) -> None:
    url = f"/api/v1/programs/{actors.programs['own']}/report"
    h = actors.headers("evaluator")
    malformed = await client.get(f"{url}?pre=abc", headers=h)
    assert malformed.status_code == 400
    assert malformed.json()["extra"] == [
        {"field": "pre", "reason": "Expected `int | null`, got `str`", "source": "query"}]
    nothing = await client.get(url, headers=h)  # no waves yet: our own validation
    assert nothing.status_code == 422
    assert nothing.json()["extra"] == [
        {"field": "post", "reason": "no post wave with complete responses; name one"}]
