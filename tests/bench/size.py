"""Benchmark: database size per response, for the capacity plan.

    python -m tests.bench.size [SIZES...]     (default: 20000 100000)

For each size a fresh program over the 12 CLEP sites is seeded with COPY
(``survey.report.seeding``, as ``tests.bench.report`` does) with the full
``community-trust`` instrument: every item a respondent is shown gets an answer row.
Only complete responses are written (no partials, no invitations), so the figures are
per stored response.

Printed per size, after VACUUM ANALYZE:
- the on-disk bytes of ``responses`` and ``answers``: heap, TOAST and every index
  (``pg_total_relation_size``), and the indexes alone;
- bytes per response and the projection to 1M responses (sizes are linear in the
  number of responses: compare the per-response figure across sizes);
- the baseline: the same rows as text, as COPY or a CSV export would write them
  (``octet_length(row::text)``), and the ratio of disk to that payload.

Sizes differ from production rows in one way: free-text answers (``value_text``) are
absent, as in the synthetic data; a comment of 200 characters adds about 200 bytes to
its response.
"""

from __future__ import annotations

import asyncio
import sys

from survey import db
from survey.config import load_settings
from survey.report.seeding import seed_program
from survey.report.synthetic import clep_design
from survey.resources import load_resources
from tests.bench.common import Timer, database, migrate, tune

DEMO_RESPONSES = sum(d.n_pre + d.n_post for d in clep_design())
TABLES = ("responses", "answers")

SIZES = """
SELECT sum(pg_total_relation_size(t))::bigint AS total,
       sum(pg_indexes_size(t))::bigint AS indexes,
       sum(pg_relation_size(t))::bigint AS heap
FROM unnest($1::regclass[]) AS t
"""
PAYLOAD = """
SELECT (SELECT sum(octet_length(r::text)) FROM responses r)::bigint
     + (SELECT sum(octet_length(a::text)) FROM answers a)::bigint
"""


async def measure(url: str, size: int, index: int) -> dict[str, float]:
    res = load_resources(load_settings({}, secret_key="bench"))
    conn = await db.connect(url)
    try:
        await conn.execute("TRUNCATE responses, answers, panel_members, invitations CASCADE")
        # Seeding speed is not what is measured: skip the per-row foreign-key triggers.
        await conn.execute("SET session_replication_role = replica")
        with Timer() as t:
            seeded = await seed_program(
                conn,
                res,
                clep_design(scale=size / DEMO_RESPONSES),
                slug=f"size-{index}",
                name=f"Size {size:,}",
                extras=False,
            )
        await conn.execute("RESET session_replication_role")
        # A steady table: dead tuples gone, visibility map and statistics current.
        await conn.execute("VACUUM ANALYZE responses")
        await conn.execute("VACUUM ANALYZE answers")
        sizes = await conn.fetchrow(SIZES, list(TABLES))
        assert sizes is not None
        answers = await conn.fetchval("SELECT count(*) FROM answers")
        payload = await conn.fetchval(PAYLOAD)
        n = seeded.responses
        return {
            "responses": n,
            "answers": answers,
            "seed": t.seconds,
            "total": sizes["total"] / n,
            "indexes": sizes["indexes"] / n,
            "heap": sizes["heap"] / n,
            "payload": payload / n,
        }
    finally:
        await conn.close()


def main(sizes: list[int]) -> None:
    with database() as (url, _server):
        asyncio.run(migrate(url))
        asyncio.run(tune(url))
        print(
            f"{'responses':>10} {'answers':>11} {'ans/resp':>8} {'seed s':>7} "
            f"{'B/resp':>7} {'heap B':>7} {'index B':>7} {'GiB per 1M':>10} "
            f"{'text B':>7} {'×text':>6}"
        )
        for index, size in enumerate(sizes):
            m = asyncio.run(measure(url, size, index))
            print(
                f"{int(m['responses']):>10,} {int(m['answers']):>11,} "
                f"{m['answers'] / m['responses']:>8.1f} {m['seed']:>7.1f} "
                f"{m['total']:>7.0f} {m['heap']:>7.0f} {m['indexes']:>7.0f} "
                f"{m['total'] * 1e6 / 2**30:>10.2f} {m['payload']:>7.0f} "
                f"{m['total'] / m['payload']:>6.2f}",
                flush=True,
            )
    print(
        "\nB/resp: bytes on disk per response for responses + answers (heap, TOAST and "
        "indexes);\nheap B / index B: of which table heap and indexes;\nGiB per 1M: "
        "B/resp × 1,000,000;\ntext B: the same rows as text (COPY/CSV), the baseline;\n"
        "×text: disk bytes over text bytes."
    )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 100_000])
