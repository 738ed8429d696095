"""Fetch the report's frequency tables from PostgreSQL (``survey/sql/report*.sql``).

This is the only part of the report that talks to the database. It returns plain
rows grouped by key; the statistics (``survey.report.engine``) run on them
afterwards, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from survey.db import Conn, Connect, Record
from survey.questionnaire import LikertItem, Questionnaire
from survey.questionnaire.scoring import scale_bounds
from survey.report import cache
from survey.report.suppression import SUPPRESS_BELOW
from survey.sql import Q

Cell = str | None
SiteWave = tuple[int, int]


@dataclass(frozen=True)
class ConstructSpec:
    """A construct as the report scores it: the questionnaire's definition, flattened."""

    construct_id: str
    label: str
    primary: bool
    items: tuple[str, ...]
    reverse: frozenset[str]
    low: float
    high: float


def construct_specs(q: Questionnaire) -> list[ConstructSpec]:
    """Constructs whose items are all Likert items (the ones with a numeric score)."""
    out = []
    for c in q.constructs:
        if not all(isinstance(q.item(i), LikertItem) for i in c.items):
            continue
        low, high = scale_bounds(q, c)
        out.append(
            ConstructSpec(
                construct_id=c.id,
                label=c.label,
                primary=c.primary,
                items=tuple(c.items),
                reverse=frozenset(c.reverse),
                low=low,
                high=high,
            )
        )
    return out


def likert_items(q: Questionnaire) -> list[LikertItem]:
    return [item for item in q.items if isinstance(item, LikertItem)]


MAX_PATTERN = 2**62
"""Pattern codes must stay exact in a bigint."""


def spec_arrays(
    specs: Sequence[ConstructSpec],
) -> tuple[list[str], list[str], list[bool], list[float], list[float], list[int]]:
    """The construct spec as the parallel arrays the SQL unnests.

    Per (construct, item): ids, reverse-coded or not, min + max (the flip), min, and
    the item's place value in a pattern code, (max − min + 1) ** position.
    """
    constructs, items, reverse, flip, low, place = [], [], [], [], [], []
    for spec in specs:
        base = int(spec.high - spec.low) + 1
        if base ** len(spec.items) >= MAX_PATTERN:
            raise ValueError(f"construct {spec.construct_id} has too many items to code")
        for position, item in enumerate(spec.items):
            constructs.append(spec.construct_id)
            items.append(item)
            reverse.append(item in spec.reverse)
            flip.append(spec.low + spec.high)
            low.append(spec.low)
            place.append(base**position)
    return constructs, items, reverse, flip, low, place


@dataclass
class AlphaSums:
    """What alpha needs from listwise-complete respondents: sums of whole numbers."""

    n: int = 0
    total: float = 0.0
    total_squared: float = 0.0
    squares: float = 0.0
    items: dict[int, float] = field(default_factory=dict)
    """Item place value (its position in the pattern code) → sum of its answers."""

    def add(self, other: AlphaSums) -> None:
        self.n += other.n
        self.total += other.total
        self.total_squared += other.total_squared
        self.squares += other.squares
        for place, value in other.items.items():
            self.items[place] = self.items.get(place, 0.0) + value


@dataclass
class Aggregates:
    """Everything the engine needs from the database, as counts."""

    cells: dict[SiteWave, list[tuple[Cell, int]]] = field(default_factory=dict)
    scores: dict[tuple[int, int, str], list[tuple[Cell, float, int, int]]] = field(
        default_factory=dict
    )
    items: dict[tuple[int, int, str], list[tuple[Cell, float, int]]] = field(default_factory=dict)
    paired: dict[tuple[int, str], list[tuple[float, int]]] = field(default_factory=dict)
    """(site, construct) → (post score − pre score, pairs)."""
    alpha: dict[tuple[str, int, str, int], AlphaSums] = field(default_factory=dict)
    """(construct, wave, language, site) → sums over its listwise-complete respondents;
    per site, so program figures can sum the sites they compare."""
    fieldwork: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def site_counts(self) -> dict[SiteWave, int]:
        """Complete responses per site × wave."""
        return {key: sum(n for _, n in rows) for key, rows in self.cells.items()}


async def fetch_counts(
    conn: Conn,
    program_id: int,
    wave_ids: Sequence[int],
    *,
    exclude_duplicates: bool,
    weight_items: Sequence[str],
    specs: Sequence[ConstructSpec],
    items: Sequence[str],
) -> Aggregates:
    """Weighting cells, item and scale-score frequencies, panel pairs, alpha sums, and
    the fieldwork counts of responses (``fieldwork["responses"]``).

    From the waves' report caches, refreshed first (``survey.report.cache``); by a
    full scan where the cache cannot be kept exact (Citus).
    """
    if not await conn.fetchval(Q.report_cache_usable):
        return await scan_counts(
            conn,
            program_id,
            wave_ids,
            exclude_duplicates=exclude_duplicates,
            weight_items=weight_items,
            specs=specs,
            items=items,
        )
    spec = spec_arrays(specs)
    sig = cache.signature(spec, items, weight_items)
    # The lock a refresh takes lasts until the transaction ends: open one if the
    # caller has not (a savepoint if it has). The pairs and rows are read under the
    # locks too, so they come from the same state of the cache, which no refresh
    # changes meanwhile.
    async with conn.transaction():
        await cache.refresh_waves(
            conn, program_id, wave_ids, sig, spec=spec, items=items, weight_items=weight_items
        )
        paired = await cache.pairs(
            conn, program_id, wave_ids, sig, exclude_duplicates=exclude_duplicates
        )
        rows = await cache.read(
            conn,
            program_id,
            wave_ids,
            sig,
            exclude_duplicates=exclude_duplicates,
            suppress_below=SUPPRESS_BELOW,
        )
        responses = await cache.fieldwork(conn, program_id, wave_ids, sig)
    out = parse_counts(rows)
    out.paired = paired
    out.fieldwork = {"responses": responses}
    return out


SPARE_WAIT = 1.0
"""Seconds ``build_apart`` waits for its connections. A server's pool may be busy with
requests that each hold one and wait for more: then the report builds its waves in its
own connection, one after the other, rather than wait for a connection that may not come."""


async def build_apart(
    conn: Conn,
    connect: Connect,
    program_id: int,
    wave_ids: Sequence[int],
    *,
    weight_items: Sequence[str],
    specs: Sequence[ConstructSpec],
    items: Sequence[str],
    session: Sequence[str],
) -> int:
    """Build from nothing the waves' caches that need it, side by side, each on a
    connection of its own (``connect``) in a transaction of its own with the report's
    ``session`` settings, when more than one does; returns how many were built. Which
    do is looked up in ``conn``, so a report whose caches exist takes no connection.

    A build from nothing is one statement, CPU in one PostgreSQL backend: about 20 s per
    wave of half a million responses. Two built side by side on two cores took 26-29 s
    against 43-55 s one after the other (README, report benchmark). With one wave to
    build there is nothing to gain, and the refresh in the report's own transaction
    builds it; nor when the connections are not to be had within ``SPARE_WAIT``. A wave
    another report is building fails as that refresh would (``LockNotAvailable`` after
    ``cache.LOCK_WAIT``).
    """
    spec = spec_arrays(specs)
    sig = cache.signature(spec, items, weight_items)
    if not await conn.fetchval(Q.report_cache_usable):
        return 0
    cold = await cache.cold_waves(conn, program_id, wave_ids, sig)
    if len(cold) < 2:
        return 0
    async with contextlib.AsyncExitStack() as stack:
        try:
            conns: list[Conn] = [
                await asyncio.wait_for(stack.enter_async_context(connect()), SPARE_WAIT)
                for _ in cold
            ]
        except TimeoutError:
            return 0
        # Stale caches are emptied first, in a short transaction: emptying a wave's
        # cache also deletes the two waves' panel pairs, one row that both builds would
        # delete, and the second would wait for the first to commit, 20 s later.
        async with conns[0].transaction():
            await cache.empty(conns[0], program_id, [w for w, old in cold.items() if old], sig)

        async def build(own: Conn, wave_id: int) -> None:
            async with own.transaction():
                await own.execute(Q.report_session, *session)
                await cache.refresh(
                    own, program_id, wave_id, sig, spec=spec, items=items,
                    weight_items=weight_items,
                )

        # Not a TaskGroup: a failed build would cancel the other midway, throwing its
        # work away, and the error would come wrapped in a group the HTTP layer does
        # not map.
        done = await asyncio.gather(
            *(build(c, w) for c, w in zip(conns, cold, strict=True)), return_exceptions=True
        )
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome
    return len(cold)


async def refresh_counts(
    conn: Conn,
    program_id: int,
    wave_ids: Sequence[int],
    *,
    weight_items: Sequence[str],
    specs: Sequence[ConstructSpec],
    items: Sequence[str],
) -> tuple[int, int]:
    """What ``fetch_counts`` does before it reads, and more: bring the waves' caches
    (two, or one alone) and the two waves' pairs up to date, and fold each cache's
    batches into one. Returns the response versions added or taken back
    (``cache.refresh``) and the caches folded (0, 0 without a cache: Citus).

    For ``survey warm``, between requests, so the next report adds nothing and reads
    one batch: folding 40,000 rows of a wave at a million responses takes 0.6 s, and
    saves each later read of the two waves about 0.2 s.
    """
    if not await conn.fetchval(Q.report_cache_usable):
        return 0, 0
    spec = spec_arrays(specs)
    sig = cache.signature(spec, items, weight_items)
    async with conn.transaction():
        done = await cache.refresh_waves(
            conn,
            program_id,
            wave_ids,
            sig,
            spec=spec,
            items=items,
            weight_items=weight_items,
            fold_over=1,
        )
        if len(set(wave_ids)) == 2:  # one wave alone has no pairs (``survey warm``)
            await cache.pairs(conn, program_id, wave_ids, sig, exclude_duplicates=False)
    return done


async def scan_counts(
    conn: Conn,
    program_id: int,
    wave_ids: Sequence[int],
    *,
    exclude_duplicates: bool,
    weight_items: Sequence[str],
    specs: Sequence[ConstructSpec],
    items: Sequence[str],
) -> Aggregates:
    """The same figures as ``fetch_counts``, by one scan of every answer, no cache.

    The reference the cache is tested against, and what a cache refresh computes for
    the responses it adds.
    """
    rows = await conn.fetch(
        Q.report_counts,
        program_id,
        list(wave_ids),
        exclude_duplicates,
        list(weight_items),
        list(items),
        *spec_arrays(specs),
        SUPPRESS_BELOW,
        timeout=cache.QUERY_TIMEOUT,
    )
    out = parse_counts(rows)
    responses = await conn.fetch(Q.report_fieldwork_responses, program_id, list(wave_ids))
    out.fieldwork = {"responses": [dict(r) for r in responses]}
    return out


COLUMNS = ("kind", "site_id", "wave_id", "key", "language", "cells", "v1", "a1", "v2", "v3", "n")
"""What report-counts and report-cache-read return, in this order: one row per kind,
site, wave, key and language, the rest parallel arrays."""


def parse_counts(rows: Sequence[Record]) -> Aggregates:
    """Rows grouped by kind and key, their arrays in the order they came (sums follow
    that order).

    By position, not by name, and the counts as arrays, not rows: a weighted report at
    1M has 76,000 of them, and reading them as rows took the driver and this loop
    0.1-0.2 s more.
    """
    out = Aggregates()
    if rows and tuple(rows[0].keys()) != COLUMNS:
        raise ValueError(f"report rows have columns {tuple(rows[0].keys())}, not {COLUMNS}")
    for kind, site_id, wave_id, key, language, cells, v1, a1, v2, v3, n in rows:
        if kind == "item":
            out.items.setdefault((site_id, wave_id, key), []).extend(zip(cells, v1, n, strict=True))
        elif kind == "score":
            scores = zip(cells, v1, a1, n, strict=True)
            out.scores.setdefault((site_id, wave_id, key), []).extend(scores)
        elif kind == "cell":
            out.cells.setdefault((site_id, wave_id), []).extend(zip(cells, n, strict=True))
        elif kind == "pair":
            out.paired.setdefault((site_id, key), []).extend(zip(v1, n, strict=True))
        else:
            sums = out.alpha.setdefault((key, wave_id, language, site_id), AlphaSums())
            if kind == "alpha":
                for total, total_squared, squares, count in zip(v1, v2, v3, n, strict=True):
                    sums.n = count
                    sums.total, sums.total_squared, sums.squares = total, total_squared, squares
            else:
                for place, item_sum in zip(a1, v1, strict=True):
                    sums.items[place] = item_sum
    return out


async def fetch_fieldwork(
    conn: Conn, program_id: int, wave_ids: Sequence[int]
) -> dict[str, list[dict[str, Any]]]:
    """Invitations, targets and launch overrides; the responses come with the counts."""
    waves = list(wave_ids)
    return {
        "invitations": [
            dict(r) for r in await conn.fetch(Q.report_fieldwork_invitations, program_id, waves)
        ],
        "targets": [
            dict(r) for r in await conn.fetch(Q.report_fieldwork_targets, program_id, waves)
        ],
        "overrides": [
            dict(r) for r in await conn.fetch(Q.report_fieldwork_overrides, program_id, waves)
        ],
    }
