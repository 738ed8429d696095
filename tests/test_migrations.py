"""Migrations: applied in order, recorded with checksums, append-only, locked."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from survey import db, migrations
from survey.db import Conn


async def test_template_is_current(conn: Conn) -> None:
    await migrations.check_current(conn)
    done = await migrations.applied(conn)
    files = migrations.available()
    assert sorted(done) == [m.version for m in files]
    assert all(done[m.version][1] == m.checksum for m in files)


async def test_changed_migration_is_refused(conn: Conn, tmp_path: Path) -> None:
    for path in migrations.MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    first = sorted(tmp_path.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after release\n")
    with pytest.raises(migrations.MigrationError, match="changed after it was applied"):
        await migrations.upgrade(conn, directory=tmp_path)


async def test_newer_database_is_refused(conn: Conn, tmp_path: Path) -> None:
    await conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')"
    )
    with pytest.raises(migrations.MigrationError, match="does not know"):
        await migrations.check_current(conn)


async def test_new_migration_applies_once_under_concurrency(
    database_url: str, tmp_path: Path
) -> None:
    for path in migrations.MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    n = len(migrations.available()) + 1
    (tmp_path / f"{n:04d}_extra.sql").write_text("CREATE TABLE extra_table (id int);")
    conns = [await db.connect(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrations.upgrade(c, directory=tmp_path) for c in conns))
    finally:
        for c in conns:
            await c.close()
    assert sorted(len(r) for r in results) == [0, 0, 1]


def test_files_are_numbered_without_gaps() -> None:
    versions = [m.version for m in migrations.available()]
    assert versions == list(range(1, len(versions) + 1))
