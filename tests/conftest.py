"""Shared fixtures: one embedded PostgreSQL per test run, a migrated template
database, and a fresh clone of it for every test that touches the database."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from actors import Actors, make_actors
from fastdisk import memory_dir
from hypothesis import settings

from survey import db, embedded, migrations
from survey.config import Settings, load_settings
from survey.db import Conn

TEMPLATE = "survey_template"
_counter = itertools.count()

# No per-example deadline: on a loaded 2-core machine (CI, or helpers' test runs side
# by side) a parser's example can take over the default 200 ms without being slow,
# and a deadline then fails a test that found nothing wrong. Tests that set their
# own settings keep them.
settings.register_profile("survey", deadline=None)
settings.load_profile("survey")


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id with one pass over 1 MiB in this process, instead of the defaults' three
    over 64 MiB in four lanes: those cost 0.25-0.5 s a hash or a check on a 2-core
    runner, and every `actors` set-up, set_password and dashboard sign-in paid one, a
    second or more per dashboard test. Hashes stay argon2id, checked the same way;
    commands started as processes keep the production defaults."""
    from argon2 import PasswordHasher

    from survey import security

    saved = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = saved


@pytest.fixture(scope="session", autouse=True)
def _dashboard_catalogs_read_once() -> Iterator[None]:
    """Every app a test builds compiled the staff catalogs (``dashboard.po``) again:
    0.08-0.1 s of its 0.25-0.35 s. Here an app gets the catalogs already compiled
    from the same files with the same bytes (so a test that signs strings off, and
    writes its copy of the catalog, gets them compiled anew)."""
    import hashlib

    import survey.dashboard as dashboard
    from survey.dashboard.i18n import DOMAIN, DashboardCatalogs
    from survey.i18n import SUPPORTED_LOCALES
    from survey.i18n.catalogs import po_path

    built: dict[tuple[str, ...], DashboardCatalogs] = {}

    def catalogs(locales_dir: Path) -> DashboardCatalogs:
        key = [str(Path(locales_dir).resolve())]
        for locale in SUPPORTED_LOCALES:
            path = po_path(Path(locales_dir), locale, DOMAIN)
            if path.is_file():
                key.append(f"{locale}:{hashlib.sha256(path.read_bytes()).hexdigest()}")
        found = built.get(tuple(key))
        if found is None:
            found = built[tuple(key)] = DashboardCatalogs(locales_dir)
        return found

    saved = dashboard.DashboardCatalogs
    dashboard.DashboardCatalogs = catalogs  # type: ignore[assignment,misc]
    yield
    dashboard.DashboardCatalogs = saved  # type: ignore[misc]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[embedded.EmbeddedPostgres]:
    """A real PostgreSQL for the whole run (SURVEY_TEST_DATABASE_URL uses an external one)."""
    base = Path(tempfile.mkdtemp(prefix="survey-test-", dir=memory_dir()))
    server = embedded.start(base, delete_on_exit=True)

    async def tune() -> None:
        conn = await db.connect(server.url())
        try:
            # Durability is pointless for throwaway test data; speed is not.
            await conn.execute("ALTER SYSTEM SET fsync = off")
            await conn.execute("ALTER SYSTEM SET full_page_writes = off")
            await conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()

    asyncio.run(tune())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def template_db(pg_server: embedded.EmbeddedPostgres) -> str:
    async def build() -> None:
        admin = await db.connect(pg_server.url())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        conn = await db.connect(pg_server.url(TEMPLATE))
        try:
            await migrations.upgrade(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    return TEMPLATE


@pytest.fixture
def database_template(template_db: str) -> str:
    """What each test's database is cloned from: the migrated template, or in a module
    that seeds its data once, that module's seeded copy of it (tests/seeded_db.py)."""
    return template_db


@pytest.fixture
async def database_url(
    pg_server: embedded.EmbeddedPostgres, database_template: str
) -> AsyncIterator[str]:
    """A database of its own for this test, cloned from ``database_template``."""
    async with _clone(pg_server, database_template) as url:
        yield url


@contextlib.asynccontextmanager
async def _clone(pg_server: embedded.EmbeddedPostgres, template: str) -> AsyncIterator[str]:
    """A new database copied from ``template``, dropped after."""
    name = await _create(pg_server, template)
    try:
        yield pg_server.url(name)
    finally:
        await _drop(pg_server, name)


async def _create(pg_server: embedded.EmbeddedPostgres, template: str) -> str:
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = await db.connect(pg_server.url())
    try:
        # FILE_COPY's checkpoints cost little with fsync off: 12-30 ms a database (in
        # /dev/shm: see fastdisk.memory_dir) against 20-30 ms for WAL_LOG, which writes the
        # template's 9 MB to the WAL each time.
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
    finally:
        await admin.close()
    return name


async def _drop(pg_server: embedded.EmbeddedPostgres, name: str) -> None:
    admin = await db.connect(pg_server.url())
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


DEMO_BASE_URL = "http://testserver.local"


@pytest.fixture(scope="session")
def demo_template(
    pg_server: embedded.EmbeddedPostgres, template_db: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """`survey demo`'s program seeded once per run into a database tests only clone,
    with what the seeding printed (credentials, links). Its thousands of synthetic
    responses took 10 s or more for each module that seeded them."""
    from seeded_db import seeded_database

    from survey.cli import demo

    async def seed(conn: Conn) -> dict[str, str]:
        return await demo.seed(conn, DEMO_BASE_URL)

    with seeded_database(pg_server, template_db, seed) as made:
        yield made


@pytest.fixture
async def demo_database(
    pg_server: embedded.EmbeddedPostgres, demo_template: tuple[str, dict[str, str]]
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A database of this test's own with the demo program in it (see demo_template),
    and what seeding it printed."""
    name, printed = demo_template
    async with _clone(pg_server, name) as url:
        yield url, dict(printed)


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[Conn]:
    connection = await db.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        {},
        database_url=database_url,
        secret_key="test-secret-key",
        public_base_url="http://testserver.local",
        pool_min_size=1,
        pool_max_size=4,
    )


@pytest.fixture(scope="session")
def resources_base() -> object:
    """Questionnaires and catalogs, loaded once per run (they are read-only)."""
    from survey.resources import load_resources

    return load_resources(load_settings({}, secret_key="x"))


@pytest.fixture
def resources(settings: Settings, resources_base: object) -> object:
    import dataclasses

    return dataclasses.replace(resources_base, settings=settings)  # type: ignore[type-var]


@pytest.fixture
async def client(settings: Settings, resources: object) -> AsyncIterator[object]:
    async with _client(settings, resources) as test_client:
        yield test_client


@contextlib.asynccontextmanager
async def _client(settings: Settings, resources: object) -> AsyncIterator[object]:
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(
        app=_app(settings, resources), base_url="http://testserver.local"
    ) as test_client:
        yield test_client


_apps: dict[tuple[object, ...], object] = {}


def _app(settings: Settings, resources: Any) -> Any:
    """An app for these settings and resources, with a fresh state of their own.

    Building one costs 0.25-0.3 s of CPU (Litestar reading every handler), and most
    tests build one. Apps whose settings differ only in the database (each test has
    its own) and that share resources have the same routes, so this process builds
    one and gives each test it anew the state ``create_app`` would have given it
    (survey.app.app_state): its settings, resources, limiters and caches. The lifespan
    opens the test's own database from that state."""
    import msgspec
    from litestar.datastructures import State

    from survey.app import app_state, create_app
    from survey.config import with_secret

    shape = msgspec.structs.replace(settings, database_url="")
    key = (msgspec.json.encode(shape), id(resources.catalogs), id(resources.questionnaires),
           resources.supported_locales)
    app = _apps.get(key)
    if app is None:
        app = _apps[key] = create_app(settings, resources=resources)
    else:
        app.state = State(app_state(with_secret(settings), resources))
    return app


@pytest.fixture(scope="session")
def partial_catalogs(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The catalogs with gaps every shipped language has since filled: Vietnamese and
    Somali without the web questionnaire's own texts, and a Spanish SMS question over
    two messages, for tests of what the product does with such a language."""
    from partial import partial_catalogs

    return partial_catalogs(tmp_path_factory.mktemp("locales"))


@pytest.fixture
def partial_resources(resources: object, partial_catalogs: object) -> object:
    import dataclasses

    return dataclasses.replace(resources, catalogs=partial_catalogs)  # type: ignore[type-var]


@pytest.fixture
async def partial_client(settings: Settings, partial_resources: object) -> AsyncIterator[object]:
    async with _client(settings, partial_resources) as test_client:
        yield test_client


@pytest.fixture
async def actors(conn: Conn) -> Actors:
    """admin; grantee and evaluator of program 'own'; grantee of program 'other'."""
    return await make_actors(conn)
