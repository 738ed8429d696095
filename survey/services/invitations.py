"""Invitations: personal links (token shown once, stored hashed) and open links.

Links carry the program id in front of the secret part (``/s/<program>-<token>``)
so a lookup goes straight to one program's rows, which is also what lets the
tables shard by program on Citus.
"""

from __future__ import annotations

import csv
import io

from survey import access, security
from survey.access import Principal
from survey.csvsafe import neutralise
from survey.db import Conn, Record, fetch_one
from survey.errors import Conflict, InvalidInput, NotFound
from survey.report.suppression import site_withheld, suppress_column
from survey.schemas import (
    InvitationsIn,
    InvitationsOut,
    InvitationSummary,
    IssuedInvitation,
)
from survey.services import audit
from survey.sql import Q

_COLUMNS = (
    "id",
    "program_id",
    "wave_id",
    "site_id",
    "channel",
    "token_hash",
    "contact_id",
    "panel_member_id",
)


def personal_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def open_url(base_url: str, program_id: int, code: str) -> str:
    return f"{base_url.rstrip('/')}/o/{program_id}-{code}"


def split_link(value: str) -> tuple[int, str] | None:
    """``'12-abc'`` → ``(12, '12-abc')``; None when it cannot be a link of ours."""
    head, sep, rest = value.partition("-")
    # ASCII digits only: str.isdigit() also holds for '²', which int() refuses.
    if not (sep and rest and head.isascii() and head.isdigit()):
        return None
    if len(value) > 80 or len(head) > 12:
        return None
    return int(head), value


async def _wave_site(conn: Conn, program_id: int, wave_id: int, site_id: int) -> Record:
    await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    return await fetch_one(conn, Q.wave_site_get, program_id, wave_id, site_id, what="site")


async def issue(
    conn: Conn,
    who: Principal,
    program_id: int,
    wave_id: int,
    data: InvitationsIn,
    *,
    base_url: str,
) -> InvitationsOut:
    """Create personal invitations: ``count`` anonymous ones, or one per site contact."""
    access.check(who, program_id, "pii" if data.for_contacts else "write")
    ws = await _wave_site(conn, program_id, wave_id, data.site_id)
    if ws["state"] == "closed":
        raise Conflict("The wave is closed")
    if data.channel not in ws["channels"]:
        raise InvalidInput.one("channel", f"the wave does not use {data.channel}")
    targets: list[tuple[int | None, int | None]]
    opted_out = no_site = 0
    if data.for_contacts:
        rows = await conn.fetch(Q.invitation_contacts_to_invite, program_id, wave_id, data.site_id)
        targets = [(r["id"], r["panel_member_id"]) for r in rows if not r["opted_out"]]
        opted_out = len(rows) - len(targets)
        no_site = await conn.fetchval(Q.contacts_without_site, program_id)
    else:
        if data.channel == "sms":
            raise InvalidInput.one("channel", "SMS invitations go to contacts: set for_contacts")
        if data.count < 1:
            raise InvalidInput.one("count", "must be at least 1")
        targets = [(None, None)] * data.count
    issued = await store(conn, program_id, wave_id, data.site_id, data.channel, targets)
    await audit.record(
        conn,
        who,
        "invitations.issue",
        program_id=program_id,
        target=str(wave_id),
        site=data.site_id,
        channel=data.channel,
        count=len(issued),
        skipped_opted_out=opted_out,
        skipped_no_site=no_site,
    )
    return InvitationsOut(
        created=len(issued),
        skipped_opted_out=opted_out,
        skipped_no_site=no_site,
        invitations=[
            IssuedInvitation(id=i, token=t, url=personal_url(base_url, t), contact_id=c)
            for i, t, c in issued
        ],
    )


async def store(
    conn: Conn,
    program_id: int,
    wave_id: int,
    site_id: int,
    channel: str,
    targets: list[tuple[int | None, int | None]],
) -> list[tuple[int, str, int | None]]:
    """Generate tokens and COPY the hashed rows; returns (id, token, contact) once."""
    if not targets:
        return []
    ids = [r["id"] for r in await conn.fetch(Q.invitation_reserve_ids, len(targets))]
    prefix = f"{program_id}-"
    tokens = [prefix + security.new_token(16) for _ in targets]
    await conn.copy_records_to_table(
        "invitations",
        columns=_COLUMNS,
        records=[
            (i, program_id, wave_id, site_id, channel, security.token_hash(t), contact, panel)
            for i, t, (contact, panel) in zip(ids, tokens, targets, strict=True)
        ],
    )
    return [(i, t, c) for i, t, (c, _) in zip(ids, tokens, targets, strict=True)]


def as_csv(out: InvitationsOut) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["invitation_id", "contact_id", "url"])
    for inv in out.invitations:
        # The url is ours (base url and token); quoted anyway should a base url ever
        # start like a formula (survey.csvsafe).
        writer.writerow([inv.id, inv.contact_id or "", neutralise(inv.url)])
    return buffer.getvalue()


async def summary(
    conn: Conn, who: Principal, program_id: int, wave_id: int
) -> list[InvitationSummary]:
    """Personal invitations by site and channel. Exact for those who run the fieldwork
    (they hold the contact list); for a reader of de-identified data, completed counts
    are suppressed as the report and the export suppress them."""
    access.check(who, program_id, "read")
    await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    rows = await conn.fetch(Q.invitation_summary, program_id, wave_id)
    hidden: set[tuple[int, str]] = set()
    if not access.may(who, program_id, "pii"):
        hidden = await _hidden_completes(conn, program_id, wave_id, rows)
    return [
        InvitationSummary(
            site_id=r["site_id"],
            channel=r["channel"],
            issued=r["issued"],
            sent=r["sent"],
            completed=None if (r["site_id"], r["channel"]) in hidden else r["completed"],
            suppressed=(r["site_id"], r["channel"]) in hidden,
        )
        for r in rows
    ]


async def _hidden_completes(
    conn: Conn, program_id: int, wave_id: int, rows: list[Record]
) -> set[tuple[int, str]]:
    """The (site, channel) cells whose completed count an evaluator may not see.

    Every cell of a site the export withholds (the report's rule and constant): its
    completes would tell how many answered there. At the other sites, each channel's
    column gets the report's primary and complementary suppression, so neither a
    count of 1 to 9 nor the channel's total over the shown sites (which the report
    publishes) gives one back."""
    withheld = {
        r["site_id"]
        for r in await conn.fetch(Q.export_site_counts, program_id, wave_id)
        if site_withheld(r["responses"], r["unique_completes"])
    }
    hidden = {(r["site_id"], r["channel"]) for r in rows if r["site_id"] in withheld}
    for channel in sorted({r["channel"] for r in rows}):
        shown = [r for r in rows if r["channel"] == channel and r["site_id"] not in withheld]
        flags, _ = suppress_column([int(r["completed"]) for r in shown])
        hidden.update((r["site_id"], channel) for r, hide in zip(shown, flags, strict=True) if hide)
    return hidden


async def open_link(conn: Conn, who: Principal, program_id: int, wave_id: int, site_id: int) -> str:
    """The open-link code of a wave and site. Looking never creates one (NotFound until
    ``create_open_link``), and only those who run the wave may look: an open link
    collects data, so it is not handed to read-only roles."""
    access.check(who, program_id, "write")
    await _wave_site(conn, program_id, wave_id, site_id)
    row = await conn.fetchrow(Q.open_link_get, program_id, wave_id, site_id)
    if row is None:
        raise NotFound("open link")
    code: str = row["code"]
    return code


async def find_open_links(
    conn: Conn, who: Principal, program_id: int, wave_id: int
) -> dict[int, str]:
    """The open-link codes of a wave, by site; sites without one are absent."""
    access.check(who, program_id, "write")
    await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    return {r["site_id"]: r["code"] for r in await conn.fetch(Q.open_links_of_wave, program_id,
                                                                wave_id)}


async def create_open_link(
    conn: Conn, who: Principal, program_id: int, wave_id: int, site_id: int
) -> tuple[str, bool]:
    """The open-link code of a wave and site, made now if it has none; (code, created).
    Asking twice, even at once, gives the same code."""
    access.check(who, program_id, "write")
    ws = await _wave_site(conn, program_id, wave_id, site_id)
    row = await conn.fetchrow(Q.open_link_get, program_id, wave_id, site_id)
    if row is not None:
        found: str = row["code"]
        return found, False
    if ws["state"] == "closed":
        raise Conflict("The wave is closed")
    created = False
    while row is None:
        row = await conn.fetchrow(
            Q.open_link_insert, program_id, wave_id, site_id, security.new_code()
        )
        created = row is not None
        if row is None:  # another request made it first, or the code was taken
            row = await conn.fetchrow(Q.open_link_get, program_id, wave_id, site_id)
    if created:
        await audit.record(
            conn, who, "open_link.create", program_id=program_id, target=str(wave_id),
            site=site_id,
        )
    code: str = row["code"]
    return code, created


async def open_link_url(
    conn: Conn, who: Principal, program_id: int, wave_id: int, site_id: int, base_url: str
) -> str:
    """The full open-link URL of a wave and site (NotFound until it is created)."""
    return open_url(base_url, program_id, await open_link(conn, who, program_id, wave_id, site_id))
