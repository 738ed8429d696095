"""A module's synthetic data seeded once, into a template of its own, for every test.

Seeding a program's responses costs a test 0.5-5 s; cloning a database costs 12-30 ms
(tests/conftest.py). A module whose tests all start from the same seeded program
seeds it once into a database made from the migrated template, and each test gets a
clone of that, as it would of the bare template: still a database of its own, that it
may change as it likes. Ids, sequences and statistics come along in the clone, so the
seed's result (ids, say) holds in every test's copy; a test reads it from the module
fixture instead of working it out again.

A module defines, with ``seed`` its per-test seeding moved into an async function::

    @pytest.fixture(scope="module")
    def seeded_template(pg_server, template_db, resources_base):
        with seeded_database(pg_server, template_db, seed) as made:
            yield made

    @pytest.fixture
    def database_template(seeded_template):  # overrides tests/conftest.py's
        return seeded_template[0]

    @pytest.fixture
    def seeded(seeded_template, database_url):
        return seeded_template[1]

Under pytest-xdist each worker has a PostgreSQL of its own (``pg_server``), so each
seeds its own template.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from survey import db, embedded

T = TypeVar("T")
_counter = itertools.count()


@contextlib.contextmanager
def seeded_database(
    pg_server: embedded.EmbeddedPostgres,
    template_db: str,
    seed: Callable[[db.Conn], Awaitable[T]],
) -> Iterator[tuple[str, T]]:
    """Create a database from ``template_db``, run ``seed`` on it, and yield (its name,
    what ``seed`` returned); drop it on leaving. Nothing stays connected to it, so it
    can be cloned (CREATE DATABASE refuses a template with a session open on it)."""
    name = f"s_{os.getpid()}_{next(_counter)}"

    async def create() -> T:
        admin = await db.connect(pg_server.url())
        try:
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_db} STRATEGY WAL_LOG")
        finally:
            await admin.close()
        conn = await db.connect(pg_server.url(name))
        try:
            return await seed(conn)
        finally:
            await conn.close()

    async def drop() -> None:
        admin = await db.connect(pg_server.url())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()

    seeded = asyncio.run(create())
    try:
        yield name, seeded
    finally:
        asyncio.run(drop())
