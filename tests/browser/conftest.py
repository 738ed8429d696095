"""Browser fixtures: one headless Chromium (Debian's ``chromium``) for all browser
tests, one real uvicorn server on a free loopback port serving ``create_app`` against a
database of its own, and a seeded wave per test.

Tests skip cleanly only where ``/usr/bin/chromium`` (or, for audits, axe-core from
npm) is missing; ``tests/run.sh`` installs both.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import CHROMIUM, CHROMIUM_ARGS, PHONE, Server, run
from survey_setup import Setup, seed

from survey import db, embedded
from survey.config import load_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


class _Chromium:
    """The session's browser, closed as soon as the last browser test has run."""

    playwright: Any = None
    browser: Any = None

    @classmethod
    def stop(cls) -> None:
        if cls.browser is not None:
            cls.browser.close()
            cls.playwright.stop()
            cls.browser = cls.playwright = None


@pytest.fixture
def browser(server: Server) -> Any:
    """One Chromium for a run of browser tests, started by the first of them. Depends on
    ``server`` so the database and server (built with ``asyncio.run``) exist before
    Playwright's sync API starts its event loop in the main thread. Not a session
    fixture: the browser is closed whenever the tests leave the browser files, and
    with the run split between processes (pytest-xdist) one process may come back to
    them after other tests, which then gets a fresh browser."""
    from playwright.sync_api import sync_playwright

    if _Chromium.browser is None:
        _Chromium.playwright = sync_playwright().start()
        _Chromium.browser = _Chromium.playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
    return _Chromium.browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Close Chromium when leaving the browser tests (after the test's own fixtures are
    torn down): while it is open, Playwright keeps an event loop running in the main
    thread, which async tests elsewhere must not inherit, and a session fixture would
    only be finalized at the very end of the run."""
    yield
    here = Path(__file__).parent
    if nextitem is None or here not in Path(str(nextitem.fspath)).parents:
        _Chromium.stop()


@pytest.fixture(scope="session")
def chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (/usr/bin/chromium); tests/run.sh installs it")


@pytest.fixture(scope="session")
def browser_db(pg_server: embedded.EmbeddedPostgres, template_db: str) -> Iterator[str]:
    """One database for the browser session; each test seeds its own program."""
    # Unique per instance: tests/dashboard loads these fixtures a second time.
    name = f"browser_{os.getpid()}_{secrets.token_hex(3)}"

    async def create() -> None:
        admin = await db.connect(pg_server.url())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_db} STRATEGY FILE_COPY")
        finally:
            await admin.close()

    async def drop() -> None:
        admin = await db.connect(pg_server.url())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()

    run(create())
    yield pg_server.url(name)
    run(drop())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(chromium: None, browser_db: str, resources_base: Any) -> Iterator[Server]:
    """uvicorn in a thread, serving the real app; stops cleanly at session end."""
    import uvicorn

    from survey.app import create_app

    port = _free_port()
    settings = load_settings(
        {}, database_url=browser_db, secret_key="browser-test-secret",
        public_base_url=f"http://127.0.0.1:{port}", pool_min_size=1, pool_max_size=4,
        # Every browser test comes from 127.0.0.1; the limit itself is tested in tests/web.
        open_link_rate_per_minute=100_000,
    )
    res = dataclasses.replace(resources_base, settings=settings)
    app = create_app(settings, resources=res)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", ws="none", access_log=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", settings, res)
    uv.should_exit = True
    thread.join(timeout=10)


_slugs = iter(range(1, 10_000))


@pytest.fixture
def make_wave(server: Server) -> Callable[..., Setup]:
    """Seed a program with a launched wave (own slug per call) and return its links."""

    def make(**kw: Any) -> Setup:
        async def go() -> Setup:
            conn = await db.connect(server.settings.database_url or "")
            try:
                return await seed(conn, server.resources, slug=f"browser-{next(_slugs)}", **kw)
            finally:
                await conn.close()

        return run(go())

    return make


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=PHONE)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


