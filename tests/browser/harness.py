"""Shared by the browser tests and their fixtures: paths, the server handle, and
helpers that seed and read the database from synchronous (Playwright) tests.

Not in ``conftest.py``: tests/web has a conftest too, and a test module importing
``conftest`` by name would get whichever was imported first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))

from survey import db
from survey.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
#: A small phone: pages must work from 320 px; 360 is the most common Android width.
PHONE = {"width": 360, "height": 740}

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a synchronous browser test (DB checks and seeding).

    In a thread of its own: Playwright's sync API keeps an event loop running in the
    main thread while a browser is open, and ``asyncio.run`` refuses to nest.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclasses.dataclass
class Server:
    url: str
    settings: Settings
    resources: Any


def fetch(server: Server, query: str, *args: Any) -> list[Any]:
    """Rows from the server's database (to check what was stored)."""

    async def go() -> list[Any]:
        conn = await db.connect(server.settings.database_url or "")
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return run(go())


def _first_answer(item: Any) -> Any:
    """What ``fill_page`` would pick: the first point or option, or a typed value."""
    from survey.questionnaire import LikertItem, MultiChoiceItem, NumberItem, SingleChoiceItem

    if isinstance(item, LikertItem):
        return str(item.points[0].value)
    if isinstance(item, SingleChoiceItem):
        return item.options[0].code
    if isinstance(item, MultiChoiceItem):
        return [item.options[0].code]
    if isinstance(item, NumberItem):
        return "3"
    return "ok"


def prefill(server: Server, token: str, until: str, overrides: dict[str, Any] | None = None,
            language: str = "en") -> None:
    """Answer a personal link's pages before section ``until`` through the services,
    as if the resident had done so earlier; the browser then resumes there."""
    from survey.questionnaire import pages
    from survey.services import entries, responses

    overrides = overrides or {}

    async def go() -> None:
        conn = await db.connect(server.settings.database_url or "")
        try:
            async with conn.transaction():
                entry = await entries.personal_entry(conn, token)
                q = await entries.questionnaire_of(conn, entry)
                response_id = await responses.start_personal(conn, entry, language)
                for _ in range(40):
                    answers = await responses.load_answers(conn, entry.program_id, response_id)
                    section = next(p.section.id for p in pages(q, answers)
                                   if any(i.id not in answers for i in p.items))
                    if section == until:
                        return
                    items = [i for i in q.items if i.section == section]
                    raw = {i.id: overrides.get(i.id, _first_answer(i)) for i in items}
                    await responses.save_page(conn, entry, response_id, q, section, raw,
                                              {i.id for i in items}, language)
                raise AssertionError(f"never reached {until}")
        finally:
            await conn.close()

    run(go())
