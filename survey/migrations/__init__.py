"""Append-only schema migrations.

Files are ``NNNN_slug.sql``, applied in order, each in its own transaction, under a
PostgreSQL advisory lock so concurrent starts cannot race. Each applied file is
recorded with its SHA-256; editing an applied file is an error, never silently
re-run. Add a new file instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import msgspec

from survey.db import Conn

MIGRATIONS_DIR = Path(__file__).parent
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same for every process of the service.
_LOCK_KEY = 0x5355_5256_4559


class Migration(msgspec.Struct, frozen=True):
    version: int
    name: str
    sql: str
    checksum: str


class MigrationError(Exception):
    """The database and the code disagree about the schema."""


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_slug.sql")
        sql = path.read_text(encoding="utf-8")
        found.append(
            Migration(
                version=int(match.group(1)),
                name=match.group(2),
                sql=sql,
                checksum=hashlib.sha256(sql.encode()).hexdigest(),
            )
        )
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration numbers must run 1..n without gaps, found {versions}")
    return found


async def _ensure_table(conn: Conn) -> None:
    await conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version    integer PRIMARY KEY,
               name       text NOT NULL,
               checksum   text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )


async def applied(conn: Conn) -> dict[int, tuple[str, str]]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    return {r["version"]: (r["name"], r["checksum"]) for r in rows}


def _verify(done: dict[int, tuple[str, str]], files: list[Migration]) -> None:
    by_version = {m.version: m for m in files}
    for version, (name, checksum) in sorted(done.items()):
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {version:04d}_{name}, which this version of "
                "the service does not know; upgrade the service"
            )
        if migration.checksum != checksum:
            raise MigrationError(
                f"migration {version:04d}_{name} was changed after it was applied; "
                "migrations are append-only: restore the file and add a new one"
            )


async def upgrade(
    conn: Conn,
    *,
    directory: Path = MIGRATIONS_DIR,
    progress: Callable[[Migration], None] | None = None,
) -> list[Migration]:
    """Apply pending migrations; return those applied now."""
    files = available(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await _ensure_table(conn)
        done = await applied(conn)
        _verify(done, files)
        ran: list[Migration] = []
        for migration in files:
            if migration.version in done:
                continue
            if progress:
                progress(migration)
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            ran.append(migration)
        return ran
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def check_current(conn: Conn, *, directory: Path = MIGRATIONS_DIR) -> None:
    """Refuse to serve against a schema that is newer than, or differs from, the code."""
    files = available(directory)
    done = await applied(conn)
    _verify(done, files)
    missing = [m for m in files if m.version not in done]
    if missing:
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in missing)
        raise MigrationError(f"the database needs migrations {names}: run `survey db upgrade`")
