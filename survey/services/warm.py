"""Build again, in the background, the caches a change made stale.

``report_cache_invalidate``, which whoever adds answers by hand calls, moves the wave's
cache epoch on (``survey/migrations/0013_cache_epoch.sql``), and the next report of
that wave builds its cache from nothing (a flagged, moved, reopened or deleted response,
or one whose answers were edited by hand, is taken back out of the cache instead,
``0015_report_cache_changes.sql``, ``0018``, ``0019``): 20-25 s per wave of half a
million responses, both waves side by side where a connection of its own is at hand.
It moves the wave's cells epoch on too (``0014_cells_epoch``),
and the next export renders every response again (80 s at a million). Whoever asks
first pays. The warmer pays it instead, between requests: each ``survey serve``
worker runs one (``warm_beside_server``, every ``SURVEY_WARM_INTERVAL`` seconds), or
``survey warm`` (``survey/cli/warm.py``) runs it as a process of its own:
each pass finds the report caches and export cells whose epoch is behind their
wave's and builds them again, as a report or an export would.

Report caches are per wave and weighting scheme; a pass builds those of the program's
default report (the latest pre and post waves), unweighted and, when margins were
uploaded, weighted: what evaluators open, and those of its other waves with complete
responses, each scored by its own questionnaire. Caches of another scoring (a pair
whose questionnaire versions differ) are built when someone asks for them. A stale
cache a pass has tried to build again at an epoch it does not try again, so one it
cannot build costs one attempt.
Only one warmer works at a time (a session advisory lock); the others skip their pass.

A pass also builds the caches no report has asked for yet: where a wave has complete
responses and no cache (``caches-missing``), a pre wave while no post wave has
answers included. With the warmer running through fieldwork, each wave's cache is
built while the wave is young and grows with each pass, so no report pays for a
build from nothing at a million responses (20-25 s per wave); only
``report_cache_invalidate`` or a scheme nobody asked for before does.

A pass keeps current caches current. Where a report cache of the current epoch
is behind (responses completed or changed since its snapshot, or batches appended and
not yet folded), it brings the program's default report caches up to date, with their panel
pairs, and folds each into one batch, without computing the report. The report that
follows then adds nothing and reads one batch: at a million responses the weighted
report after a pass took 0.42-0.55 s, against 1.1-1.9 s for one that first adds 1%
more responses itself (README, report benchmark).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import msgspec

from survey.access import SYSTEM
from survey.db import Conn, Connect, Pool, connection_lost, translate_error
from survey.export import cells
from survey.export.plan import plan_export
from survey.report.service import load_margins, refresh_report_caches
from survey.resources import Resources
from survey.sql import Q

log = logging.getLogger(__name__)


class WarmStats(msgspec.Struct):
    reports: int = 0
    """Report caches built again (one report, weighted or not)."""
    refreshed: int = 0
    """Default reports whose caches were brought up to date or folded (weighted or not)."""
    exports: int = 0
    """Waves whose export cells were rendered again."""
    skipped: int = 0
    """Caches that cannot be built now (the report or export would refuse)."""
    failed: int = 0


class Warmer:
    """``connect``: connections of its own, to build a report's two waves side by side
    where both need it (``build_report``)."""

    def __init__(
        self, conn: Conn, res: Resources, connect: Connect | None = None,
        tried: set[tuple[str, int, int, int]] | None = None,
    ) -> None:
        self.conn = conn
        self.res = res
        self.connect = connect
        # Kept by whoever runs passes on fresh connections (warm_beside_server).
        self.tried = set() if tried is None else tried
        # Across runs: a lost connection ends one, and the warmer carries on in another.
        self.total = WarmStats()

    async def run_once(self) -> WarmStats:
        stats = WarmStats()
        if not await self.conn.fetchval(Q.caches_warm_lock):
            return stats
        try:
            programs: set[int] = set()
            for row in await self.conn.fetch(Q.caches_stale):
                key = (row["kind"], row["program_id"], row["wave_id"], row["epoch"])
                if key in self.tried:
                    continue
                self.tried.add(key)
                try:
                    if row["kind"] == "report":
                        if row["program_id"] not in programs:
                            programs.add(row["program_id"])
                            await self._refresh(row["program_id"], stats, stale=True)
                    else:
                        await self._export(row["program_id"], row["wave_id"], stats)
                except BaseException:
                    # A lost connection says nothing of this cache: the next pass, on a
                    # fresh one, builds it.
                    self.tried.discard(key)
                    raise
            ahead = [r["program_id"] for r in await self.conn.fetch(Q.caches_missing)]
            behind = [r["program_id"] for r in await self.conn.fetch(Q.caches_behind)]
            for program_id in sorted(set(ahead + behind) - programs):
                await self._refresh(program_id, stats)
        finally:
            await self.conn.execute(Q.caches_warm_unlock)
        return stats

    async def run(self, stop: asyncio.Event, poll: float = 30.0) -> WarmStats:
        """Passes until ``stop`` is set; returns ``total``, what every run so far did."""
        total = self.total
        while not stop.is_set():
            done = await self.run_once()
            for field in WarmStats.__struct_fields__:
                setattr(total, field, getattr(total, field) + getattr(done, field))
            _log_pass(done)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)
        return total

    async def _refresh(self, program_id: int, stats: WarmStats, stale: bool = False) -> None:
        """The program's caches brought up to date, each built where it is missing or
        ``stale`` (then counted as reports built again), for each weighting scheme."""
        margins = await load_margins(self.conn, program_id)
        for weighted in [False, True] if margins else [False]:
            try:
                added, folded = await refresh_report_caches(
                    self.conn, SYSTEM, self.res, program_id, weighted=weighted, margins=margins,
                    connect=self.connect,
                )
            except Exception as exc:
                self._count_failure(exc, stats, f"program {program_id} weighted={weighted}")
            else:
                if stale:
                    stats.reports += 1
                else:
                    stats.refreshed += bool(added or folded)

    async def _export(self, program_id: int, wave_id: int, stats: WarmStats) -> None:
        try:
            plan = await plan_export(self.conn, SYSTEM, self.res, program_id, wave_id)
            await cells.prepare(self.conn, plan)
        except Exception as exc:
            self._count_failure(exc, stats, f"export cells of wave {program_id}/{wave_id}")
        else:
            stats.exports += 1

    @staticmethod
    def _count_failure(exc: Exception, stats: WarmStats, what: str) -> None:
        if connection_lost(exc):
            raise exc  # the pass ends; whoever runs it gets the connection back
        if translate_error(exc) is None:
            log.exception("cache warm: %s failed", what)
            stats.failed += 1
        else:
            # No two waves yet, no margins, another process building the same cache:
            # what a request would have been told too.
            log.info("cache warm: %s skipped: %s", what, exc)
            stats.skipped += 1


async def warm_beside_server(pool: Pool, res: Resources, interval: float) -> None:
    """``survey serve``'s own warmer (``SURVEY_WARM_INTERVAL``), until cancelled: a pass
    every ``interval`` seconds, the first at start, each on a connection of the pool
    held only for the pass. Every worker runs one; the pass's session lock lets one
    run at a time and the others skip theirs.

    A pass that fails (the database restarting, say) is logged and the next one tries
    again: the web service must outlive it. A pass cancelled at shutdown leaves no lock
    behind, as the pool resets a connection it takes back.
    """
    tried: set[tuple[str, int, int, int]] = set()
    while True:
        try:
            async with pool.acquire() as conn:
                done = await Warmer(conn, res, pool.acquire, tried).run_once()
        except Exception as exc:
            if translate_error(exc) is None:
                log.exception("cache warm pass failed")
            else:
                log.warning("cache warm pass skipped: %s", type(exc).__name__)
        else:
            _log_pass(done)
        await asyncio.sleep(interval)


def _log_pass(done: WarmStats) -> None:
    if done.reports or done.refreshed or done.exports or done.failed:
        log.info("cache warm pass: %s", msgspec.json.encode(done).decode())
