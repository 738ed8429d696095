"""Live fieldwork of one wave for the people running it. No HTTP here.

Counts are exact, never suppressed: only grantees and admins (action ``write``) see
them, and they already hold the contact list. Evaluators read fieldwork in the
report, where the suppression rules apply.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from survey import access
from survey.access import Principal
from survey.db import Conn, Record, fetch_one
from survey.sql import Q


class Tally(msgspec.Struct, kw_only=True):
    complete: int = 0
    partial: int = 0


class SiteFieldwork(msgspec.Struct, kw_only=True):
    site_id: int
    name: str
    target_n: int
    complete: int
    partial: int
    progress: float | None
    """Completes over the target (may pass 1)."""
    issued: int
    """Personal invitations on record, including a conversation with someone who
    texted us first and texts not (yet) sent."""
    invited: int
    """The people we invited: invitations texted, and links issued for print or mail;
    the response rate's base, as in the evaluator's report."""
    invited_complete: int
    """Completes counted in the response rate (through invitations in its base)."""
    response_rate: float | None
    """``invited_complete`` over ``invited``; None without personal invitations (open
    links have no rate). A person who texted us first was not invited: not counted."""
    opt_outs: int
    """Contacts not texted because they opted out (here, or of every text from the
    service): an invite's ``skipped_opted_out``."""


class DailyCount(msgspec.Struct, kw_only=True):
    day: dt.date
    channel: str
    n: int


class FieldworkOut(msgspec.Struct, kw_only=True):
    wave_id: int
    state: str
    as_of: dt.datetime
    target_n: int
    complete: int
    partial: int
    progress: float | None
    response_rate: float | None
    opt_outs: int
    sites: list[SiteFieldwork]
    by_language: dict[str, Tally]
    by_channel: dict[str, Tally]
    daily: list[DailyCount]


def _rate(done: int, base: int) -> float | None:
    return done / base if base else None


def _rate_base(inv: Record | None) -> tuple[int, int]:
    """(people invited, their completes): the response rate's base and numerator."""
    if inv is None:
        return 0, 0
    return int(inv["invited"]), int(inv["invited_completed"])


async def fieldwork(conn: Conn, who: Principal, program_id: int, wave_id: int) -> FieldworkOut:
    access.check(who, program_id, "write")
    wave = await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    cells = await conn.fetch(Q.dashboard_fieldwork_cells, program_id, wave_id)
    invited = {
        r["site_id"]: r
        for r in await conn.fetch(Q.dashboard_fieldwork_invited, program_id, wave_id)
    }
    optouts = {
        r["site_id"]: r["n"]
        for r in await conn.fetch(Q.dashboard_fieldwork_optouts, program_id, wave_id)
    }
    per_site: dict[int, Tally] = defaultdict(Tally)
    by_language: dict[str, Tally] = defaultdict(Tally)
    by_channel: dict[str, Tally] = defaultdict(Tally)
    for r in cells:
        for tally in (per_site[r["site_id"]], by_language[r["language"]], by_channel[r["channel"]]):
            if r["status"] == "complete":
                tally.complete += r["n"]
            else:
                tally.partial += r["n"]
    sites = []
    for s in await conn.fetch(Q.dashboard_fieldwork_sites, program_id, wave_id):
        tally = per_site.get(s["site_id"], Tally())
        inv = invited.get(s["site_id"])
        issued = inv["issued"] if inv else 0
        base, done = _rate_base(inv)
        sites.append(
            SiteFieldwork(
                site_id=s["site_id"],
                name=s["name"],
                target_n=s["target_n"],
                complete=tally.complete,
                partial=tally.partial,
                progress=_rate(tally.complete, s["target_n"]),
                issued=issued,
                invited=base,
                invited_complete=done,
                response_rate=_rate(done, base),
                opt_outs=optouts.get(s["site_id"], 0),
            )
        )
    target = sum(s.target_n for s in sites)
    complete = sum(s.complete for s in sites)
    sent = sum(_rate_base(r)[0] for r in invited.values())
    daily = [
        DailyCount(day=r["day"], channel=r["channel"], n=r["n"])
        for r in await conn.fetch(Q.dashboard_fieldwork_daily, program_id, wave_id)
    ]
    return FieldworkOut(
        wave_id=wave_id,
        state=wave["state"],
        as_of=dt.datetime.now(dt.UTC),
        target_n=target,
        complete=complete,
        partial=sum(s.partial for s in sites),
        progress=_rate(complete, target),
        response_rate=_rate(sum(s.invited_complete for s in sites), sent),
        opt_outs=sum(s.opt_outs for s in sites),
        sites=sites,
        by_language=dict(sorted(by_language.items())),
        by_channel=dict(sorted(by_channel.items())),
        daily=daily,
    )
