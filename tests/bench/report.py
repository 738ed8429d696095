"""Benchmark: the pre/post report at 10k, 100k and 1M responses.

    python -m tests.bench.report [SIZES...]     (default: 10000 100000 1000000)

For each size a fresh program over the 12 CLEP sites is seeded with COPY
(``survey.report.seeding``, the demo's generator, scaled up). To keep 1M responses
within a few minutes on 2 cores, the benchmark seeds only the four primary scales
(14 Likert items) and the weighting, contact and language items: 18 answer rows per
response instead of the full instrument's ~36.

The report then runs in a child process, so its memory is the report's own. Printed
per size:
- report time, unweighted and weighted, and the ratio to a baseline measured in the
  same child on the same data: one plain aggregate scan over the program's answers
  (``SELECT item_id, count(*), avg(value_num) ... GROUP BY item_id``);
- the child's peak resident memory (VmHWM), and the peak the report itself
  allocated, from a second run under ``tracemalloc``, with its ratio to the 10k
  figure: memory should stay flat as responses grow, because PostgreSQL returns
  frequency tables, not respondents.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from survey import db
from survey.access import SYSTEM
from survey.config import load_settings
from survey.report.margins import import_margins
from survey.report.seeding import seed_program
from survey.report.synthetic import clep_design, demo_margins
from survey.resources import load_resources
from tests.bench.common import Timer, database, migrate

PRIMARY = ("safety", "procedural_justice", "trust", "cooperation")
DEMO_RESPONSES = sum(d.n_pre + d.n_post for d in clep_design())

CHILD = r"""
import asyncio, json, resource, sys, time, tracemalloc
from survey import db
from survey.access import SYSTEM
from survey.config import load_settings
from survey.report import build_report
from survey.resources import load_resources

BASELINE = ("SELECT item_id, count(*), avg(value_num) FROM answers "
            "WHERE program_id = $1 GROUP BY item_id")

def rss_mib():
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still counts the pages of
    # the parent (here the seeding process) that the child was forked with.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def main(url, program_id, weighted):
    res = load_resources(load_settings({}, secret_key="bench"))
    conn = await db.connect(url)
    await conn.fetch(BASELINE, program_id)  # warm the cache for both timings alike
    start = time.perf_counter()
    await conn.fetch(BASELINE, program_id)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    report = await build_report(conn, SYSTEM, res, program_id, weighted=weighted)
    seconds = time.perf_counter() - start
    rss = rss_mib()
    # A second, traced run: the peak of everything Python and numpy allocated for it.
    del report
    tracemalloc.start()
    report = await build_report(conn, SYSTEM, res, program_id, weighted=weighted)
    heap = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    await conn.close()
    print(json.dumps({"baseline": baseline, "seconds": seconds, "rss": rss, "heap": heap}))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"))
"""


async def seed(url: str, size: int, index: int) -> tuple[int, float, int]:
    """Seed a program of about ``size`` responses; returns (program id, seconds, rows)."""
    res = load_resources(load_settings({}, secret_key="bench"))
    conn = await db.connect(url)
    try:
        # Each size gets the tables to itself, so scans see only its rows.
        await conn.execute("TRUNCATE responses, answers, panel_members, invitations CASCADE")
        designs = clep_design(scale=size / DEMO_RESPONSES)
        # Seeding speed is not what is measured: skip the per-row foreign-key triggers.
        await conn.execute("SET session_replication_role = replica")
        with Timer() as t:
            seeded = await seed_program(
                conn,
                res,
                designs,
                slug=f"bench-{index}",
                name=f"Bench {size:,}",
                constructs=PRIMARY,
                extras=False,
            )
        await import_margins(conn, SYSTEM, res, seeded.program_id, demo_margins(designs))
        rows = await conn.fetchval("SELECT count(*) FROM answers")
        return seeded.program_id, t.seconds, rows
    finally:
        await conn.close()


async def tune(url: str) -> None:
    conn = await db.connect(url)
    try:
        # Throwaway data: durability costs seeding time and tells nothing about reports.
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            await conn.execute(f"ALTER SYSTEM SET {setting}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def run_child(url: str, program_id: int, weighted: bool) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(program_id), "1" if weighted else "0"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(sizes: list[int]) -> None:
    with database() as (url, _server):
        asyncio.run(migrate(url))
        asyncio.run(tune(url))
        first_heap = None
        print(
            f"{'responses':>10} {'answers':>11} {'seed s':>7} {'report s':>9} {'scan s':>7} "
            f"{'×scan':>6} {'weighted s':>10} {'RSS MiB':>8} {'heap MiB':>9} {'×10k':>6}"
        )
        for index, size in enumerate(sizes):
            program_id, seed_seconds, rows = asyncio.run(seed(url, size, index))
            plain = run_child(url, program_id, weighted=False)
            raked = run_child(url, program_id, weighted=True)
            heap = max(plain["heap"], raked["heap"])
            first_heap = first_heap or heap
            print(
                f"{size:>10,} {rows:>11,} {seed_seconds:>7.1f} {plain['seconds']:>9.2f} "
                f"{plain['baseline']:>7.2f} {plain['seconds'] / plain['baseline']:>6.1f} "
                f"{raked['seconds']:>10.2f} {max(plain['rss'], raked['rss']):>8.1f} "
                f"{heap:>9.1f} {heap / first_heap:>6.2f}",
                flush=True,
            )
    print(
        "\nreport s: unweighted report; scan s: one aggregate scan of the same answers "
        "(the baseline);\nweighted s: the same report raked to census-like age and gender "
        "margins per site;\nRSS MiB: peak resident memory of the process that built the "
        "report (imports included);\nheap MiB: peak of what the report itself allocated "
        "(tracemalloc, numpy included), weighted or not;\n×10k: that peak against the 10k "
        "run's."
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    main(args)
