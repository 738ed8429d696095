"""Keep each wave's report aggregates up to date, and read them.

The report's figures are sums and counts per site × wave, so they are cached per wave
and extended with the responses completed since the last refresh, found by MVCC
snapshot (``survey/migrations/0005_report_cache.sql`` explains why that is exact).
A report refreshes the caches of its two waves in its own transaction and reads them:
its cost grows with the responses added since the last report, not with all of them.
Panel pairs are not sums: they are worked out once per report's two waves, kept
(``survey/migrations/0010_report_cache_pairs.sql``), and brought up to date member by
member as panel rows are appended (``0012_report_cache_pairs_delta.sql``).
The fieldwork counts of complete responses are kept the same way as the frequency
tables (``survey/migrations/0011_report_cache_fieldwork.sql``). A completed response
changed later is taken back out of the sums as they counted it and added as it is now
(``survey/migrations/0015_report_cache_changes.sql``, with the answers counted kept since
``0016_report_cache_changes_answers.sql``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from survey.db import Conn, Record
from survey.sql import Q

COMPACT_AFTER = 16
"""Appended batches a wave's cache may hold before they are folded into one."""
QUERY_TIMEOUT = 600.0
"""Seconds the driver waits for a refresh; building a large wave from nothing is slow."""
LOCK_WAIT = "10s"
"""How long a refresh waits while another holds the wave's cache (a build from nothing
takes 20-25 s per wave at a million responses); then the report is refused
with 503 and Retry-After, as while the database is away. Incremental refreshes hold
it for well under a second."""

SpecArrays = tuple[list[str], list[str], list[bool], list[float], list[float], list[int]]


def signature(spec: SpecArrays, items: Sequence[str], weight_items: Sequence[str]) -> str:
    """What the cached rows depend on besides the responses: scoring and weighting cells."""
    payload = json.dumps([list(a) for a in spec] + [list(items), sorted(weight_items)])
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


async def refresh(
    conn: Conn,
    program_id: int,
    wave_id: int,
    sig: str,
    *,
    spec: SpecArrays,
    items: Sequence[str],
    weight_items: Sequence[str],
    fold_over: int = COMPACT_AFTER,
) -> tuple[int, bool]:
    """Bring one wave's cache up to date with every response this transaction can see,
    and fold its batches into one when it holds more than ``fold_over``; returns how
    many responses it added or took back (a changed response counts for each version),
    and whether it folded."""
    await _lock(conn, program_id, wave_id)
    delta = await conn.fetchrow(Q.report_cache_delta, program_id, wave_id, sig)
    assert delta is not None
    cold = not delta["cached"]
    if not cold and delta["stale"]:
        await conn.execute(Q.report_cache_reset, program_id, wave_id, sig)
        cold = True
    if not cold and not delta["pending"]:
        if delta["batches"] > fold_over:
            await conn.execute(Q.report_cache_compact, program_id, wave_id, sig)
            return 0, True
        return 0, False
    row: Record | None = await conn.fetchrow(
        Q.report_cache_add,
        program_id,
        wave_id,
        sig,
        list(weight_items),
        list(items),
        *spec,
        timeout=QUERY_TIMEOUT,
    )
    assert row is not None
    if row["batches"] > fold_over:
        await conn.execute(Q.report_cache_compact, program_id, wave_id, sig)
        return int(row["versions"]), True
    return int(row["versions"]), False


async def cold_waves(
    conn: Conn, program_id: int, wave_ids: Sequence[int], sig: str
) -> dict[int, bool]:
    """The waves among ``wave_ids`` whose next refresh builds their cache from nothing,
    each with whether it has a stale cache to empty first."""
    rows = await conn.fetch(Q.report_cache_cold, program_id, list(wave_ids), sig)
    return {r["wave_id"]: r["stale"] for r in rows}


async def empty(conn: Conn, program_id: int, wave_ids: Sequence[int], sig: str) -> None:
    """Empty the waves' caches of one signature, under their refresh locks (taken in one
    order, as ``refresh_waves`` does); the next refresh of each builds it from nothing.
    The locks last until the caller's transaction ends."""
    for wave_id in sorted(set(wave_ids)):
        await _lock(conn, program_id, wave_id)
        await conn.execute(Q.report_cache_reset, program_id, wave_id, sig)


async def _lock(conn: Conn, program_id: int, wave_id: int) -> None:
    """The wave's refresh lock, until the transaction ends; waiting at most ``LOCK_WAIT``
    for it, and then for ever for whatever else the transaction does."""
    await conn.execute(Q.lock_wait, LOCK_WAIT)
    await conn.execute(Q.report_cache_lock, program_id, wave_id)
    await conn.execute(Q.lock_wait, "0")


async def refresh_waves(
    conn: Conn,
    program_id: int,
    wave_ids: Sequence[int],
    sig: str,
    *,
    spec: SpecArrays,
    items: Sequence[str],
    weight_items: Sequence[str],
    fold_over: int = COMPACT_AFTER,
) -> tuple[int, int]:
    """``refresh`` each wave, in one order so two reports on the same pair cannot
    deadlock; returns the response versions added or taken back and the caches folded.
    Call it in a transaction: the locks last until it ends."""
    added = folded = 0
    for wave_id in sorted(set(wave_ids)):
        n, fold = await refresh(
            conn,
            program_id,
            wave_id,
            sig,
            spec=spec,
            items=items,
            weight_items=weight_items,
            fold_over=fold_over,
        )
        added += n
        folded += fold
    return added, folded


Pairs = dict[tuple[int, str], list[tuple[float, int]]]


async def pairs(
    conn: Conn, program_id: int, wave_ids: Sequence[int], sig: str, *, exclude_duplicates: bool
) -> Pairs:
    """(site, construct) → (post − pre score, pairs), kept, brought up to date or worked
    out now.

    Call it holding both waves' refresh locks (after ``refresh`` in the same
    transaction), so no refresh changes the panel rows between building and keeping.
    """
    args = (program_id, list(wave_ids), exclude_duplicates, sig)
    row = await conn.fetchrow(Q.report_cache_pairs_get, *args)
    if row is None or not row["current"]:
        row = await conn.fetchrow(Q.report_cache_pairs_refresh, *args, timeout=QUERY_TIMEOUT)
        assert row is not None
    out: Pairs = {}
    for site, construct, diff, n in zip(
        row["site_ids"], row["construct_ids"], row["diffs"], row["counts"], strict=True
    ):
        out.setdefault((site, construct), []).append((diff, n))
    return out


async def fieldwork(
    conn: Conn, program_id: int, wave_ids: Sequence[int], sig: str
) -> list[dict[str, Any]]:
    """The rows ``report-fieldwork-responses`` returns: complete responses counted in the
    two waves' caches, partial ones now. Call it after ``refresh``, like ``pairs``."""
    rows = await conn.fetch(Q.report_cache_fieldwork, program_id, list(wave_ids), sig)
    return [dict(r) for r in rows]


async def read(
    conn: Conn,
    program_id: int,
    wave_ids: Sequence[int],
    sig: str,
    *,
    exclude_duplicates: bool,
    suppress_below: int,
) -> list[Record]:
    """The rows ``report-counts`` would return but the pairs, from the two waves' caches."""
    rows: list[Record] = await conn.fetch(
        Q.report_cache_read,
        program_id,
        list(wave_ids),
        exclude_duplicates,
        sig,
        suppress_below,
        timeout=QUERY_TIMEOUT,
    )
    return rows
