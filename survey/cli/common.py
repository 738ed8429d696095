"""Shared pieces of the CLI: settings, the database URL, connections, progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

from survey import db, embedded
from survey.cli import CommandError
from survey.config import Settings, load_settings
from survey.db import Conn

S = TypeVar("S", covariant=True)

log = logging.getLogger("survey.cli")


def settings_from_env(**overrides: object) -> Settings:
    return load_settings(None, **{k: v for k, v in overrides.items() if v is not None})


async def database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's; exported for worker processes."""
    if settings.database_url:
        return settings.database_url
    progress(f"starting embedded PostgreSQL in {settings.resolved_data_dir}")
    server = embedded.start(settings.resolved_data_dir)
    await embedded.ensure_database(server.url("postgres"), "survey")
    url = server.url("survey")
    os.environ["SURVEY_DATABASE_URL"] = url
    return url


@asynccontextmanager
async def connection(settings: Settings) -> AsyncIterator[Conn]:
    async with connections(settings) as (conn, _):
        yield conn


@asynccontextmanager
async def connections(settings: Settings) -> AsyncIterator[tuple[Conn, db.Connect]]:
    """A connection, and a way to open more to the same database for work done side by
    side (a report's two waves built at once)."""
    url = await database_url(settings)
    try:
        conn = await db.connect(url)
    except db.CONNECT_FAILED as exc:
        raise CommandError(unreachable(url, exc, embedded=not settings.database_url)) from None
    try:
        yield conn, db.connector(url)
    finally:
        await conn.close()


def unreachable(url: str, exc: BaseException, *, embedded: bool) -> str:
    """Why the database could not be reached, naming where and the setting that says so:
    the operator's to fix, not a passing outage to retry."""
    import socket
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    where = parts.netloc.rpartition("@")[2] or parse_qs(parts.query).get("host", [""])[0]
    where = where or "localhost"
    if ":" not in where.rpartition("]")[2] and not where.startswith("/"):
        where += ":5432"
    if isinstance(exc, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(exc, socket.gaierror):
        reason = "host not found"
    elif isinstance(exc, TimeoutError):
        reason = "timed out"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror[:1].lower() + exc.strerror[1:]
    else:
        reason = str(exc) or type(exc).__name__
    if embedded:
        return f"cannot connect to the embedded database at {where}: {reason}"
    return f"cannot connect to the database at {where} (SURVEY_DATABASE_URL): {reason}"


def no_such_wave(argument: str, wave_id: int, program: str | None = None) -> CommandError:
    """The one wording of a wave id that names no wave: the argument, the id, and where
    it was looked for."""
    where = f" in program {program}" if program is not None else ""
    return CommandError(f"{argument} {wave_id}: no such wave{where}")


def progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


class Progress:
    """A one-line progress counter on stderr for long commands."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._last = 0.0
        self._tty = sys.stderr.isatty()
        self._finished = False

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._finished:
            # Writers report their last chunk and then the end: one 100% line, not two.
            return
        now = time.monotonic()
        if now - self._last > 0.25 or self.done >= self.total:
            self._finished = self.done >= self.total
            self._last = now
            pct = 100 * self.done / self.total
            end = "\r" if self._tty and self.done < self.total else "\n"
            if self._tty or self.done >= self.total or pct % 10 < 100 / self.total:
                print(
                    f"· {self.label}: {self.done}/{self.total} ({pct:.0f}%)",
                    end=end,
                    file=sys.stderr,
                    flush=True,
                )


def stop_on_signals() -> asyncio.Event:
    """An event SIGINT or SIGTERM sets: a worker finishes what it has in hand and exits."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def cancel_on_sigterm() -> None:
    """Have SIGTERM cancel the running command as Ctrl-C does, so its clean-up runs
    (a service manager stops with SIGTERM, whose default kills at once). Only the main
    thread may take signals; a command run from another thread keeps the default."""
    if threading.current_thread() is not threading.main_thread():
        return
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


#: The longest wait between attempts to get a lost database connection back.
RETRY_CAP = 30.0


class Loop(Protocol[S]):
    """A worker that can do one pass, or passes until told to stop, on ``conn``."""

    conn: Conn

    @property
    def total(self) -> S:
        """What every ``run`` so far did, kept across a lost connection."""
        ...

    async def run_once(self) -> S: ...

    async def run(self, stop: asyncio.Event, poll: float) -> S: ...


async def once_or_until_stopped(
    worker: Loop[S],
    *,
    once: bool,
    poll: float,
    doing: str,
    connect: db.Connect,
    prepare: Callable[[Conn], Awaitable[object]] | None = None,
) -> S:
    """One pass with ``--once``; otherwise passes every ``poll`` seconds until SIGINT or
    SIGTERM, saying first what the worker is ``doing``. Returns the worker's totals.

    A database that restarts or drops the worker's session must not end it (the texts
    queued meanwhile would wait for someone to notice): the failed pass is logged, and
    after a wait (``poll``, doubling while the database stays away, at most
    ``RETRY_CAP``) the worker carries on with a fresh connection from ``connect``,
    set up by ``prepare`` as the first one was. Whatever the pass held in a transaction rolled
    back with the session. A pass whose transaction the server rolls back (``db.transient``)
    is logged and the next one starts on the same connection. ``--once`` fails as any
    command does.
    """
    if once:
        return await worker.run_once()
    stop = stop_on_signals()
    progress(f"{doing}; Ctrl-C stops")
    async with contextlib.AsyncExitStack() as stack:
        failures = 0
        while True:
            try:
                return await worker.run(stop, poll=poll)
            except Exception as exc:
                if db.transient(exc):
                    # One transaction the server rolled back (a deadlock it broke, a
                    # serialization failure): nothing is lost, the next pass tries again.
                    log.warning("pass rolled back; carrying on",
                                extra={"error": f"{type(exc).__name__}: {exc}"})
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=poll)
                    continue
                if not db.connection_lost(exc):
                    raise
                reason = f"{type(exc).__name__}: {exc}"
            worker.conn.terminate()
            while True:
                failures += 1
                delay = min(max(poll, 0.1) * 2 ** (failures - 1), RETRY_CAP)
                log.warning(
                    "database connection lost; retrying in %g s", delay,
                    extra={"error": reason, "attempt": failures},
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                if stop.is_set():
                    return worker.total
                try:
                    conn = await stack.enter_async_context(connect())
                    if prepare is not None:
                        await prepare(conn)
                except Exception as exc:
                    if not db.connection_lost(exc) and not isinstance(exc, db.CONNECT_FAILED):
                        raise
                    reason = f"{type(exc).__name__}: {exc}"
                    continue
                worker.conn = conn
                failures = 0
                log.info("database connection back; carrying on")
                break
