"""The audit trail: who did what, to which program, and when."""

from __future__ import annotations

from typing import Any

from survey import access
from survey.access import Principal
from survey.db import Conn
from survey.sql import Q


async def record(
    conn: Conn,
    who: Principal,
    action: str,
    *,
    program_id: int | None = None,
    target: str = "",
    **detail: Any,
) -> None:
    """Append an entry. Callers must never put phone numbers or residents' names in
    ``detail`` (a translation reviewer's name is already in the ``.po`` they signed)."""
    await conn.execute(Q.audit_insert, program_id, who.user_id or None, action, target, detail)


async def recent(
    conn: Conn, who: Principal, program_id: int, limit: int = 100
) -> list[dict[str, Any]]:
    """The latest entries of a program, for the people who run it."""
    access.check(who, program_id, "write")
    rows = await conn.fetch(Q.audit_list, program_id, limit)
    return [dict(r) for r in rows]


async def recent_global(conn: Conn, who: Principal, limit: int = 100) -> list[dict[str, Any]]:
    """The latest entries no program owns (accounts, keys, translation sign-offs, which
    change every program's catalogs): administrators only, as they span programs."""
    access.require_admin(who)
    rows = await conn.fetch(Q.audit_list_global, limit)
    return [dict(r) for r in rows]
