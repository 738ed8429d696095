"""Benchmark: a wave's respondent-level export, CSV and SPSS ``.sav``, at 100k and 1M rows.

    python -m tests.bench.export [SIZES...] [FORMATS...]
                      (default: 100000 1000000 csv sav; Stata's dta too on request)
    SURVEY_BENCH_TRACE=0 ...                    (skip the tracemalloc runs)
    SURVEY_BENCH_EXPORT_AS=evaluator ...        (an evaluator's de-identified file)

Each size is a program over the 12 CLEP sites with one wave, seeded with COPY by
``survey.report.seeding.write_responses`` (the demo's generator, scaled up): the
pre and post respondents of every site are both written into that one wave, with
every construct the generator models (its Likert items and ``enc_satisfied``) and
its five single choices (age band, gender, police contact, home language, program
awareness): about 37 answer rows per response. The multiple choices and free
text are left unanswered by the generator (their columns are still in the file); the
script then gives one response in ten a comment of 34 to 306 characters (a third of
them in Spanish with two-byte letters). With
``SURVEY_BENCH_DATABASE_URL`` set, waves seeded by an earlier run are reused.

Every export runs in a child process of its own, as the API does it: ``plan_export``
as an administrator (every column, free text included), then ``export_bytes``
written to /dev/null. Printed per size and format:
- rows/s of the export, and the ratio of its time to a baseline measured in the same
  child on the same wave: ``COPY (SELECT * FROM answers WHERE program_id = $1) TO
  STDOUT`` (the program has only this wave) through asyncpg's ``copy_from_query`` to
  /dev/null, i.e. PostgreSQL handing over the raw answers, one row per answer,
  without making respondent rows of them;
- the child's peak resident memory (VmHWM) and its resident memory before the
  export started (imports, pandas and pyreadstat included);
- the peak the export itself allocated, from a second child under ``tracemalloc``;
- both peaks against the smallest size's: constant memory means ×1.0.

The ``.sav`` file is large because the codebook gives the free-text comment 8,000
bytes (2,000 characters of UTF-8) in every case, answered or not: about 9 KiB a row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys

from survey import db
from survey.config import load_settings
from survey.report.seeding import create_program, create_waves, write_responses
from survey.report.synthetic import clep_design
from survey.resources import load_resources
from tests.bench.common import Timer, database, migrate, tune

SLUG = "bench-export"
DEMO_RESPONSES = sum(d.n_pre + d.n_post for d in clep_design())

CHILD = r"""
import asyncio, json, os, sys, time, tracemalloc
import pandas, pyreadstat  # imported before the first reading, as a server has them
from survey import db
from survey.access import SYSTEM, Principal
from survey.config import load_settings
from survey.export import export_bytes, plan_export
from survey.resources import load_resources

# The program has this one wave: its answers are the wave's.
BASELINE = "SELECT * FROM answers WHERE program_id = $1"  # COPY (...) TO STDOUT

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0

async def main(url, program_id, wave_id, fmt, trace):
    res = load_resources(load_settings({}, secret_key="bench"))
    conn = await db.connect(url)
    sink = open("/dev/null", "wb")
    baseline = 0.0
    if not trace:
        await conn.copy_from_query(BASELINE, program_id, output=sink)  # warm
        start = time.perf_counter()
        await conn.copy_from_query(BASELINE, program_id, output=sink)
        baseline = time.perf_counter() - start
    who = SYSTEM
    if os.environ.get("SURVEY_BENCH_EXPORT_AS") == "evaluator":
        # The de-identified file: pseudonymous row ids, rows in their order.
        who = Principal(user_id=0, email="bench", name="bench", role="evaluator",
                        program_ids=frozenset({program_id}))
    plan = await plan_export(conn, who, res, program_id, wave_id)
    before = status("VmRSS")
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    written = 0
    first_byte = None
    async for piece in export_bytes(conn, plan, fmt):
        if first_byte is None:
            first_byte = time.perf_counter() - start
        written += len(piece)
        sink.write(piece)
    seconds = time.perf_counter() - start
    heap = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    await conn.close()
    print(json.dumps({"rows": plan.rows, "columns": len(plan.columns), "bytes": written,
                      "seconds": seconds, "first_byte": first_byte, "baseline": baseline,
                      "before": before,
                      "rss": status("VmHWM"), "heap": heap}))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                 sys.argv[5] == "1"))
"""


async def seed(url: str, sizes: list[int]) -> dict[int, tuple[int, int]]:
    """A program with one wave of about ``size`` responses per size; returns
    size -> (program id, wave id). A program per size keeps the baseline a plain
    scan of that program's answers."""
    res = load_resources(load_settings({}, secret_key="bench"))
    q = res.questionnaires["community-trust"]
    conn = await db.connect(url)
    try:
        # Seeding speed is not what is measured: skip the per-row foreign-key triggers.
        await conn.execute("SET session_replication_role = replica")
        seeded: dict[int, tuple[int, int]] = {}
        for size in sizes:
            slug = f"{SLUG}-{size}"
            found = await conn.fetchrow(
                "SELECT w.program_id, w.id FROM waves w JOIN programs p ON p.id = w.program_id "
                "WHERE p.slug = $1 AND w.phase = 'pre'",
                slug,
            )
            if found is not None:
                seeded[size] = (found["program_id"], found["id"])
                continue
            designs = clep_design(scale=size / DEMO_RESPONSES)
            program_id, site_ids = await create_program(
                conn, designs, slug=slug, name=f"Export benchmark {size:,}"
            )
            wave_id, _post, qhash = await create_waves(
                conn, res, program_id, list(site_ids.values())
            )
            with Timer() as t:
                # Pre and post respondents both go into the one wave.
                n = await write_responses(
                    conn,
                    q,
                    qhash,
                    program_id,
                    designs,
                    site_ids,
                    (wave_id, wave_id),
                    extras=False,
                )
            # One resident in ten leaves a comment of 34 to 306 characters, some in
            # two-byte letters: the free-text variable's width follows the longest.
            await conn.execute(
                "INSERT INTO answers (program_id, response_id, item_id, value_text)"
                " SELECT program_id, id, 'comment', repeat(CASE WHEN id % 3 = 0"
                " THEN 'Más luz en la calle Elm, por favor. ' ELSE"
                " 'Streetlights on Elm need fixing.. ' END, 1 + (id / 10 % 9)::int)"
                " FROM responses WHERE program_id = $1 AND id % 10 = 0", program_id)
            await conn.execute("ANALYZE responses, answers, panel_members")
            print(f"seeded {n:,} responses into wave {wave_id} in {t.seconds:.0f} s", flush=True)
            seeded[size] = (program_id, wave_id)
        return seeded
    finally:
        await conn.close()


def run_child(url: str, program_id: int, wave_id: int, fmt: str, trace: bool) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            url,
            str(program_id),
            str(wave_id),
            fmt,
            "1" if trace else "0",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def forget_cells(url: str, program_id: int, wave_id: int) -> None:
    """Empty the wave's export cells the way an edit of answers by hand does (it calls
    ``report_cache_invalidate``), so the next export is a first one and builds them."""
    conn = await db.connect(url)
    try:
        await conn.execute("SELECT report_cache_invalidate($1, $2)", program_id, wave_id)
    finally:
        await conn.close()


def main(sizes: list[int], formats: tuple[str, ...] = ("csv", "sav")) -> None:
    trace = os.environ.get("SURVEY_BENCH_TRACE", "1") != "0"
    with database() as (url, _server):
        asyncio.run(migrate(url))
        asyncio.run(tune(url))
        seeded = asyncio.run(seed(url, sizes))
        print(
            f"{'format':>6} {'rows':>10} {'cols':>5} {'MiB out':>8} {'first s':>8} "
            f"{'1st byte':>8} {'rows/s':>9} {'warm s':>7} {'rows/s':>9} {'COPY s':>7} "
            f"{'1st×COPY':>8} {'warm×COPY':>9} {'RSS0 MiB':>9} {'RSS MiB':>8} "
            f"{'heap MiB':>9} {'RSS×':>5} {'heap×':>6}"
        )
        for fmt in formats:
            smallest: tuple[float, float] | None = None
            for size in sizes:
                program_id, wave_id = seeded[size]
                asyncio.run(forget_cells(url, program_id, wave_id))
                cold = run_child(url, program_id, wave_id, fmt, trace=False)
                r = run_child(url, program_id, wave_id, fmt, trace=False)
                heap = run_child(url, program_id, wave_id, fmt, trace=True)["heap"] if trace else 0
                rss = max(cold["rss"], r["rss"])
                smallest = smallest or (rss, heap or 1.0)
                # The baseline of the warm child: both children measure it, the later
                # one with the cache of the first run's reads.
                base = r["baseline"]
                print(
                    f"{fmt:>6} {int(r['rows']):>10,} {int(r['columns']):>5} "
                    f"{r['bytes'] / 2**20:>8.1f} {cold['seconds']:>8.2f} "
                    f"{cold['first_byte']:>8.2f} {cold['rows'] / cold['seconds']:>9,.0f} "
                    f"{r['seconds']:>7.2f} {r['rows'] / r['seconds']:>9,.0f} {base:>7.2f} "
                    f"{cold['seconds'] / base:>8.2f} {r['seconds'] / base:>9.2f} "
                    f"{r['before']:>9.1f} {rss:>8.1f} {heap:>9.1f} "
                    f"{rss / smallest[0]:>5.2f} {heap / smallest[1]:>6.2f}",
                    flush=True,
                )
    print(
        "\nfirst s: the first export of the wave (its export cells emptied first, as an "
        "edit of answers\nby hand does), which renders every completed response "
        "into export_cells;\n1st byte: when its first piece (the header) came, i.e. the "
        "time that rendering took;\nwarm s: the export again, cells current, as every "
        "later export finds them (each response is\nrendered as it completes); rows/s of "
        "each: plan_export + export_bytes of the whole wave to\n/dev/null, as an "
        "administrator;\nCOPY s: the baseline, COPY of the same wave's answer rows (long "
        "format) to /dev/null;\nRSS0/RSS MiB: the exporting process's resident memory "
        "before the export and its peak (VmHWM,\nthe larger of the two runs);\nheap MiB: "
        "peak of what the warm export allocated (tracemalloc, third run);\nRSS×, heap×: "
        "those peaks against the smallest size's."
    )


FORMATS = ("csv", "sav", "dta")


def _size_or_format(word: str) -> int | str:
    if word.isdigit():
        return int(word)
    if word in FORMATS:
        return word
    raise argparse.ArgumentTypeError(f"neither a size nor one of {', '.join(FORMATS)}")


if __name__ == "__main__":
    # Sizes and formats in any order: `python -m tests.bench.export 100000 dta`. A word
    # that is neither is refused before anything is seeded (`--help` was taken for a
    # format, and failed after seeding 1M rows).
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("words", nargs="*", type=_size_or_format, metavar="SIZE|FORMAT")
    words = parser.parse_args().words
    sizes = [w for w in words if isinstance(w, int)] or [100_000, 1_000_000]
    formats = tuple(w for w in words if isinstance(w, str)) or ("csv", "sav")
    main(sizes, formats)
