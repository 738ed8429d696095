"""How the app runs in a server: templates loaded once, the garbage collector settled
(``survey.app.settle_heap``)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest

from survey import db
from survey.app import compile_templates, serve_app, settle_heap


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restore_gc")
def test_settling_freezes_what_is_loaded() -> None:
    loaded = [object() for _ in range(3)], {"catalog": ["a", "b"]}
    threshold = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    settle_heap()
    # Everything alive at start-up, these containers among them, is out of the
    # collector's sight; the thresholds stay as they were.
    assert gc.get_freeze_count() > 1000
    assert gc.is_tracked(loaded[1]) and not any(loaded[1] is o for o in gc.get_objects())
    assert gc.get_threshold() == threshold
    # Cyclic garbage made afterwards is still collected.
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_the_server_settles_its_heap_once_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_SECRET_KEY", "test-secret-for-heap")
    monkeypatch.setenv("SURVEY_DATABASE_URL", "postgresql://localhost/never-connected")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access").disabled
    try:
        app = serve_app()  # configures JSON logs, as the server process does
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("uvicorn.access").disabled = access
    # Templates compiled first, then the heap settled with them in it.
    assert app.on_startup[-2:] == [compile_templates, settle_heap]


def test_templates_are_not_checked_for_changes_at_each_render() -> None:
    from survey.app import create_app
    from survey.config import load_settings

    app = create_app(load_settings({}, database_url="postgresql://localhost/unused",
                                   secret_key="test-secret-for-templates"))
    env = app.template_engine.engine  # type: ignore[union-attr]
    assert env.auto_reload is False


def test_every_template_is_compiled_before_the_first_request() -> None:
    from survey.app import create_app
    from survey.config import load_settings

    app = create_app(load_settings({}, database_url="postgresql://localhost/unused",
                                   secret_key="test-secret-for-templates"))
    env = app.template_engine.engine  # type: ignore[union-attr]
    names = env.list_templates()
    assert len(names) > 20 and len(env.cache) == 0
    compile_templates(app)
    assert len(env.cache) == len(names)
    # Each is compiled: asking again returns the same object, nothing re-read.
    assert all(env.get_template(n) is env.get_template(n) for n in names)


async def test_warming_runs_each_statement_once_on_that_many_connections(
    database_url: str,
) -> None:
    pool = await db.create_pool(database_url, min_size=1, max_size=4)
    try:
        await pool.execute("CREATE TABLE warmed (pid int, n int)")
        await db.warm(pool, ["INSERT INTO warmed VALUES (pg_backend_pid(), 1)",
                             "INSERT INTO warmed VALUES (pg_backend_pid(), 2)"], 3)
        rows = await pool.fetch("SELECT pid, array_agg(n ORDER BY n) AS ns FROM warmed "
                                "GROUP BY pid")
        assert len(rows) == 3 and all(r["ns"] == [1, 2] for r in rows)
    finally:
        await pool.close()
