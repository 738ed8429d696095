"""Database access: the pool, per-request transactions and error translation.

This module and ``survey.sql`` are the only places that import asyncpg. Services
receive a connection (``Conn``) and run named SQL from ``survey.sql.Q``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeAlias

import asyncpg

from survey.errors import Conflict, FieldProblem, InvalidInput, NotFound, SurveyError, Unavailable
from survey.i18n.marks import staff as t

Conn: TypeAlias = asyncpg.Connection
Pool: TypeAlias = asyncpg.Pool
Record: TypeAlias = asyncpg.Record
Connect: TypeAlias = Callable[[], AbstractAsyncContextManager[Conn]]
"""Opens a connection of its own for the length of a block, for work done side by side
with the caller's: a pool's ``acquire``, or ``connector(dsn)`` where there is no pool."""

# Raised when the server is gone or restarting; callers answer 503 and retry later.
_UNAVAILABLE = (
    OSError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the server went away or cannot take us now: worth a fresh
    connection after a wait, not a reason for a long-running worker to give up."""
    if isinstance(exc, asyncpg.InternalClientError) and "another operation" in str(exc):
        return True  # see translate_error
    return isinstance(exc, _UNAVAILABLE)


def transient(exc: BaseException) -> bool:
    """Whether ``exc`` is the server rolling back one transaction that may well pass if
    tried again (a deadlock it broke, a serialization failure): a worker logs it and
    carries on, it does not give up."""
    return isinstance(exc, asyncpg.TransactionRollbackError)


def lock_not_available(exc: BaseException) -> bool:
    """Whether ``exc`` is a ``NOWAIT`` lock refused because someone else holds it."""
    return isinstance(exc, asyncpg.LockNotAvailableError)


async def _init_connection(conn: Conn) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    _FLOOR_LOG.reported = False  # a connection opened: the outage, if any, is over


class _FloorLog(logging.Filter):
    """While the server is down, asyncpg's pool retries its connection floor in the
    background and logs "Failed to restore the pool connection floor; retrying" with a
    full traceback on every try: one line per outage instead, with the error's name."""

    def __init__(self) -> None:
        super().__init__()
        self.reported = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Failed to restore the pool connection floor"):
            return True
        if self.reported:
            return False
        self.reported = True
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            record.error = f"{type(error).__name__}: {error}"
        record.exc_info = None
        record.exc_text = None
        return True


_FLOOR_LOG = _FloorLog()
logging.getLogger("asyncpg.pool").addFilter(_FLOOR_LOG)

#: A connection idle this long is asked ``SELECT 1`` before a request gets it.
PROBE_AFTER_IDLE_S = 1.0


class _Connection(asyncpg.Connection):  # type: ignore[misc]
    __slots__ = ("_survey_used_at",)

    def idle_for(self) -> float:
        """Seconds since the last call; starts anew. Never called before (a connection
        the pool opened, perhaps in the background after an outage): as if idle for
        ever, so its first use is checked too."""
        now = time.monotonic()
        last = getattr(self, "_survey_used_at", float("-inf"))
        self._survey_used_at = now
        return now - last


class _Pool:
    """An asyncpg pool whose ``acquire`` (and so the release after it) waits at most
    ``acquire_timeout`` seconds unless told otherwise; with ``_check_idle``, a server
    that stopped answering (frozen, or behind a network black hole) costs a request a
    503 after that long, not the 20 s of ``command_timeout`` on each of its statements.

    A wrapper: ``create_pool`` takes no pool class, and ``Pool``'s own arguments change
    between asyncpg versions. Everything else is the pool's."""

    def __init__(self, pool: Any, acquire_timeout: float) -> None:
        self._pool = pool
        self.acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return self._pool.acquire(timeout=self.acquire_timeout if timeout is None else timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


async def _check_idle(conn: Conn) -> None:
    """Pool ``setup``: ``SELECT 1`` on a connection idle for a while, bounded by the
    acquire's own timeout; one that does not answer is dropped (``terminate``: a
    graceful close would wait on the server too) and the acquire fails."""
    if conn.idle_for() < PROBE_AFTER_IDLE_S:
        return
    try:
        await conn.fetchval("SELECT 1")
    except BaseException:
        conn.terminate()
        raise


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, statement_timeout_ms: int = 15000,
    acquire_timeout_ms: int = 5000,
) -> Pool:
    """Open a pool whose connections use UTC, JSON codecs and a statement timeout, and
    which waits at most ``acquire_timeout_ms`` for a connection, or to open one."""
    pool = asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        setup=_check_idle,
        connection_class=_Connection,
        server_settings={
            "timezone": "UTC",
            "statement_timeout": str(statement_timeout_ms),
            "application_name": "survey",
        },
        command_timeout=max(1.0, statement_timeout_ms / 1000 + 5),
        timeout=acquire_timeout_ms / 1000,  # asyncpg's connect timeout (60 s otherwise)
    )
    return _Pool(await pool, acquire_timeout_ms / 1000)


async def ping(pool: Pool, timeout: float) -> bool:
    """Whether the database answers ``SELECT 1`` within ``timeout`` seconds. Returns
    in that time even from a server that stopped answering: the connection is then
    terminated, where a graceful release would wait for the server."""
    conn = None
    try:
        async with asyncio.timeout(timeout):
            conn = await pool.acquire(timeout=timeout)
            await conn.fetchval("SELECT 1")
        return True
    except Exception:
        if conn is not None:
            conn.terminate()
        return False
    finally:
        if conn is not None:
            await pool.release(conn)


async def warm(pool: Pool, statements: Sequence[str], connections: int) -> None:
    """Run each statement once on ``connections`` different connections of the pool.

    The first call of a PL/pgSQL function in a session compiles it and plans its
    statements (10-20 ms for the submit batch); done here, at start, the first residents
    after a deploy do not wait for it, nor does everyone queued behind them.
    """
    async with contextlib.AsyncExitStack() as stack:
        held = [await stack.enter_async_context(pool.acquire()) for _ in range(connections)]
        for conn in held:
            for statement in statements:
                await conn.fetch(statement)


def is_pool(obj: Conn | Pool) -> bool:
    # The driver ships no types (Pool is Any to mypy), so no isinstance: a pool hands
    # out connections, a connection does not.
    return callable(getattr(obj, "acquire", None))


#: What ``connect`` raises when the database cannot be reached or refuses the login (or
#: the URL is one asyncpg cannot read): for a command, the operator's to fix.
CONNECT_FAILED = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)


async def connect(dsn: str) -> Conn:
    """A single connection for CLI commands and migrations."""
    conn: Conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    await _init_connection(conn)
    return conn


def connector(dsn: str) -> Connect:
    """``Connect`` for commands and scripts: each block opens and closes a connection."""

    @asynccontextmanager
    async def opened() -> AsyncIterator[Conn]:
        conn = await connect(dsn)
        try:
            yield conn
        finally:
            await conn.close()

    return opened


# Every message below is marked for the staff catalog: dashboard pages word it in the
# reader's language (``t(reason, **params)``); the API, which sets no translator,
# answers in English as before.

#: Duplicates a person makes by hand, in their words rather than the constraint's name
#: ("program_id_name already exists").
_DUPLICATES = {
    "sites_program_id_name_key": t("A site with this name already exists in the program"),
    "users_email_key": t("A user with this email already exists"),
}


def translate_error(exc: BaseException) -> SurveyError | None:
    """Map a driver error to a domain error, or None when it is a bug to surface as 500."""
    if isinstance(exc, SurveyError):
        return exc
    if isinstance(exc, asyncpg.UniqueViolationError):
        known = _DUPLICATES.get(getattr(exc, "constraint_name", None) or "")
        if known:
            return Conflict(known)
        subject = _constraint_subject(exc)
        if not subject:
            return Conflict(t("This already exists"))
        return Conflict(t("%(what)s already exists"), what=subject)
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        # Deleting a row others point to says "is still referenced" in its detail.
        in_use = "still referenced" in (getattr(exc, "detail", None) or "")
        reason = t("is still in use") if in_use else t("refers to something that does not exist")
        return InvalidInput([FieldProblem(_constraint_subject(exc), reason)])
    if isinstance(exc, asyncpg.CheckViolationError | asyncpg.NotNullViolationError):
        return InvalidInput([FieldProblem(_constraint_subject(exc), t("is not allowed here"))])
    if isinstance(exc, asyncpg.CharacterNotInRepertoireError
                  | asyncpg.UntranslatableCharacterError):
        # A NUL (or "\u0000" in JSON) that reached a text or jsonb column: say so.
        return InvalidInput([FieldProblem("value", t("contains a control character (NUL)"))])
    if isinstance(exc, asyncpg.InvalidTextRepresentationError | asyncpg.DataError):
        return InvalidInput([FieldProblem("value", t("has the wrong format"))])
    if isinstance(exc, asyncpg.QueryCanceledError):
        return Unavailable(retry_after=2)
    if transient(exc):
        # A deadlock the server broke, a serialization failure: trying again may pass.
        return Unavailable(retry_after=1)
    if isinstance(exc, asyncpg.LockNotAvailableError):
        # Waited its lock_timeout for a long job holding a lock (a report cache build).
        return Unavailable(retry_after=30)
    if isinstance(exc, _UNAVAILABLE):
        return Unavailable()
    if isinstance(exc, asyncpg.InternalClientError) and "another operation" in str(exc):
        # A connection whose server went away mid-statement, caught before asyncpg
        # noticed the socket closing; the pool replaces it.
        return Unavailable()
    return None


_KEY = re.compile(r"Key \(([a-z_][a-z0-9_]*(?:, [a-z_][a-z0-9_]*)*)\)=")


def _constraint_subject(exc: Any) -> str:
    """The column a user can act on, or "" when the error does not name one.

    Never the constraint's name: ``sites_program_id_site_id`` means nothing to a
    grantee and shows our schema. A key's columns come from the error's detail
    (``Key (program_id, site_id)=(1, 12) is not present…``): the last one is the
    user's (``program_id`` leads every key, as it is the distribution column)."""
    column = getattr(exc, "column_name", None)
    if column:
        return str(column)
    found = _KEY.match(getattr(exc, "detail", None) or "")
    if found is None:
        return ""
    return found.group(1).split(", ")[-1]


@asynccontextmanager
async def transaction(pool: Pool) -> AsyncIterator[Conn]:
    """Acquire a connection and run one transaction, translating driver errors."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    except SurveyError:
        raise
    except Exception as exc:
        mapped = translate_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


async def provide_connection(pool: Pool) -> AsyncGenerator[Conn, None]:
    """Per-request dependency: one transaction, committed before the response is sent."""
    async with transaction(pool) as conn:
        yield conn


async def fetch_one(conn: Conn, query: str, *args: Any, what: str = "resource") -> Record:
    """Fetch exactly one row or raise NotFound(what)."""
    row = await conn.fetchrow(query, *args)
    if row is None:
        raise NotFound(what)
    return row


# An array element PostgreSQL reads as it stands inside {...}: no quotes, separators,
# braces, backslashes or spaces ("NULL" aside, see below).
_BARE = re.compile(r"[A-Za-z0-9_.:+-]+")
# In cells joined by U+001E, with None as NUL: a character no bare cell has.
_NOT_BARE = re.compile(r"[^A-Za-z0-9_.:+\-\x1e\x00]")


def _element(value: object) -> str:
    if value is None:
        return "NULL"
    text = str(value)  # a float's shortest round trip; float8 reads inf and nan too
    if _BARE.fullmatch(text) and text.upper() != "NULL":
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def array_literal(values: Sequence[object]) -> str:
    """``values`` as the text of a PostgreSQL array (None as NULL), for a parameter
    the statement casts (``$1::text::float8[]``).

    asyncpg encodes a list parameter element by element at a few tenths of a
    microsecond each; the group commit sends forty-odd answers per response. Here
    the usual case, where every element is bare (ids, codes, numbers), is one join
    and one scan in C; only a list with an element to quote goes element by element.
    """
    cells = ["\x00" if v is None else str(v) for v in values]
    joined = "\x1e".join(cells)
    if (
        _NOT_BARE.search(joined) is None
        and "" not in cells
        and "\x1eNULL\x1e" not in f"\x1e{joined.upper()}\x1e"
    ):
        return "{" + joined.replace("\x1e", ",").replace("\x00", "NULL") + "}"
    return "{" + ",".join(map(_element, values)) + "}"
