"""Shared set-up for benchmark scripts: a throwaway embedded PostgreSQL, migrated.

Benchmarks are scripts, not tests: run them with ``python -m tests.bench.<name>``.
Each prints its own figures and a ratio against a baseline measured in the same run.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from survey import db, embedded, migrations


@contextmanager
def database() -> Iterator[tuple[str, embedded.EmbeddedPostgres]]:
    """A migrated database; SURVEY_BENCH_DATABASE_URL uses an existing server instead."""
    url = os.environ.get("SURVEY_BENCH_DATABASE_URL")
    if url:
        yield url, None  # type: ignore[misc]
        return
    server = embedded.start(Path(tempfile.mkdtemp(prefix="survey-bench-")), delete_on_exit=True)
    try:
        yield server.url("postgres"), server
    finally:
        server.stop()


async def migrate(url: str) -> None:
    conn = await db.connect(url)
    try:
        await migrations.upgrade(conn)
    finally:
        await conn.close()


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


async def tune(url: str) -> None:
    """Throwaway data: durability costs seeding time and tells nothing a benchmark
    measures (reads, exports, sizes), so turn it off on the benchmark's own server."""
    conn = await db.connect(url)
    try:
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            await conn.execute(f"ALTER SYSTEM SET {setting}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()
