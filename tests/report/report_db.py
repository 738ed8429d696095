"""A seeded database per test module, cloned from the migrated template.

Seeding a few thousand synthetic responses takes seconds, so a module seeds once into
a database of its own and its tests only read it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from survey import db, embedded

_counter = itertools.count()


def module_database(
    pg_server: embedded.EmbeddedPostgres,
    template_db: str,
    seed: Callable[[db.Conn], Awaitable[Any]],
) -> Iterator[tuple[str, Any]]:
    """Create a database from the template, run ``seed`` on it, yield (url, seed result)."""
    name = f"r_{os.getpid()}_{next(_counter)}"

    async def create() -> Any:
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
        yield pg_server.url(name), seeded
    finally:
        asyncio.run(drop())


def run(coroutine: Awaitable[Any]) -> Any:
    """Run a coroutine from a module-scoped (synchronous) fixture."""

    async def wrap() -> Any:
        return await coroutine

    return asyncio.run(wrap())
