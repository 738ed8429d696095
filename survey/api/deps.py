"""Request dependencies: the transaction, the caller, and the loaded resources."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from survey.access import Principal
from survey.db import Conn, transaction
from survey.errors import Unauthorized
from survey.resources import Resources
from survey.services import users

SESSION_COOKIE = "survey_session"


async def provide_conn(state: State) -> AsyncGenerator[Conn, None]:
    async with transaction(state.pool) as conn:
        yield conn


def credentials(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
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


async def provide_principal(request: Request[Any, Any, Any], conn: Conn) -> Principal:
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


DEPENDENCIES = {
    "conn": Provide(provide_conn),
    "who": Provide(provide_principal),
    "res": Provide(provide_resources, sync_to_thread=False),
}
