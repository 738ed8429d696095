"""A seeded database per test module, cloned from the migrated template.

Seeding a few thousand synthetic responses takes seconds, so a module seeds once into
a database of its own and its tests only read it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from seeded_db import seeded_database

from survey import db, embedded


def module_database(
    pg_server: embedded.EmbeddedPostgres,
    template_db: str,
    seed: Callable[[db.Conn], Awaitable[Any]],
) -> Iterator[tuple[str, Any]]:
    """Create a database from the template, run ``seed`` on it, yield (url, seed result)."""
    with seeded_database(pg_server, template_db, seed) as (name, seeded):
        yield pg_server.url(name), seeded


def run(coroutine: Awaitable[Any]) -> Any:
    """Run a coroutine from a module-scoped (synchronous) fixture."""

    async def wrap() -> Any:
        return await coroutine

    return asyncio.run(wrap())
