"""Benchmark: the pre/post report at 10k, 100k and 1M responses.

    python -m tests.bench.report [SIZES...]     (default: 10000 100000 1000000)

For each size a fresh program over the 12 CLEP sites is seeded with COPY
(``survey.report.seeding``, the demo's generator, scaled up). To keep 1M responses
within a few minutes on 2 cores, the benchmark seeds only the four primary scales
(14 Likert items) and the weighting, contact and language items: 18 answer rows per
response instead of the full instrument's ~36.

Reports read per-wave aggregates kept up to date incrementally
(``survey.report.cache``). Each size is measured in three steps, each in a child
process so its memory is the report's own:
1. the first report, which builds the waves' caches from every answer (a one-off per
   wave and weighting scheme; the two waves side by side, each on a connection of its
   own, as the server's pool and the CLI allow), then the report as evaluators get it
   (cache current), unweighted and weighted;
2. 1% more responses are completed through the normal path (not COPY with triggers
   off), and the report runs again: the refresh adds only those;
3. 1% more again, then one pass of ``survey warm`` (``survey.services.warm``) adds them
   and folds each cache into one batch, between requests, and the reports that follow
   have nothing to add;
4. a review: 0.01% of the complete responses (100 at 1M) flagged as duplicates, and a
   tenth as many panel responses moved to another site, then the report again: the
   refresh takes the changed responses back out of the caches as they counted them and
   adds them as they are now (``0015_report_cache_changes.sql``), where before 0015 it
   built the changed waves from nothing (the first report's cost);
5. served: both waves' caches invalidated (``report_cache_invalidate``, as after an
   edit by hand), then ``survey serve --workers 2`` (no warmer, as compose.yaml's web
   service) asked for the report over HTTP: how long the first answer took and what it
   was (the report itself; or, over ``SURVEY_REPORT_PREPARE_OVER`` responses, 503 while
   it is prepared in the background, ``survey.report.preparing``), and how long until
   asking again every second gives the report.
Printed: the times, and their ratio to a baseline measured in the same child on the
same data: one plain aggregate scan over the program's answers
(``SELECT item_id, count(*), avg(value_num) ... GROUP BY item_id``); the child's peak
resident memory (VmHWM), and the peak the report itself allocated (a traced run,
``tracemalloc``), with ratios to the 10k figures: memory should stay flat as
responses grow, because PostgreSQL returns frequency tables, not respondents.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import httpx

from survey import db
from survey.access import SYSTEM
from survey.config import load_settings
from survey.report.margins import import_margins
from survey.report.seeding import Seeded, seed_program, write_responses
from survey.report.synthetic import SiteDesign, clep_design, demo_margins
from survey.resources import load_resources
from survey.schemas import KeyIn, UserIn
from survey.services import users
from tests.bench.common import Timer, database, migrate, tune
from tests.bench.serving import PRODUCTION_WORKERS, survey_serve

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

async def timed(conn, res, program_id, weighted):
    start = time.perf_counter()
    await build_report(conn, SYSTEM, res, program_id, weighted=weighted, connect=CONNECT)
    return time.perf_counter() - start

async def main(url, program_id, step):
    global CONNECT
    CONNECT = db.connector(url)  # as a server's pool: waves built from nothing side by side
    res = load_resources(load_settings({}, secret_key="bench"))
    conn = await db.connect(url)
    await conn.fetch(BASELINE, program_id)  # warm the buffer cache for all timings alike
    start = time.perf_counter()
    await conn.fetch(BASELINE, program_id)
    out = {"baseline": time.perf_counter() - start}
    if step == "first":
        out["build"] = await timed(conn, res, program_id, False)
        out["report"] = await timed(conn, res, program_id, False)
        out["build_weighted"] = await timed(conn, res, program_id, True)
        out["weighted"] = await timed(conn, res, program_id, True)
        out["rss"] = rss_mib()
        # A traced run: the peak of everything Python and numpy allocated for it.
        tracemalloc.start()
        await build_report(conn, SYSTEM, res, program_id, weighted=True, connect=CONNECT)
        out["heap"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    elif step == "added":
        out["added"] = await timed(conn, res, program_id, False)
        out["added_weighted"] = await timed(conn, res, program_id, True)
    elif step == "changed":
        out["changed"] = await timed(conn, res, program_id, False)
        out["changed_weighted"] = await timed(conn, res, program_id, True)
    else:
        # `survey warm`'s pass between requests, then the reports that follow it.
        from survey.services.warm import Warmer
        start = time.perf_counter()
        await Warmer(conn, res, CONNECT).run_once()
        out["warm"] = time.perf_counter() - start
        out["warmed"] = await timed(conn, res, program_id, False)
        out["warmed_weighted"] = await timed(conn, res, program_id, True)
    await conn.close()
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
"""


async def seed(url: str, size: int, index: int) -> tuple[Seeded, float, int]:
    """Seed a program of about ``size`` responses; returns (it, seconds, answer rows)."""
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
        return seeded, t.seconds, rows
    finally:
        await conn.close()


async def add(url: str, seeded: Seeded, share: float, seed: int = 99) -> int:
    """Complete ``share`` more responses per site and wave, triggers on, one transaction
    (as a day of fieldwork would, in many)."""
    res = load_resources(load_settings({}, secret_key="bench"))
    q = res.questionnaires["community-trust"]
    conn = await db.connect(url)
    try:
        qhash = await conn.fetchval(
            "SELECT questionnaire_hash FROM waves WHERE program_id = $1 AND id = $2",
            seeded.program_id,
            seeded.post_id,
        )
        designs = [
            SiteDesign(d.name, max(1, round(d.n_pre * share)), max(1, round(d.n_post * share)))
            for d in clep_design(scale=seeded.responses / DEMO_RESPONSES)
        ]
        async with conn.transaction():
            return await write_responses(
                conn,
                q,
                qhash,
                seeded.program_id,
                designs,
                seeded.site_ids,
                (seeded.pre_id, seeded.post_id),
                seed=seed,
                constructs=PRIMARY,
                extras=False,
            )
    finally:
        await conn.close()


FLAG = (
    "UPDATE responses SET duplicate_suspect = true WHERE program_id = $1 AND id IN ("
    "SELECT id FROM responses WHERE program_id = $1 AND status = 'complete' "
    "AND NOT duplicate_suspect ORDER BY id LIMIT $2)"
)
MOVE = (
    "UPDATE responses SET site_id = (SELECT min(w.site_id) FROM wave_sites w "
    "WHERE w.program_id = $1 AND w.wave_id = responses.wave_id "
    "AND w.site_id <> responses.site_id) WHERE program_id = $1 AND id IN ("
    "SELECT id FROM responses WHERE program_id = $1 AND status = 'complete' "
    "AND panel_member_id IS NOT NULL ORDER BY id DESC LIMIT $2)"
)


async def review(url: str, seeded: Seeded) -> int:
    """A reviewer's changes to completed responses, each statement committed on its
    own: duplicates flagged and panel responses moved to another site. Returns how many
    responses changed."""
    flagged = max(10, seeded.responses // 10_000)
    conn = await db.connect(url)
    try:
        await conn.execute(FLAG, seeded.program_id, flagged)
        await conn.execute(MOVE, seeded.program_id, flagged // 10)
    finally:
        await conn.close()
    return flagged + flagged // 10


async def admin_key(url: str) -> str:
    conn = await db.connect(url)
    try:
        user = await users.create_user(
            conn, SYSTEM, UserIn(email="bench-report@example.org", name="bench", role="admin"))
        return (await users.create_key(conn, SYSTEM, user.id, KeyIn(name="bench"))).key
    finally:
        await conn.close()


async def invalidate(url: str, seeded: Seeded) -> None:
    conn = await db.connect(url)
    try:
        await conn.execute("SELECT report_cache_invalidate($1, id) FROM waves"
                           " WHERE program_id = $1", seeded.program_id)
    finally:
        await conn.close()


def served(url: str, seeded: Seeded, key: str) -> tuple[float, int, float]:
    """Step 5: the first answer's time and status over HTTP, and the time until the
    report itself, asking again every second while it is being prepared."""
    asyncio.run(invalidate(url, seeded))
    path = f"/api/v1/programs/{seeded.program_id}/report"
    headers = {"Authorization": f"Bearer {key}"}
    with survey_serve(url, PRODUCTION_WORKERS) as server, httpx.Client(
            base_url=server.base, headers=headers, timeout=600) as client:
        start = time.perf_counter()
        r = client.get(path)
        first, status = time.perf_counter() - start, r.status_code
        while r.status_code == 503:
            assert r.json()["extra"]["code"] == "preparing", r.text
            time.sleep(1)
            r = client.get(path)
        assert r.status_code == 200, r.text
        return first, status, time.perf_counter() - start


def run_child(url: str, program_id: int, step: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(program_id), step],
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
        first: dict[str, float] = {}
        print(
            f"{'responses':>10} {'answers':>11} {'seed s':>7} {'scan s':>7} {'build s':>8} "
            f"{'report s':>9} {'×scan':>6} {'weighted s':>10} {'+1% n':>6} {'+1% s':>6} "
            f"{'warm s':>7} {'then s':>7} {'chg n':>6} {'chg s':>6} "
            f"{'RSS MiB':>8} {'×10k':>5} {'heap MiB':>9} {'×10k':>5} "
            f"{'http 1st s':>10} {'status':>6} {'ready s':>7}"
        )
        key = asyncio.run(admin_key(url))
        for index, size in enumerate(sizes):
            seeded, seed_seconds, rows = asyncio.run(seed(url, size, index))
            one = run_child(url, seeded.program_id, "first")
            added = asyncio.run(add(url, seeded, 0.01))
            two = run_child(url, seeded.program_id, "added")
            asyncio.run(add(url, seeded, 0.01, seed=100))
            three = run_child(url, seeded.program_id, "warmed")
            changed = asyncio.run(review(url, seeded))
            four = run_child(url, seeded.program_id, "changed")
            http_first, http_status, http_ready = served(url, seeded, key)
            first = first or one
            print(
                f"{size:>10,} {rows:>11,} {seed_seconds:>7.1f} {one['baseline']:>7.2f} "
                f"{one['build']:>8.2f} {one['report']:>9.3f} "
                f"{one['report'] / one['baseline']:>6.2f} {one['weighted']:>10.3f} "
                f"{added:>6,} {max(two['added'], two['added_weighted']):>6.2f} "
                f"{three['warm']:>7.2f} "
                f"{max(three['warmed'], three['warmed_weighted']):>7.3f} "
                f"{changed:>6,} {max(four['changed'], four['changed_weighted']):>6.2f} "
                f"{one['rss']:>8.1f} {one['rss'] / first['rss']:>5.2f} "
                f"{one['heap']:>9.1f} {one['heap'] / first['heap']:>5.2f} "
                f"{http_first:>10.3f} {http_status:>6} {http_ready:>7.2f}",
                flush=True,
            )
    print(
        "\nscan s: one aggregate scan of the same answers (the baseline); build s: the "
        "first report,\nwhich builds the two waves' caches from every answer (once per "
        "wave and weighting scheme);\nreport s: the unweighted report with the caches "
        "current, as evaluators get it; weighted s:\nthe same raked to census-like age "
        "and gender margins per site; +1% n, +1% s: responses\ncompleted afterwards "
        "through the normal path, and the slower of the two reports that then\nadd them "
        "to the caches; warm s: after 1% more\nagain, one `survey warm` pass that adds "
        "them and folds the caches; then s: the slower\nof the two reports after it; "
        "chg n, chg s: responses flagged as duplicates or moved to\nanother site "
        "afterwards, and the slower of the two reports that then take them back out\n"
        "of the caches and add them as they are; "
        "RSS MiB: peak resident memory of the process that ran the\nreports "
        "(imports included); heap MiB: peak of what a weighted report allocated "
        "(tracemalloc, numpy\nincluded); ×10k: against the 10k run's figure; http 1st s, "
        "status: after the caches\nwere invalidated, the first answer of `survey serve` "
        "to the report and its status\n(503: being prepared in the background); ready s: "
        "until asking every second gave the report."
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    main(args)
