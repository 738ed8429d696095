"""Report fixtures. Modules seed a database of their own once (``report_db``); a test
that needs to write (uploading margins, say) uses the function-scoped ``conn``.

A test that takes ``own`` gets the access tests' users (``actors``) and
test_report_api.seed_own's sites, waves and responses in their program 'own', seeded
once per module into a template (tests/seeded_db.py) its database is cloned from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from actors import Actors, make_actors
from seeded_db import seeded_database

from survey import db
from survey.embedded import EmbeddedPostgres
from survey.resources import Resources

Own = tuple[Actors, dict[str, int]]


@pytest.fixture
async def rconn(seeded_db: tuple[str, Any]) -> AsyncIterator[db.Conn]:
    """A connection to the module's seeded database (each module defines ``seeded_db``)."""
    connection = await db.connect(seeded_db[0])
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def own_template(
    pg_server: EmbeddedPostgres, template_db: str, resources_base: Resources
) -> Iterator[tuple[str, Own]]:
    from tests.report.test_report_api import seed_own

    async def seed(conn: db.Conn) -> Own:
        people = await make_actors(conn)
        return people, await seed_own(conn, resources_base, people.programs["own"])

    with seeded_database(pg_server, template_db, seed) as made:
        yield made


@pytest.fixture
def database_template(request: pytest.FixtureRequest, template_db: str) -> str:
    """A copy of ``own_template`` for a test that takes ``own``, else the bare template."""
    if "own" not in request.fixturenames:
        return template_db
    made: tuple[str, Own] = request.getfixturevalue("own_template")
    return made[0]


@pytest.fixture
async def actors(request: pytest.FixtureRequest, conn: db.Conn) -> Actors:
    """The users ``own_template`` made, for a test that takes ``own``; else made now."""
    if "own" not in request.fixturenames:
        return await make_actors(conn)
    made: tuple[str, Own] = request.getfixturevalue("own_template")
    return made[1][0]


@pytest.fixture
def own(own_template: tuple[str, Own], database_url: str) -> dict[str, int]:
    """seed_own's ids (waves 'pre' and 'post', sites by name) in program 'own'."""
    return own_template[1][1]
