"""Fault: ``survey warm`` is killed with SIGKILL while it builds report caches ahead.

A program's waves have complete responses and no cache, so a pass builds them
(``caches-missing``), the two waves side by side on connections of their own. A
transaction of the test holds the waves' rows, so each build waits inside its
statement, after it has begun writing the cache. Then the warmer gets SIGKILL, and the
test lets go of the rows.

The builds must leave nothing: each ran in a transaction its dead client can no longer
commit, so the waves have no cache at all, not a half-built one that a report would
read as whole. The next pass builds them, and they equal a scan.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from survey import db
from survey.db import Conn
from survey.report.seeding import seed_program
from survey.report.synthetic import SiteDesign
from survey.resources import Resources
from survey.services.warm import Warmer, WarmStats
from tests.report.test_report_cache import counts

ROOT = Path(__file__).resolve().parents[2]
DESIGN = [SiteDesign("North", 40, 44, {"trust": 0.5}), SiteDesign("South", 30, 28)]
WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND query LIKE '%report_cache_rows%'"
)
OTHERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)
CACHED = "SELECT count(*) FROM {} WHERE program_id = $1"


async def until(conn: Conn, query: str, done: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while await conn.fetchval(query) != done:
        assert time.monotonic() < deadline, f"{query!r} never reached {done}"
        await asyncio.sleep(0.05)


async def test_sigkill_during_a_build_ahead_keeps_nothing_half_built(
    conn: Conn, resources: Resources, database_url: str
) -> None:
    s = await seed_program(conn, resources, DESIGN, slug="kill-warm", seed=8)
    holder = await db.connect(database_url)
    tx = holder.transaction()
    await tx.start()
    await holder.execute("SELECT FROM waves WHERE program_id = $1 FOR UPDATE", s.program_id)
    warm = subprocess.Popen(
        [sys.executable, "-m", "survey", "warm", "--once"],
        env={**os.environ, "SURVEY_DATABASE_URL": database_url},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Both waves' builds are inside their statement, waiting for the rows.
        await until(conn, WAITING, 2)
        warm.send_signal(signal.SIGKILL)
        assert warm.wait(timeout=30) == -signal.SIGKILL
    finally:
        if warm.poll() is None:
            warm.kill()
        await tx.rollback()
        await holder.close()
    # The builds finish their statement, find their client gone and roll back.
    await until(conn, OTHERS, 0)
    for table in ("report_cache_state", "report_cache_rows", "report_cache_panel"):
        assert await conn.fetchval(CACHED.format(table), s.program_id) == 0, table

    assert await Warmer(conn, resources).run_once() == WarmStats(refreshed=1)
    assert await conn.fetchval(CACHED.format("report_cache_state"), s.program_id) == 2
    for dup in (False, True):
        cached = await counts(conn, resources, s, cached=True, dup=dup)
        assert cached == await counts(conn, resources, s, cached=False, dup=dup)


async def test_a_terminated_session_does_not_end_the_warmer(
    conn: Conn, resources: Resources, database_url: str
) -> None:
    """``survey warm`` (no ``--once``) whose session the server ends, as a restart
    would: it logs the lost connection, carries on with a fresh one, and builds what
    a pass finds afterwards."""
    warm = subprocess.Popen(
        [sys.executable, "-m", "survey", "warm", "--poll", "0.2"],
        env={**os.environ, "SURVEY_DATABASE_URL": database_url, "SURVEY_LOG_LEVEL": "WARNING"},
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        # In its loop (a pass done): a lost connection while it starts (the schema
        # check) still ends it, as a database it cannot reach at start does.
        await until(conn, OTHERS + " AND query LIKE '%pg_advisory_unlock%'", 1)
        first = await conn.fetchval(OTHERS.replace("count(*)", "min(pid)"))
        await conn.fetchval("SELECT pg_terminate_backend($1)", first)
        deadline = time.monotonic() + 20
        while await conn.fetchval(OTHERS.replace("count(*)", "min(pid)")) in (first, None):
            assert time.monotonic() < deadline, "the warmer did not reconnect"
            await asyncio.sleep(0.05)
        assert warm.poll() is None, "the warmer exited on a lost connection"
        s = await seed_program(conn, resources, DESIGN, slug="warm-after", seed=9)
        await until(conn, CACHED.format("report_cache_state").replace(
            "$1", str(s.program_id)), 2)
        warm.send_signal(signal.SIGTERM)
        _, err = warm.communicate(timeout=30)
    except AssertionError as exc:
        warm.kill()
        _, err = warm.communicate(timeout=10)
        raise AssertionError(f"{exc}\nthe warmer said:\n{err.decode()}") from None
    finally:
        if warm.poll() is None:
            warm.kill()
            warm.communicate(timeout=10)
    assert warm.returncode == 0, err.decode()
    lost = [line for line in err.decode().splitlines() if "database connection lost" in line]
    assert len(lost) == 1 and '"logger": "survey.cli"' in lost[0], err.decode()
