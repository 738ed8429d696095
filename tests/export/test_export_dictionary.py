"""The codebook beside the CSV export: one row per variable of the data file the same
caller gets, in order, with labels in the language asked."""

from __future__ import annotations

import csv
import io
from typing import Any

from seeding import seed_wave

from survey.db import Conn


def _rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _header(body: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def _both(client: Any, headers: dict[str, str], base: str, query: str) -> Any:
    data = await client.get(f"{base}/export?format=csv&{query}", headers=headers)
    book = await client.get(f"{base}/codebook?{query}", headers=headers)
    assert data.status_code == 200, data.text
    assert book.status_code == 200, book.text
    return data, book


async def test_codebook_matches_the_csv_header_in_each_language_and_role(
    client: Any, conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid)
    base = f"/api/v1/programs/{pid}/waves/{seeded.wave_id}"

    # A grantee may see identifying data: the free text is in both files.
    data, book = await _both(client, actors.headers("grantee"), base, "lang=en")
    assert book.headers["content-type"] == "text/csv; charset=utf-8"
    assert book.headers["content-disposition"] == (
        f'attachment; filename="wave-{seeded.wave_id}-pre-codebook.csv"'
    )
    rows = _rows(book.content)
    assert [r["variable"] for r in rows] == _header(data.content)
    by_name = {r["variable"]: r for r in rows}
    assert by_name["gender"] == {
        "variable": "gender",
        "label": "What is your gender?",
        "type": "integer",
        "value_labels": "1=Woman; 2=Man; 3=Non-binary; 4=I describe myself another way; "
        "-99=Don't know; -98=Prefer not to say",
        "missing_codes": "-99; -98",
        "free_text": "no",
    }
    assert by_name["pj_respect"]["label"] == (
        "Police in my area treat people with dignity and respect."
    )
    assert by_name["race_ethnicity_asian"]["value_labels"].startswith("0=not selected; 1=selected")
    assert by_name["comment"]["type"] == "string" and by_name["comment"]["free_text"] == "yes"
    assert by_name["site_id"]["value_labels"] == f"{seeded.big}=Big; {seeded.small}=Small"
    assert by_name["resp_id"]["missing_codes"] == ""

    # Spanish labels, as residents read them; names and codes unchanged.
    data, book = await _both(client, actors.headers("grantee"), base, "lang=es")
    rows = _rows(book.content)
    assert [r["variable"] for r in rows] == _header(data.content)
    by_name = {r["variable"]: r for r in rows}
    assert by_name["gender"]["label"] == "¿Cuál es su género?"
    assert by_name["gender"]["value_labels"] == (
        "1=Mujer; 2=Hombre; 3=No binario; 4=Me describo de otra manera; "
        "-99=No sé; -98=Prefiero no decir"
    )
    assert by_name["pj_respect"]["label"] == (
        "La policía de mi zona trata a las personas con dignidad y respeto."
    )
    # The file's own labels too, from the staff catalog (drafts, like the rest).
    assert by_name["phase"]["label"] == "Fase de la ola"
    assert by_name["race_ethnicity_asian"]["value_labels"].startswith(
        "0=no seleccionado; 1=seleccionado"
    )
    assert by_name["duplicate_suspect"]["value_labels"] == "0=no; 1=sí"

    # An evaluator's CSV leaves the free text out, and so does the codebook.
    data, book = await _both(client, actors.headers("evaluator"), base, "lang=es")
    names = [r["variable"] for r in _rows(book.content)]
    assert names == _header(data.content)
    assert "comment" not in names and "safety_dark" in names
    assert not [r for r in _rows(book.content) if r["free_text"] == "yes"]


async def test_codebook_refuses_what_the_export_refuses(
    client: Any, conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid)
    base = f"/api/v1/programs/{pid}/waves/{seeded.wave_id}"
    unknown = await client.get(f"{base}/codebook?lang=zz", headers=actors.headers("grantee"))
    assert unknown.status_code == 422 and "lang" in unknown.text
    for who in ("other_evaluator", "other_grantee", "nobody"):
        data = await client.get(f"{base}/export?format=csv", headers=actors.headers(who))
        book = await client.get(f"{base}/codebook", headers=actors.headers(who))
        assert book.status_code == data.status_code and book.status_code in (401, 403, 404)
    schema = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/v1/programs/{program_id}/waves/{wave_id}/codebook" in schema["paths"]
