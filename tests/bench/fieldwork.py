"""Benchmark: the first report at 10k, 100k and 1M responses, with ``survey warm``
running through fieldwork, as ``compose.yaml`` deploys the service.

    python -m tests.bench.fieldwork [SIZES...] [--batches B]
    (default: 10000 100000 1000000, 10 batches)

``tests.bench.report`` seeds all responses at once and its first report builds the
caches from every answer (29.7 s at 1M). In the field responses come over weeks, and
``survey warm`` runs a pass every 30 s. Here each size comes in B batches:
- the first seeded with COPY as ``tests.bench.report`` seeds (the program over the 12
  CLEP sites, its waves and census-like margins), a B-th of the responses;
- each later one completes as many again through the normal path (triggers on, one
  transaction per batch), as a few days of fieldwork would.
After each batch, one warmer pass (``Warmer.run_once``, with connections of its own to
build two waves side by side, as ``survey warm`` does): the first pass builds the
caches from the first batch's answers, each later pass adds a batch (the build ahead,
``caches-missing``). Then, in a child process as in ``tests.bench.report`` (its step
"first"), the first report, unweighted then weighted, with the same baseline (one
aggregate scan of the program's answers) and the same memory figures.

Printed per size: the passes (the first, the slowest later one, all of them together:
the work the warmer did in the background), the first reports, the report's ratio to
the scan, peak RSS and heap with ratios to the 10k run's.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from survey import db
from survey.config import load_settings
from survey.resources import load_resources
from survey.services.warm import Warmer, WarmStats
from tests.bench.common import database, migrate, tune
from tests.bench.report import add, run_child, seed


async def warm_pass(url: str) -> tuple[float, WarmStats]:
    res = load_resources(load_settings({}, secret_key="bench"))
    conn = await db.connect(url)
    try:
        start = time.perf_counter()
        stats = await Warmer(conn, res, db.connector(url)).run_once()
        return time.perf_counter() - start, stats
    finally:
        await conn.close()


def main(sizes: list[int], batches: int) -> None:
    with database() as (url, _server):
        asyncio.run(migrate(url))
        asyncio.run(tune(url))
        first: dict[str, float] = {}
        print(
            f"{'responses':>10} {'batches':>7} {'add s':>7} {'pass 1 s':>8} {'max s':>6} "
            f"{'sum s':>6} {'first s':>8} {'weighted s':>10} {'scan s':>7} {'×scan':>6} "
            f"{'RSS MiB':>8} {'×10k':>5} {'heap MiB':>9} {'×10k':>5}"
        )
        for index, size in enumerate(sizes):
            seeded, _, _ = asyncio.run(seed(url, size // batches, index))
            passes = [asyncio.run(warm_pass(url))]
            added = 0.0
            for batch in range(1, batches):
                start = time.perf_counter()
                asyncio.run(add(url, seeded, 1.0, seed=1000 + batch))
                added += time.perf_counter() - start
                passes.append(asyncio.run(warm_pass(url)))
            failed = [s for _, s in passes if s.failed or s.skipped]
            if failed:
                raise SystemExit(f"a warmer pass did not build everything: {failed}")
            one = run_child(url, seeded.program_id, "first")
            first = first or one
            seconds = [s for s, _ in passes]
            print(
                f"{size:>10,} {batches:>7} {added:>7.1f} {seconds[0]:>8.2f} "
                f"{max(seconds[1:], default=0.0):>6.2f} {sum(seconds):>6.1f} "
                f"{one['build']:>8.3f} {one['build_weighted']:>10.3f} "
                f"{one['baseline']:>7.2f} {one['build'] / one['baseline']:>6.2f} "
                f"{one['rss']:>8.1f} {one['rss'] / first['rss']:>5.2f} "
                f"{one['heap']:>9.1f} {one['heap'] / first['heap']:>5.2f}",
                flush=True,
            )
    print(
        "\nadd s: the later batches completed through the normal path, together; pass 1 "
        "s: the first\nwarmer pass, which builds the caches from the first batch; max s: "
        "the slowest later pass,\nwhich adds a batch; sum s: all passes (the warmer's "
        "background work); first s, weighted s:\nthe first report after fieldwork, "
        "unweighted, then weighted; scan s: one aggregate scan of\nthe same answers (the "
        "baseline); ×scan: first s against it; RSS MiB: peak resident memory\nof the "
        "process that ran the reports; heap MiB: peak of what a weighted report "
        "allocated;\n×10k: against the 10k run's figure."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    main(args.sizes, args.batches)
