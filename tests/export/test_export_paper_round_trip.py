"""A paper sheet may write answers as the export and codebook number them: a CSV
export of a wave imports back with the same answers, and typed codebook numbers
(``age_band`` 4, ``gender`` 3, -98) are read as the options they name."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from seeding import seed_wave

from survey.access import SYSTEM
from survey.csvsafe import neutralise
from survey.db import Conn
from survey.export import export_bytes, plan_export
from survey.export.paper import import_paper
from survey.services.contacts import RowsRejected


async def _forms(conn: Conn, wave_id: int) -> Counter[tuple[Any, ...]]:
    """Each response of the wave as its site, language, day and answers."""
    rows = await conn.fetch(
        "SELECT r.site_id, r.language, r.submitted_at, r.status, "
        "  array_agg(row(a.item_id, a.value_num, a.value_text, a.value_codes, a.missing)::text "
        "            ORDER BY a.item_id) AS answers "
        "FROM responses r JOIN answers a ON a.response_id = r.id "
        "WHERE r.wave_id = $1 GROUP BY r.id, r.site_id, r.language, r.submitted_at, r.status",
        wave_id)  # fmt: skip
    return Counter(
        (r["site_id"], r["language"], r["submitted_at"], r["status"], tuple(r["answers"]))
        for r in rows
    )


async def test_an_exported_csv_imports_back_with_the_same_answers(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    first = await seed_wave(conn, resources, pid, big=12, small=10)
    plan = await plan_export(conn, SYSTEM, resources, pid, first.wave_id)
    exported = b"".join([p async for p in export_bytes(conn, plan, "csv")]).decode("utf-8")
    header = exported.splitlines()[0]
    # The codebook's forms: 0/1 columns per option, single choices and -98 as numbers.
    assert "race_ethnicity_asian" in header and ",gender," in header
    assert ",-98," in exported
    second = await seed_wave(conn, resources, pid, big=0, small=0, phase="post", name="After")
    out = await import_paper(conn, SYSTEM, pid, second.wave_id, exported)
    assert (out.imported, out.rejected, out.errors) == (22, 0, [])
    before, after = await _forms(conn, first.wave_id), await _forms(conn, second.wave_id)
    assert sum(after.values()) == 22
    assert after == before
    kinds = {a.split(",")[0].strip("(") for form in before for a in form[4]}
    assert {"safety_dark", "gender", "race_ethnicity", "participate_kinds"} <= kinds


async def test_codebook_numbers_are_read_as_their_options(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid, big=0, small=0)
    sheet = (
        "site,age_band,gender,race_ethnicity,pj_respect,"
        "participate_kinds_meeting,participate_kinds_online,participate_kinds_none,aware_program\n"
        "Big,4,3,-98,-99,1,1,0,1\n"
        "Big,45_54,nonbinary,prefer_not,dont_know,-98,-98,-98,yes\n"
    )
    out = await import_paper(conn, SYSTEM, pid, seeded.wave_id, sheet)
    assert out.imported == 2
    rows = await conn.fetch(
        "SELECT r.id, a.item_id, a.value_codes, a.missing FROM answers a "
        "JOIN responses r ON r.id = a.response_id WHERE r.wave_id = $1 AND a.item_id = ANY($2) "
        "ORDER BY r.id, a.item_id",
        seeded.wave_id, ["age_band", "gender", "race_ethnicity", "pj_respect",
                         "participate_kinds"])  # fmt: skip
    got = [(r["item_id"], r["value_codes"], r["missing"]) for r in rows]
    assert got == [
        ("age_band", ["45_54"], None),
        ("gender", ["nonbinary"], None),
        ("participate_kinds", ["meeting", "online"], None),
        ("pj_respect", None, "dont_know"),
        ("race_ethnicity", None, "prefer_not"),
        ("age_band", ["45_54"], None),
        ("gender", ["nonbinary"], None),
        ("participate_kinds", None, "prefer_not"),
        ("pj_respect", None, "dont_know"),
        ("race_ethnicity", None, "prefer_not"),
    ]


async def test_errors_name_both_forms(conn: Conn, resources: Any, actors: Any) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid, big=0, small=0)
    sheet = (
        "site,age_band,gender,race_ethnicity,aware_program,participate_kinds_meeting\n"
        "Big,9,-99,x,yes,2\n"
    )
    with pytest.raises(RowsRejected) as refused:
        await import_paper(conn, SYSTEM, pid, seeded.wave_id, sheet)
    problems = sorted((p.row, p.field, p.reason) for p in refused.value.problems)
    assert problems == [
        (2, "age_band", "'9': choose one of 18_24 (1), 25_34 (2), 35_44 (3), 45_54 (4), "
                        "55_64 (5), 65_74 (6), 75_plus (7), or prefer_not (-98)"),
        (2, "gender", "'-99': choose one of woman (1), man (2), nonbinary (3), "
                      "self_describe (4), or prefer_not (-98)"),
        (2, "participate_kinds_meeting", "'2': write 1 (selected) or 0 (not selected), "
                                         "or -98 (prefer_not) in every participate_kinds column"),
        (2, "race_ethnicity", "'x': choose from american_indian, asian, black, hispanic, "
                              "middle_eastern, pacific_islander, white, other separated by ';', "
                              "or prefer_not (-98); or give one 0/1 column per option, as the "
                              "export does"),
    ]


async def test_an_item_in_one_column_and_in_0_1_columns_is_refused(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = int(actors.programs["own"])
    seeded = await seed_wave(conn, resources, pid, big=0, small=0)
    sheet = "site,race_ethnicity,race_ethnicity_asian,status\nBig,asian,1,partial\n"
    with pytest.raises(RowsRejected) as refused:
        await import_paper(conn, SYSTEM, pid, seeded.wave_id, sheet)
    assert [(p.row, p.field, p.reason) for p in refused.value.problems] == [
        (1, "race_ethnicity_asian",
         "is an option of race_ethnicity, which race_ethnicity already gives"),
    ]
    with pytest.raises(RowsRejected) as refused:
        await import_paper(conn, SYSTEM, pid, seeded.wave_id,
                           "site,race_ethnicity_asian,status\nBig,1,partial\n")
    assert [(p.row, p.field, p.reason) for p in refused.value.problems] == [
        (2, "status", "'partial': only complete responses are imported"),
    ]


async def test_text_that_starts_like_a_formula_reads_back_as_typed(
    conn: Conn, resources: Any, actors: Any
) -> None:
    # The CSV export quotes such text (survey.csvsafe); importing the file takes the
    # quote off again, and only that one: before, the answer came back as "'=1+2".
    pid = int(actors.programs["own"])
    typed = ["=1+2", "'=x", "-5 dollars a month", "'quoted'", "+ more patrols"]
    first = await seed_wave(conn, resources, pid, big=0, small=0)
    sheet = "site,comment\n" + "".join(
        f"Big,{neutralise(text)}\n" for text in typed)
    assert "Big,'=1+2\n" in sheet and "Big,''=x\n" in sheet
    out = await import_paper(conn, SYSTEM, pid, first.wave_id, sheet)
    assert (out.imported, out.errors) == (5, [])
    stored = await conn.fetch(
        "SELECT a.value_text FROM answers a JOIN responses r ON r.id = a.response_id"
        " WHERE r.wave_id = $1 AND a.item_id = 'comment' ORDER BY r.id", first.wave_id)
    assert [r["value_text"] for r in stored] == typed
    # Exported and imported again: the same text, however many times round.
    plan = await plan_export(conn, SYSTEM, resources, pid, first.wave_id)
    exported = b"".join([p async for p in export_bytes(conn, plan, "csv")]).decode("utf-8")
    second = await seed_wave(conn, resources, pid, big=0, small=0, phase="post", name="After")
    out = await import_paper(conn, SYSTEM, pid, second.wave_id, exported)
    assert out.imported == 5
    again = await conn.fetch(
        "SELECT a.value_text FROM answers a JOIN responses r ON r.id = a.response_id"
        " WHERE r.wave_id = $1 AND a.item_id = 'comment' ORDER BY a.value_text",
        second.wave_id)
    assert [r["value_text"] for r in again] == sorted(typed)
