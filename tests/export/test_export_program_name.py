"""Export labels name the program as residents saw it, never ``%(program)s``.

The survey page fills the placeholder in the questions that name the program; the
codebook, the CSV codebook and the .sav/.dta variable labels carry the same words,
in every export language."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from seeding import seed_wave
from test_export_files import evaluator

from survey.db import Conn
from survey.export import export_bytes, plan_export

NAME = "Safe Streets (demo)"
NAMED = ("aware_program", "participate_count", "participate_kinds_meeting")


def _labels(body: bytes) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    return {r["variable"]: r["label"] for r in rows}


async def _seed(conn: Conn, resources: Any, actors: Any) -> tuple[int, int]:
    pid = int(actors.programs["own"])
    await conn.execute("UPDATE programs SET name = $2 WHERE id = $1", pid, NAME)
    seeded = await seed_wave(conn, resources, pid)
    return pid, seeded.wave_id


async def test_codebook_labels_carry_the_program_name(
    client: Any, conn: Conn, resources: Any, actors: Any
) -> None:
    pid, wave = await _seed(conn, resources, actors)
    base = f"/api/v1/programs/{pid}/waves/{wave}/codebook"
    expected = {
        "": "Before this survey, had you heard of Safe Streets (demo)?",
        "?lang=en": "Before this survey, had you heard of Safe Streets (demo)?",
        "?lang=es": "Antes de esta encuesta, ¿había oído hablar de Safe Streets (demo)?",
    }
    for query, aware in expected.items():
        r = await client.get(base + query, headers=actors.headers("evaluator"))
        assert r.status_code == 200, r.text
        labels = _labels(r.content)
        assert labels["aware_program"] == aware
        for name in NAMED:
            assert "%(" not in labels[name] and NAME in labels[name], (query, labels[name])
        assert not any("%(" in label for label in labels.values()), query


@pytest.mark.parametrize("fmt", ["sav", "dta"])
@pytest.mark.parametrize("lang", ["en", "es"])
async def test_sav_and_dta_labels_carry_the_program_name(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path, fmt: str, lang: str
) -> None:
    pid, wave = await _seed(conn, resources, actors)
    plan = await plan_export(conn, evaluator(pid), resources, pid, wave, lang=lang)
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(b"".join([piece async for piece in export_bytes(conn, plan, fmt)]))
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    _, meta = reader(str(path), metadataonly=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    heard = {"en": "had you heard of Safe Streets", "es": "oído hablar de Safe Streets"}
    assert heard[lang] in labels["aware_program"], labels["aware_program"]
    for name in NAMED:
        assert "%(" not in labels[name], labels[name]
        # Stata's 80 characters shorten a multiple choice question to keep its option
        # (the test below); the others carry the name whole.
        if not (fmt == "dta" and "…" in labels[name]):
            assert "Safe Streets" in labels[name], labels[name]


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_dta_labels_of_a_multiple_choice_name_their_option_within_80(
    conn: Conn, resources: Any, actors: Any, tmp_path: Path, lang: str
) -> None:
    await conn.execute("UPDATE programs SET name = $2 WHERE id = $1",
                       int(actors.programs["own"]), "Washington CLEP (demo)")
    pid = int(actors.programs["own"])
    wave = (await seed_wave(conn, resources, pid)).wave_id
    plan = await plan_export(conn, evaluator(pid), resources, pid, wave, lang=lang)
    path = tmp_path / "out.dta"
    path.write_bytes(b"".join([piece async for piece in export_bytes(conn, plan, "dta")]))
    _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    kinds = [c for c in plan.columns if c.item_id == "participate_kinds"]
    assert len(kinds) >= 5
    for column in kinds:
        option = column.label.rpartition(": ")[2]
        label = labels[column.name]
        # The whole label would not fit; the question gives way, not the option.
        assert len(column.label) > 80 and len(label) <= 80, (column.label, label)
        assert label.endswith(": " + option) and "…" in label, label
    assert len({labels[c.name] for c in kinds}) == len(kinds)
