"""Programs (grantees) and their sites."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from survey import access
from survey.access import Principal
from survey.db import Conn, Record, fetch_one
from survey.errors import Conflict, FieldProblem, InvalidInput
from survey.i18n.marks import staff as t
from survey.schemas import ProgramIn, ProgramOut, ProgramPatch, SiteIn, SiteOut, SitePatch
from survey.services import audit, names, sms_outbox
from survey.sms.schedule import SendingWindow
from survey.sql import Q


def program_out(row: Record) -> ProgramOut:
    return ProgramOut(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        contact_email=row["contact_email"],
        contact_phone=row["contact_phone"],
        default_language=row["default_language"],
        quiet_start=row["quiet_start"].strftime("%H:%M"),
        quiet_end=row["quiet_end"].strftime("%H:%M"),
        created_at=row["created_at"],
    )


def site_out(row: Record) -> SiteOut:
    return SiteOut(
        id=row["id"],
        program_id=row["program_id"],
        name=row["name"],
        kind=row["kind"],
        timezone=row["timezone"],
        comparison=row["comparison"],
    )


def _check_window(start: str, end: str) -> None:
    """The SMS sending window is when texts may go out, within one day: an empty or
    overnight one ("20:00"-"09:00", which is quiet hours typed the other way round)
    is refused here rather than quietly replaced by the default when sending."""
    if not start < end:  # zero-padded HH:MM compares as the time does
        raise InvalidInput.one(
            "quiet_end",
            f"the sending window {start}-{end} is empty or overnight: texts are sent "
            "from quiet_start until quiet_end on the same day, so quiet_start must be "
            "before quiet_end (for example 09:00 and 20:00)",
        )


async def create_program(conn: Conn, who: Principal, data: ProgramIn) -> ProgramOut:
    access.require_admin(who)
    _check_window(data.quiet_start, data.quiet_end)
    row = await conn.fetchrow(
        Q.program_insert,
        data.slug,
        names.clean(data.name),
        data.contact_email,
        data.contact_phone,
        data.default_language,
        data.quiet_start,
        data.quiet_end,
    )
    assert row is not None
    await audit.record(conn, who, "program.create", program_id=row["id"], target=data.slug)
    return program_out(row)


async def list_programs(conn: Conn, who: Principal) -> list[ProgramOut]:
    if who.is_admin:
        rows = await conn.fetch(Q.program_list_all)
    else:
        rows = await conn.fetch(Q.program_list_for, list(who.program_ids))
    return [program_out(r) for r in rows]


async def get_program(conn: Conn, who: Principal, program_id: int) -> ProgramOut:
    access.check(who, program_id, "read")
    return program_out(await fetch_one(conn, Q.program_get, program_id, what="program"))


async def update_program(
    conn: Conn,
    who: Principal,
    program_id: int,
    patch: ProgramPatch,
    *,
    now: datetime,
    default_timezone: str,
) -> ProgramOut:
    """``default_timezone``: the zone of a queued text's recipient without a site
    (the worker's setting), for rescheduling when the sending window changes."""
    access.check(who, program_id, "write")
    window_changes = patch.quiet_start is not None or patch.quiet_end is not None
    if window_changes:
        current = await fetch_one(conn, Q.program_get, program_id, what="program")
        _check_window(
            patch.quiet_start or current["quiet_start"].strftime("%H:%M"),
            patch.quiet_end or current["quiet_end"].strftime("%H:%M"),
        )
    async with conn.transaction():
        row = await _update_program(conn, program_id, patch)
        if window_changes:
            # Same transaction: no text is left timed by a window no longer stored.
            await sms_outbox.reschedule(
                conn, program_id, SendingWindow(row["quiet_start"], row["quiet_end"]),
                now=now, default_timezone=default_timezone,
            )
    changed = [k for k, v in msgspec.structs.asdict(patch).items() if v is not None]
    await audit.record(conn, who, "program.update", program_id=program_id, fields=changed)
    return program_out(row)


async def _update_program(conn: Conn, program_id: int, patch: ProgramPatch) -> Record:
    return await fetch_one(
        conn,
        Q.program_update,
        program_id,
        names.clean_patch(patch.name),
        patch.contact_email,
        patch.contact_phone,
        patch.default_language,
        patch.quiet_start,
        patch.quiet_end,
        what="program",
    )


async def delete_program(conn: Conn, who: Principal, program_id: int) -> None:
    access.require_admin(who)
    await fetch_one(conn, Q.program_get, program_id, what="program")
    if await conn.fetchval(Q.program_has_responses, program_id):
        raise Conflict("A program with responses cannot be deleted")
    await conn.execute(Q.program_delete, program_id)
    await audit.record(conn, who, "program.delete", target=str(program_id))


async def purge_program(conn: Conn, who: Principal, program_id: int) -> None:
    """Delete a program with all its responses. Demo resets only; never from the API."""
    access.require_admin(who)
    async with conn.transaction():
        await conn.execute(Q.program_purge, program_id)
        await conn.execute(Q.program_delete, program_id)


def _check_timezone(name: str | None) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problem = FieldProblem(
            "timezone", t("%(value)s is not an IANA time zone"), params={"value": repr(name)}
        )
        raise InvalidInput([problem]) from None


async def create_site(conn: Conn, who: Principal, program_id: int, data: SiteIn) -> SiteOut:
    access.check(who, program_id, "write")
    _check_timezone(data.timezone)
    await fetch_one(conn, Q.program_get, program_id, what="program")
    row = await conn.fetchrow(
        Q.site_insert, program_id, names.clean(data.name), data.kind, data.timezone, data.comparison
    )
    assert row is not None
    await audit.record(conn, who, "site.create", program_id=program_id, target=str(row["id"]))
    return site_out(row)


async def list_sites(conn: Conn, who: Principal, program_id: int) -> list[SiteOut]:
    access.check(who, program_id, "read")
    return [site_out(r) for r in await conn.fetch(Q.site_list, program_id)]


async def get_site(conn: Conn, who: Principal, program_id: int, site_id: int) -> SiteOut:
    access.check(who, program_id, "read")
    return site_out(await fetch_one(conn, Q.site_get, program_id, site_id, what="site"))


async def update_site(
    conn: Conn, who: Principal, program_id: int, site_id: int, patch: SitePatch
) -> SiteOut:
    access.check(who, program_id, "write")
    _check_timezone(patch.timezone)
    row = await fetch_one(
        conn,
        Q.site_update,
        program_id,
        site_id,
        names.clean_patch(patch.name),
        patch.kind,
        patch.timezone,
        patch.comparison,
        what="site",
    )
    await audit.record(conn, who, "site.update", program_id=program_id, target=str(site_id))
    return site_out(row)


async def delete_site(conn: Conn, who: Principal, program_id: int, site_id: int) -> None:
    access.check(who, program_id, "write")
    await fetch_one(conn, Q.site_get, program_id, site_id, what="site")
    if await conn.fetchval(Q.site_in_use, program_id, site_id):
        raise Conflict("This site is part of a wave and cannot be deleted")
    await conn.execute(Q.site_delete, program_id, site_id)
    await audit.record(conn, who, "site.delete", program_id=program_id, target=str(site_id))
