"""``survey serve``: migrate, then run the HTTP server."""

from __future__ import annotations

import argparse
import asyncio
import math
import os

from survey import migrations
from survey.cli import CommandError
from survey.cli.common import connection, progress, settings_from_env
from survey.config import Settings, require_secret


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the web service")
    add_server_arguments(parser)
    parser.set_defaults(func=serve)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (SURVEY_HOST)")
    parser.add_argument("--port", type=int, help="port (SURVEY_PORT)")
    parser.add_argument("--workers", type=int, help="worker processes (SURVEY_WORKERS)")
    parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations")


def prepare(args: argparse.Namespace, *, listen: bool = True) -> Settings:
    """Resolve the database, export settings for workers, and migrate. ``listen``: the
    server will run, so first check it can listen where asked, before the database
    starts and migrations run."""
    settings = settings_from_env(host=args.host, port=args.port, workers=args.workers)
    require_secret(settings)
    if listen:
        check_listen(
            settings.host, settings.port,
            port_flag="--port" if args.port is not None else "SURVEY_PORT",
            host_flag="--host" if args.host is not None else "SURVEY_HOST",
        )
    # Worker processes build their settings from the environment, where --port is not:
    # the options replace the variables there (SURVEY_PORT=abc with --port 8799 too).
    os.environ["SURVEY_PUBLIC_BASE_URL"] = settings.public_base_url
    os.environ["SURVEY_HOST"] = settings.host
    os.environ["SURVEY_PORT"] = str(settings.port)
    os.environ["SURVEY_WORKERS"] = str(settings.workers)
    if not settings.secret_key:
        import secrets

        progress("SURVEY_SECRET_KEY is not set: using a temporary key (sessions end on restart)")
        os.environ["SURVEY_SECRET_KEY"] = secrets.token_urlsafe(32)

    async def migrate() -> None:
        async with connection(settings) as conn:
            if args.no_migrate:
                await migrations.check_current(conn)
            else:
                await migrations.upgrade(
                    conn, progress=lambda m: progress(f"applying {m.version:04d}_{m.name}")
                )

    asyncio.run(migrate())
    return settings


def check_listen(host: str, port: int, *, port_flag: str, host_flag: str) -> None:
    """Bind and release the address the server will listen on, so a port in use is one
    clear line now rather than a log line after the database has started. uvicorn binds
    with SO_REUSEADDR too, so a port left in TIME_WAIT passes here as it does there."""
    import errno
    import socket

    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        raise CommandError(f"cannot listen on {host}: no such address ({host_flag})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use ({port_flag})"
                ) from None
            raise CommandError(
                f"cannot listen on {host}:{port} ({host_flag}, {port_flag}): "
                f"{(exc.strerror or str(exc)).lower()}"
            ) from None


def run_server(settings: Settings) -> None:
    import signal
    import sys

    import uvicorn
    from uvicorn.supervisors.multiprocess import Multiprocess

    from survey.cli.workers import SpreadWorkers

    # uvicorn shuts down gracefully, then re-raises SIGTERM to the handler that was
    # installed before it: exit normally so atexit stops the embedded PostgreSQL.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    host, port, workers = settings.host, settings.port, settings.workers
    progress(f"serving on http://{host}:{port} with {workers} worker(s)")
    config = uvicorn.Config(
        "survey.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        # uvicorn takes whole seconds; a fraction rounds up rather than to none.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace),
        proxy_headers=True,
    )
    if workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            # Something took the port after check_listen, or the app failed to start.
            print("survey: error: the server did not start (see the log above)",
                  file=sys.stderr)
            raise SystemExit(3)  # uvicorn's exit status for a failed start
        return
    if port == 0:  # a port of the system's choosing cannot be shared: one socket
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    try:
        supervisor = SpreadWorkers(config)
    except OSError as exc:
        raise SystemExit(f"survey: error: cannot listen on {host}:{port}: {exc.strerror}") from None
    supervisor.run()


def serve(args: argparse.Namespace) -> int:
    run_server(prepare(args))
    return 0
