"""Request dependencies: the transaction, the caller, and the loaded resources."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from survey.access import Principal
from survey.db import Conn
from survey.errors import Unauthorized
from survey.report.preparing import Prepare
from survey.resources import Resources
from survey.services import users

SESSION_COOKIE = "survey_session"

# Handlers name their dependencies with these (Litestar 3 drops inferred injection).
DbConn = NamedDependency[Conn]
Who = NamedDependency[Principal]
Res = NamedDependency[Resources]


async def provide_conn(state: State) -> AsyncGenerator[Conn, None]:
    """One transaction per request, committed before the response is sent.

    Driver errors pass through unchanged (Litestar re-raises what it threw in) and
    are mapped to domain errors by the exception handler.
    """
    async with state.pool.acquire() as conn, conn.transaction():
        yield conn


async def provide_read_conn(state: State) -> AsyncGenerator[Conn, None]:
    """A connection outside any transaction, for handlers that only read.

    Saves the BEGIN and COMMIT round trips of ``provide_conn``. Each statement still
    sees a consistent snapshot of its own; use this only where no two reads must
    agree with each other beyond what their own ordering guarantees.
    """
    async with state.pool.acquire() as conn:
        yield conn


#: Handler-level override of ``conn`` for read-only handlers.
READ_ONLY = {"conn": Provide(provide_read_conn)}
#: The same connection, outside any transaction, for a handler whose service commits
#: its work a part at a time (a wave's purge: ``contact_removal.purge_wave``).
IN_PARTS = READ_ONLY


def credentials(request: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str] | None:
    """('key', value) from an Authorization header, or ('session', value) from the cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return "key", value.strip()
    api_key = request.headers.get("x-api-key", "").strip()
    if api_key:
        return "key", api_key
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie:
        return "session", cookie
    return None


async def provide_principal(request: Request[Any, Any, Any], conn: DbConn) -> Principal:
    found = credentials(request)
    if found is None:
        raise Unauthorized()
    kind, value = found
    if len(value) > 200:
        raise Unauthorized("Invalid credentials")
    principal = (
        await users.principal_for_key(conn, value)
        if kind == "key"
        else await users.principal_for_session(conn, value)
    )
    if principal is None:
        raise Unauthorized("Invalid credentials")
    request.state.principal = principal
    return principal


def provide_resources(state: State) -> Resources:
    res: Resources = state.resources
    return res


def report_prepare(state: State) -> Prepare:
    """How a report requested over HTTP prepares large waves in the background
    (``survey.report.preparing``): the server's builds, on its pool."""
    return Prepare(state.settings.report_prepare_over, state.report_builds, state.pool.acquire)


DEPENDENCIES = {
    "conn": Provide(provide_conn),
    "who": Provide(provide_principal),
    "res": Provide(provide_resources, sync_to_thread=False),
}
