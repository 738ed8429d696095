"""Dashboard fixtures. Catalogs come from a temporary copy of ``locales/`` so that a
reviewer signing off strings in a test never edits the repository's files. The
browser tests reuse the web survey's harness (``tests/browser/conftest.py``): its
fixtures are re-exported here, and pick up this directory's ``resources_base``."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for folder in ("export", "web", "browser"):
    sys.path.insert(0, str(ROOT / "tests" / folder))


def _harness() -> Any:
    spec = importlib.util.spec_from_file_location(
        "browser_harness", ROOT / "tests" / "browser" / "conftest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["browser_harness"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


harness = _harness()
browser = harness.browser
chromium = harness.chromium
browser_db = harness.browser_db
server = harness.server
context = harness.context
page = harness.page


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Close Chromium after the last test that uses it, as the harness does for its
    own: Playwright's sync API keeps an event loop running in the main thread, which
    the async tests that follow must not inherit."""
    yield
    if nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ()):
        harness._Chromium.stop()


@pytest.fixture(scope="session")
def locales_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("locales") / "locales"
    shutil.copytree(ROOT / "locales", target)
    return target


@pytest.fixture(scope="session")
def resources_base(locales_copy: Path) -> Iterator[Any]:
    from survey.config import load_settings
    from survey.resources import load_resources

    yield load_resources(load_settings({}, secret_key="x", locales_dir=str(locales_copy)))
