"""Build a program report: check access, pick the waves, fetch the counts, compute.

Takes a connection and knows nothing of HTTP. The statistics run in a worker thread
so a large program does not hold up other requests.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from survey import access, wave_dates
from survey.access import Principal
from survey.db import Conn, Connect, Record, fetch_one
from survey.errors import InvalidInput, ReportPreparing
from survey.questionnaire import Questionnaire
from survey.report import aggregate, cache
from survey.report.engine import ItemSpec, ReportInput, SiteInfo, compute
from survey.report.model import QuestionnaireRef, Report, WaveRef
from survey.report.notes import open_note, versions_note
from survey.report.pairing import choose_waves, still_open
from survey.report.preparing import Prepare
from survey.report.weighting import Margins, margin_items
from survey.resources import Resources
from survey.services.versions import frozen_questionnaire
from survey.sql import Q

REPORT_TIMEOUT = "600s"
"""A report scans every answer of two waves: allow it longer than a request's default."""
REPORT_WORK_MEM = "64MB"
"""Enough for a large program's per-response grouping to stay off disk (one sort at a time)."""


def wave_ref(row: Record, default_zone: str) -> WaveRef:
    """The wave as the report names it; its dates as days in its sites' zone, as the
    wizard took them and the dashboard shows them (``default_zone`` for no site)."""
    zones = list(row["zones"]) or [default_zone]
    opens, closes, closed = row["opens_at"], row["closes_at"], row["closed_at"]
    # Closed by hand before its planned end: its fieldwork ended that day.
    end = closed if closed is not None and (closes is None or closed < closes) else closes
    return WaveRef(
        id=row["id"],
        name=row["name"],
        phase=row["phase"],
        opens_at=opens,
        closes_at=closes,
        questionnaire_hash=row["questionnaire_hash"],
        first_day=None if opens is None else wave_dates.start_day(opens, zones),
        last_day=None if end is None else wave_dates.end_day(end, zones),
        closed_at=closed,
    )


async def questionnaire_of(conn: Conn, res: Resources, wave: Record) -> Questionnaire:
    """The wave's frozen questionnaire, or the current file for a wave never launched."""
    if wave["questionnaire_hash"]:
        return await frozen_questionnaire(conn, wave["questionnaire_hash"])
    if wave["questionnaire_id"] in res.questionnaires:
        return res.questionnaires[wave["questionnaire_id"]]
    raise InvalidInput.one("post", f"questionnaire {wave['questionnaire_id']!r} is not available")


async def load_margins(conn: Conn, program_id: int) -> dict[int, Margins]:
    out: defaultdict[int, defaultdict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for r in await conn.fetch(Q.report_margins_list, program_id):
        out[r["site_id"]][r["variable"]][r["category"]] = r["population"]
    return {site: dict(variables) for site, variables in out.items()}


def item_specs(q: Questionnaire, specs: Sequence[aggregate.ConstructSpec]) -> list[ItemSpec]:
    owner = {item: s.construct_id for s in specs for item in s.items}
    out = []
    for item in aggregate.likert_items(q):
        values = [p.value for p in item.points]
        out.append(ItemSpec(item.id, owner.get(item.id), float(min(values)), float(max(values))))
    return out


@dataclass(frozen=True)
class _Basis:
    """What a report on two waves rests on, before any response is counted."""

    program: Record
    pre: Record
    post: Record
    questionnaire: Questionnaire
    notes: list[str]
    specs: list[aggregate.ConstructSpec]
    items: list[ItemSpec]
    margins: dict[int, Margins]

    @property
    def wave_ids(self) -> tuple[int, int]:
        return self.pre["id"], self.post["id"]

    @property
    def counted(self) -> dict[str, Any]:
        """What the cache and scan take besides the program and waves: the weighting
        items, the constructs and the Likert items."""
        return _counted(self.margins, self.specs, self.items)


def _counted(
    margins: dict[int, Margins], specs: list[aggregate.ConstructSpec], items: Sequence[ItemSpec]
) -> dict[str, Any]:
    return {
        "weight_items": margin_items(margins),
        "specs": specs,
        "items": [i.item_id for i in items],
    }


async def _basis(
    conn: Conn,
    res: Resources,
    program_id: int,
    pre: int | None,
    post: int | None,
    weighted: bool,
    margins: dict[int, Margins] | None = None,
    waves: Sequence[Record] | None = None,
) -> _Basis:
    program = await fetch_one(conn, Q.program_get, program_id, what="program")
    if waves is None:
        waves = await conn.fetch(Q.report_waves, program_id)
    pre_row, post_row = choose_waves(waves, pre, post)
    q = await questionnaire_of(conn, res, post_row)
    notes = []
    if pre_row["questionnaire_hash"] != post_row["questionnaire_hash"]:
        notes.append(versions_note())
    if still_open(pre_row, post_row):
        notes.append(open_note())
    specs = aggregate.construct_specs(q)
    if not weighted:
        margins = {}
    elif margins is None:
        margins = await load_margins(conn, program_id)
    if weighted and not margins:
        raise InvalidInput.one("weighted", "no margins uploaded for this program")
    return _Basis(program, pre_row, post_row, q, notes, specs, item_specs(q, specs), margins)


async def _build_apart(conn: Conn, connect: Connect, program_id: int, basis: _Basis) -> None:
    await aggregate.build_apart(
        conn,
        connect,
        program_id,
        basis.wave_ids,
        session=(REPORT_TIMEOUT, REPORT_WORK_MEM),
        **basis.counted,
    )


async def _prepare_in_background(
    conn: Conn, program_id: int, basis: _Basis, prepare: Prepare
) -> None:
    """Raise ``ReportPreparing`` while the waves' caches are built in the background:
    one build is under way, here or in another session, or one is started now because
    a wave has none and more than ``prepare.over`` complete responses. After a build
    that failed, return: the request builds, and the reader sees why it fails."""
    if not await conn.fetchval(Q.report_cache_usable):
        return  # no caches to prepare (Citus): every report scans
    counted = basis.counted
    sig = cache.signature(aggregate.spec_arrays(counted["specs"]), counted["items"],
                          counted["weight_items"])
    key = (program_id, basis.wave_ids, sig)
    if prepare.builds.failed(key):
        return
    if not prepare.builds.running(key):
        cold = await cache.cold_waves(conn, program_id, basis.wave_ids, sig)
        if not cold or await conn.fetchval(
                Q.report_cache_cold_size, program_id, list(cold), prepare.over + 1
        ) <= prepare.over:
            return
        if await conn.fetchval(Q.report_cache_building, program_id, list(cold)):
            raise ReportPreparing()  # built elsewhere already: nothing to start

        async def build() -> None:
            async with prepare.connect() as own:
                await _build_apart(own, prepare.connect, program_id, basis)
                await _refresh(own, program_id, basis.wave_ids, counted)

        prepare.builds.start(key, build)
    raise ReportPreparing()


async def build_report(
    conn: Conn,
    who: Principal,
    res: Resources,
    program_id: int,
    *,
    pre: int | None = None,
    post: int | None = None,
    weighted: bool = False,
    exclude_duplicates: bool = False,
    connect: Connect | None = None,
    prepare: Prepare | None = None,
) -> Report:
    """The report on two waves. ``connect``: where caches of both waves must be built
    from nothing, build them side by side on connections of their own (``build_apart``)
    rather than one after the other in ``conn``. ``prepare``: where they must be built
    from more than ``prepare.over`` responses, build them in the background and raise
    ``ReportPreparing`` (``survey.report.preparing``)."""
    access.check(who, program_id, "report")
    basis = await _basis(conn, res, program_id, pre, post, weighted)
    q, pre_row, post_row, items = basis.questionnaire, basis.pre, basis.post, basis.items
    if prepare is not None and prepare.over > 0:
        await _prepare_in_background(conn, program_id, basis, prepare)
    if connect is not None:
        await _build_apart(conn, connect, program_id, basis)
    # The session settings are local to a transaction: outside one (the CLI, scripts)
    # they would last for their own statement only, and the cache read would sort and
    # hash in the default 4 MB, on disk at a million responses. A savepoint when the
    # caller has a transaction open already (a request).
    async with conn.transaction():
        await conn.execute(Q.report_session, REPORT_TIMEOUT, REPORT_WORK_MEM)
        agg = await aggregate.fetch_counts(
            conn, program_id, basis.wave_ids, exclude_duplicates=exclude_duplicates, **basis.counted
        )
        agg.fieldwork.update(await aggregate.fetch_fieldwork(conn, program_id, basis.wave_ids))
    data = ReportInput(
        program_id=program_id,
        program_name=basis.program["name"],
        generated_at=datetime.now(UTC),
        questionnaire=QuestionnaireRef(
            id=q.id, version=q.version, content_hash=post_row["questionnaire_hash"] or ""
        ),
        pre=wave_ref(pre_row, res.settings.sms_default_timezone),
        post=wave_ref(post_row, res.settings.sms_default_timezone),
        sites=[
            SiteInfo(r["id"], r["name"], r["comparison"], frozenset(r["waves"]))
            for r in await conn.fetch(Q.report_sites, program_id)
        ],
        specs=basis.specs,
        items=items,
        aggregates=agg,
        weighted=weighted,
        exclude_duplicates=exclude_duplicates,
        margins=basis.margins,
        allow_unreviewed={w["id"]: w["allow_unreviewed"] for w in (pre_row, post_row)},
        unreviewed_languages={
            w["id"]: unreviewed_languages(res, q, agg, w["id"])
            for w in (pre_row, post_row)
            if w["allow_unreviewed"]
        },
        notes=basis.notes,
    )
    return await asyncio.to_thread(compute, data)


async def refresh_report_caches(
    conn: Conn,
    who: Principal,
    res: Resources,
    program_id: int,
    *,
    weighted: bool = False,
    margins: dict[int, Margins] | None = None,
    connect: Connect | None = None,
) -> tuple[int, int]:
    """Bring the program's report caches up to date and fold them, building those that
    are missing, without computing a report: what ``survey warm`` does between requests.

    The caches of the default report (the latest pre and post waves with complete
    responses), and of every other wave with complete responses, scored by its own
    questionnaire: a pre wave before any post wave has answers, an older wave. So a
    wave's cache is built while its fieldwork is young and kept up to date as answers
    come, and the first report on it, at whatever size, finds it built (a build from
    nothing takes 20-25 s per wave of half a million responses).

    Returns the response versions added or taken back and the caches folded.
    ``margins``: the program's, when the caller has read them already
    (``load_margins``); ``connect`` as for ``build_report``."""
    access.check(who, program_id, "report")
    if weighted and margins is None:
        margins = await load_margins(conn, program_id)
    if weighted and not margins:
        raise InvalidInput.one("weighted", "no margins uploaded for this program")
    waves = await conn.fetch(Q.report_waves, program_id)
    done: list[tuple[int, int]] = []
    covered: set[int] = set()
    if _has_default_pair(waves):
        basis = await _basis(conn, res, program_id, None, None, weighted, margins, waves)
        if connect is not None:
            await _build_apart(conn, connect, program_id, basis)
        done.append(await _refresh(conn, program_id, basis.wave_ids, basis.counted))
        covered.update(basis.wave_ids)
    for wave in waves:
        if wave["answered"] and wave["id"] not in covered:
            q = await questionnaire_of(conn, res, wave)
            specs = aggregate.construct_specs(q)
            counted = _counted(margins if weighted and margins else {}, specs, item_specs(q, specs))
            done.append(await _refresh(conn, program_id, [wave["id"]], counted))
    return sum(d[0] for d in done), sum(d[1] for d in done)


def _has_default_pair(waves: Sequence[Record]) -> bool:
    try:
        choose_waves(waves, None, None)
    except InvalidInput:
        return False
    return True


async def _refresh(
    conn: Conn, program_id: int, wave_ids: Sequence[int], counted: dict[str, Any]
) -> tuple[int, int]:
    async with conn.transaction():
        await conn.execute(Q.report_session, REPORT_TIMEOUT, REPORT_WORK_MEM)
        return await aggregate.refresh_counts(conn, program_id, wave_ids, **counted)


def unreviewed_languages(
    res: Resources, q: Questionnaire, agg: aggregate.Aggregates, wave_id: int
) -> list[str]:
    """Languages answered in this wave whose translation would not pass the launch gate."""
    used = {r["language"] for r in agg.fieldwork.get("responses", []) if r["wave_id"] == wave_id}
    return sorted(lang for lang in used if lang != "en" and res.launch_problems(q, lang))
