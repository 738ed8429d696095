"""The CSV lines PostgreSQL makes (COPY) are byte for byte what Python's csv module
writes from the same rows: awkward numbers, free text that needs quoting or holds
escapes, every missing code, multiple choices, for an administrator and an evaluator."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from seeding import seed_wave

from survey.access import SYSTEM, Principal
from survey.db import Conn
from survey.export import export_bytes, plan_export
from survey.export.csvfile import csv_bytes
from survey.export.rows import chunks

NUMBERS = [
    0.0, -0.0, 7.0, -3.0, 0.5, 2.25, 1 / 3, 0.1 + 0.2, 1e-4, 1e-5, 1.5e-7, -2.5e-300,
    123456789012345.0, 1e15, 1e15 + 0.5, 4503599627370495.5, 2.0**53 + 2, 2.0**60, 9e18,
    2.0**63, 1e20, -1.2345e22, 1e300, -1.7976931348623157e308, float("inf"),
    float("-inf"), float("nan"),
]  # fmt: skip
TEXTS = [
    "plain",
    "comma, inside",
    'a "quoted" word',
    "two\nlines",
    "carriage\r\nreturn",
    "tab\there",
    "back\\slash \\n not a newline",
    "ends with backslash\\",
    "",
    " leading and trailing ",
    "Más patrullas, por favor — 谢谢 😀",
    "\\.",
    '"',
]


def evaluator(program_id: int) -> Principal:
    return Principal(
        user_id=99, email="e@example.org", name="E", role="evaluator",
        program_ids=frozenset({program_id}),
    )  # fmt: skip


async def _both(
    conn: Conn, res: Any, who: Principal, pid: int, wave_id: int
) -> tuple[bytes, bytes]:
    plan = await plan_export(conn, who, res, pid, wave_id)
    reference = b"".join([p async for p in csv_bytes(plan, chunks(conn, plan))])
    served = b"".join([p async for p in export_bytes(conn, plan, "csv")])
    return reference, served


async def awkward_wave(conn: Conn, res: Any, pid: int) -> int:
    """A wave whose answers hold every awkward value; returns its id."""
    seeded = await seed_wave(conn, res, pid, big=len(NUMBERS) + 3, small=3)
    ids = [
        r["id"]
        for r in await conn.fetch(
            "SELECT id FROM responses WHERE wave_id = $1 ORDER BY id", seeded.wave_id
        )
    ]
    # Awkward numbers in a number item, awkward text in the free-text item.
    for rid, value in zip(ids, NUMBERS, strict=False):
        await conn.execute(
            "INSERT INTO answers (program_id, response_id, item_id, value_num) "
            "VALUES ($1, $2, 'participate_count', $3) ON CONFLICT (program_id, response_id, "
            "item_id) DO UPDATE SET value_num = EXCLUDED.value_num, missing = NULL",
            pid, rid, value,
        )  # fmt: skip
    for rid, text in zip(reversed(ids), TEXTS, strict=False):
        await conn.execute(
            "INSERT INTO answers (program_id, response_id, item_id, value_text) "
            "VALUES ($1, $2, 'comment', $3) ON CONFLICT (program_id, response_id, item_id) "
            "DO UPDATE SET value_text = EXCLUDED.value_text, missing = NULL",
            pid, rid, text,
        )  # fmt: skip
    # Every missing reason, on a Likert item, a multiple choice and the free text;
    # a multiple choice with no codes at all; a single choice with an unknown code.
    for rid, item, missing in [
        (ids[0], "race_ethnicity", "dont_know"),
        (ids[1], "race_ethnicity", "skipped"),
        (ids[2], "comment", "prefer_not"),
        (ids[3], "safety_dark", "prefer_not"),
        (ids[4], "safety_dark", "skipped"),
    ]:
        await conn.execute(
            "UPDATE answers SET missing = $3, value_num = NULL, value_codes = NULL "
            "WHERE response_id = $1 AND item_id = $2",
            rid, item, missing,
        )  # fmt: skip
    await conn.execute(
        "UPDATE answers SET value_codes = NULL WHERE response_id = $1 AND item_id = "
        "'participate_kinds'", ids[1],
    )  # fmt: skip
    await conn.execute(
        "UPDATE answers SET value_codes = '{}' WHERE response_id = $1 AND item_id = 'gender'",
        ids[5],
    )
    await conn.execute(
        "UPDATE answers SET value_codes = '{nosuch}' WHERE response_id = $1 AND item_id = 'gender'",
        ids[6],
    )
    # Answers of completed responses edited by hand: stored report and export figures
    # of the wave go, as 0005_report_cache.sql asks of such edits.
    await conn.execute("SELECT report_cache_invalidate($1, $2)", pid, seeded.wave_id)
    return seeded.wave_id


@pytest.mark.parametrize("role", ["admin", "evaluator"])
async def test_copy_lines_match_the_python_writer(
    conn: Conn, resources: Any, actors: Any, role: str
) -> None:
    pid = actors.programs["own"]
    wave_id = await awkward_wave(conn, resources, pid)
    who = SYSTEM if role == "admin" else evaluator(pid)
    reference, served = await _both(conn, resources, who, pid, wave_id)
    assert served == reference, _diff(served, reference)
    rows = list(csv.DictReader(io.StringIO(served.decode("utf-8-sig"), newline="")))
    if role == "admin":
        assert len(rows) == len(NUMBERS) + 6
        assert "two\nlines" in [r["comment"] for r in rows]
        assert (
            rows[0]["participate_count"] == "0" and rows[18]["participate_count"] == "9" + "0" * 18
        )
        assert rows[0]["race_ethnicity_asian"] == "-99"
    else:
        assert len(rows) == len(NUMBERS) + 3 and "comment" not in rows[0]  # Small withheld


async def test_copy_lines_of_an_empty_wave(conn: Conn, resources: Any, actors: Any) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid, big=0, small=0)
    reference, served = await _both(conn, resources, SYSTEM, pid, seeded.wave_id)
    assert served == reference and served.startswith(b"\xef\xbb\xbfresp_id,")


def _diff(a: bytes, b: bytes) -> str:
    for la, lb in zip(a.split(b"\r\n"), b.split(b"\r\n"), strict=False):
        if la != lb:
            return f"\n{la!r}\n{lb!r}"
    return ""


def test_lines_survive_any_cut() -> None:
    from survey.export.csvfile import _Lines

    stream = b'1,"a\\nb",x\n2,"back\\\\slash\\tand tab",y\n3,,\\r\n'
    whole = _Lines().feed(stream)
    assert whole == b'1,"a\nb",x\r\n2,"back\\slash\tand tab",y\r\n3,,\r\r\n'
    for cut in range(1, len(stream)):
        lines = _Lines()
        assert lines.feed(stream[:cut]) + lines.feed(stream[cut:]) == whole
        assert lines.rest == b"" and lines.lines == 3
