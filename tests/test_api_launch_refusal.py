"""A refused launch tells an API client why, reason by reason: a stable machine
``code`` and a sentence in the request's language, the words the dashboard's
launch step uses (survey.services.launch_gate)."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from tests.test_api_waves import _program_with_sites, _wave


def _counts(resources: Any, language: str) -> dict[str, int]:
    """The gate's problems for ``language`` by kind, as the service's strings say."""
    counts: dict[str, int] = {}
    q = resources.questionnaires["community-trust"]
    for problem in resources.launch_problems(q, language):
        kind = problem.split(":", 1)[0]
        kind = "unreviewed" if kind == "fuzzy" else kind
        counts[kind] = counts.get(kind, 0) + 1
    return counts


async def test_untranslated_and_unreviewed_languages_in_english_and_spanish(
    partial_client: Any, actors: Any, partial_resources: Any, conn: Conn
) -> None:
    # Somali with its web questionnaire untranslated (tests/partial.py).
    client, resources = partial_client, partial_resources
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(client, actors, pid, sites, languages=["en", "es", "so"])
    url = f"/api/v1/programs/{pid}/waves/{wave['id']}/launch"
    es, so = _counts(resources, "es"), _counts(resources, "so")
    assert set(es) == {"unreviewed"} and set(so) == {"missing", "unreviewed"}

    r = await client.post(url, headers=actors.headers("grantee"))
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [
        {"field": "languages.es", "code": "not_reviewed", "count": es["unreviewed"],
         "reason": f"{es['unreviewed']} strings not reviewed"},
        {"field": "languages.so", "code": "not_translated", "count": so["missing"],
         "reason": f"{so['missing']} strings not translated"},
        {"field": "languages.so", "code": "not_reviewed", "count": so["unreviewed"],
         "reason": f"{so['unreviewed']} strings not reviewed"},
    ]

    assert r.json()["detail"] == (
        "The wave cannot launch: translations are not complete and reviewed")

    r = await client.post(url, headers={**actors.headers("grantee"),
                                        "Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == (
        "La ola no puede lanzarse: las traducciones no están completas y revisadas")
    assert [(p["code"], p["reason"]) for p in r.json()["extra"]] == [
        ("not_reviewed", f"{es['unreviewed']} textos sin revisar"),
        ("not_translated", f"{so['missing']} textos sin traducir"),
        ("not_reviewed", f"{so['unreviewed']} textos sin revisar"),
    ]
    assert await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave["id"]) == "draft"


async def test_a_wave_without_sites(client: Any, actors: Any, conn: Conn) -> None:
    pid, _ = await _program_with_sites(client, actors, 0)
    wave = await _wave(client, actors, pid, [])
    url = f"/api/v1/programs/{pid}/waves/{wave['id']}/launch"
    r = await client.post(url, headers=actors.headers("grantee"))
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [
        {"field": "sites", "code": "no_sites",
         "reason": "a wave needs at least one site before launch"},
    ]
    assert r.json()["detail"] == "The wave cannot launch: it has no site"
    r = await client.post(f"{url}?lang=es", headers=actors.headers("grantee"))
    assert r.json()["extra"] == [
        {"field": "sites", "code": "no_sites",
         "reason": "una ola necesita al menos un sitio antes de lanzarse"},
    ]
    assert r.json()["detail"] == "La ola no puede lanzarse: no tiene ningún sitio"
    assert await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave["id"]) == "draft"


async def test_the_api_schema_documents_the_refusal(client: Any) -> None:
    r = await client.get("/api/schema/openapi.json")
    launch = next(v["post"] for k, v in r.json()["paths"].items() if k.endswith("/launch"))
    assert "`no_sites`, `not_translated`, `not_reviewed`" in launch["description"]
