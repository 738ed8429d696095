"""Database errors a user can cause, as the API words them: by column, never by the
constraint's name (which names our tables and means nothing to a grantee)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from survey import db
from survey.db import Conn, translate_error
from survey.errors import Conflict, InvalidInput, Unavailable


async def _raised(conn: Conn, sql: str, *args: Any) -> Any:
    with pytest.raises(asyncpg.PostgresError) as caught:
        async with conn.transaction():
            await conn.execute(sql, *args)
    return translate_error(caught.value)


async def test_constraint_names_never_reach_the_message(conn: Conn, actors: Any) -> None:
    own, other = actors.programs["own"], actors.programs["other"]
    site = await conn.fetchval(
        "INSERT INTO sites (program_id, name) VALUES ($1, 'Yakima') RETURNING id", other
    )
    wave = await conn.fetchval(
        "INSERT INTO waves (program_id, name, phase, questionnaire_id, languages,"
        " default_language) VALUES ($1, 'W', 'pre', 'pulse', '{en}', 'en') RETURNING id", own
    )
    # Another program's site: a composite foreign key (program_id, site_id).
    missing = await _raised(
        conn, "INSERT INTO wave_sites (program_id, wave_id, site_id) VALUES ($1, $2, $3)",
        own, wave, site,
    )
    assert isinstance(missing, InvalidInput)
    assert [p.as_dict() for p in missing.problems] == [
        {"field": "site_id", "reason": "refers to something that does not exist"}
    ]
    # A row others still point to.
    await conn.execute(
        "INSERT INTO wave_sites (program_id, wave_id, site_id)"
        " SELECT $1, $2, id FROM sites WHERE program_id = $1", other,
        await conn.fetchval(
            "INSERT INTO waves (program_id, name, phase, questionnaire_id, languages,"
            " default_language) VALUES ($1, 'W', 'pre', 'pulse', '{en}', 'en') RETURNING id",
            other,
        ),
    )
    in_use = await _raised(conn, "DELETE FROM sites WHERE id = $1", site)
    assert isinstance(in_use, InvalidInput)
    assert [p.as_dict() for p in in_use.problems] == [
        {"field": "id", "reason": "is still in use"}
    ]
    duplicate = await _raised(
        conn, "INSERT INTO programs (slug, name) VALUES ('own-program', 'x')"
    )
    assert isinstance(duplicate, Conflict) and duplicate.args == ("slug already exists",)
    for error in (missing, in_use, duplicate):
        text = str(error) + " ".join(
            str(p.as_dict()) for p in getattr(error, "problems", [])
        )
        assert "_fkey" not in text and "_key" not in text and "program_id_" not in text


def test_a_site_refusal_is_worded_for_a_spanish_reader() -> None:
    from pathlib import Path

    from survey.dashboard.i18n import DashboardCatalogs
    from survey.errors import FieldProblem
    from survey.services.waves import ANSWERED_SITE

    problem = FieldProblem("sites", ANSWERED_SITE, params={"site": "Spokane County"})
    assert problem.reason == "Spokane County has responses in this wave and cannot be removed"
    spanish = DashboardCatalogs(Path(__file__).parent.parent / "locales").gettext("es")
    assert problem.worded(spanish) == (
        "Spokane County tiene respuestas en esta ola y no se puede quitar"
    )


async def test_a_deadlock_the_server_broke_is_a_503_to_try_again(database_url: str) -> None:
    # Two transactions each waiting on the other's lock: the server fails one. Trying
    # again may well pass, so the API answers 503 with Retry-After, not 500 (a removal
    # of contacts or a purge that met one, before the program's contacts lock).
    one, two = await db.connect(database_url), await db.connect(database_url)
    try:
        async def cross(c: Conn, first: int, second: int) -> None:
            async with c.transaction():
                await c.execute("SELECT pg_advisory_xact_lock($1)", first)
                await asyncio.sleep(0.3)
                await c.execute("SELECT pg_advisory_xact_lock($1)", second)

        done = await asyncio.wait_for(asyncio.gather(
            cross(one, 1, 2), cross(two, 2, 1), return_exceptions=True), 30)
    finally:
        one.terminate()
        two.terminate()
    broken = [x for x in done if isinstance(x, BaseException)]
    assert len(broken) == 1 and isinstance(broken[0], asyncpg.DeadlockDetectedError)
    error = translate_error(broken[0])
    assert isinstance(error, Unavailable) and error.status == 503 and error.retry_after == 1
