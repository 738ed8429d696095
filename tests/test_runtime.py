"""How the app runs in a server: templates loaded once, the garbage collector settled
(``survey.app.settle_heap``)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest

from survey.app import serve_app, settle_heap


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
    assert settle_heap in app.on_startup


def test_templates_are_not_checked_for_changes_at_each_render() -> None:
    from survey.app import create_app
    from survey.config import load_settings

    app = create_app(load_settings({}, database_url="postgresql://localhost/unused",
                                   secret_key="test-secret-for-templates"))
    env = app.template_engine.engine  # type: ignore[union-attr]
    assert env.auto_reload is False
