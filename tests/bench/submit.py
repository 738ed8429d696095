"""Benchmark: complete web responses per second through the real HTTP server.

    python -m tests.bench.submit [--seconds 15] [--clients 16,64] [--workers 2]
                                 [--flows walk,onepage,post] [--profile DIR]

Ours: ``survey serve --workers 2`` (uvicorn, ``serve_app()``, the worker count
compose.yaml runs in production) against a freshly migrated embedded PostgreSQL with
a launched ``community-trust`` wave and personal invitations issued through the
services. The load client (``tests.bench.webload``, aiohttp, its own process) answers
every question of the instrument (47 answers stored) per response, in one of three
flows (``FLOWS``):
- ``walk``: page by page as a browser without JavaScript does: landing, Start, each
  page GET and POST (post/redirect/get), thank-you page: 29 requests;
- ``onepage``: the one-page form: GET ``/s/<token>/all``, one POST of every answer,
  answered with the thank-you page: 2 requests;
- ``post``: the same POST alone, the pages fetched beforehand and untimed, as
  residents hold them on their phones while they answer: the write path.
Latency is reported per HTTP request, per POST and per completed response; CPU per
response of the server workers and of the PostgreSQL backends; for the one-page
flows, how many commits held the responses (they share the completing transaction
id when the group commit wrote them together).

Baseline, same run, same database, same concurrency: ``pgbench -n -c N -j 2 -T s``
running the equivalent insert transaction: one completed response row and the same
answer rows a completed response stores (copied from one the server stored), in one
transaction; then a shorter pgbench run with ``--log`` gives its own latency p50/p99
to set beside ours. Afterwards every acknowledged response is looked up in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from survey import db
from tests.bench.common import database, migrate
from tests.bench.serving import (
    PRODUCTION_WORKERS,
    SETTLE,
    Wave,
    backend_pids,
    busy_share,
    cpu_seconds,
    load,
    machine_ticks,
    ms,
    pgbench,
    seed_wave,
    steady,
    survey_serve,
)

#: Machine CPU per unit of work = share of all cores busy × cores / rate.
CORES = os.cpu_count() or 1

FLOWS = {
    "walk": "page by page (landing, Start, each page GET and POST, thank-you page)",
    "onepage": "one-page form (GET the page, POST every answer once)",
    "post": "one-page POST alone (pages fetched beforehand, untimed)",
}


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "ARRAY[" + ",".join(_literal(v) for v in value) + "]::text[]"
    if isinstance(value, float | int):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


async def pgbench_script(url: str, wave: Wave) -> tuple[str, int]:
    """The equivalent insert transaction, with the answers of one stored response."""
    conn = await db.connect(url)
    try:
        response_id = await conn.fetchval(
            "SELECT id FROM responses WHERE program_id = $1 AND status = 'complete' LIMIT 1",
            wave.program_id,
        )
        rows = await conn.fetch(
            "SELECT item_id, value_num, value_text, value_codes, missing FROM answers"
            " WHERE program_id = $1 AND response_id = $2 ORDER BY item_id",
            wave.program_id, response_id,
        )
    finally:
        await conn.close()
    values = ",\n  ".join(
        f"({wave.program_id}, :rid, {_literal(r['item_id'])}, {_literal(r['value_num'])}, "
        f"{_literal(r['value_text'])}, {_literal(r['value_codes'])}, {_literal(r['missing'])})"
        for r in rows
    )
    script = f"""BEGIN;
INSERT INTO responses (program_id, wave_id, site_id, language, channel, questionnaire_hash,
                       status, submitted_at)
VALUES ({wave.program_id}, {wave.wave_id}, {wave.site_id}, 'en', 'web',
        '{wave.questionnaire_hash}', 'complete', now())
RETURNING id AS rid \\gset
INSERT INTO answers (program_id, response_id, item_id, value_num, value_text, value_codes,
                     missing)
VALUES
  {values};
END;
"""
    return script, len(rows)


async def verify(url: str, wave: Wave, acknowledged: list[str], answers: int) -> str:
    """Every acknowledged token has a complete response with all its answers."""
    from survey import security

    conn = await db.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT r.id, r.status, (SELECT count(*) FROM answers a WHERE a.program_id ="
            " r.program_id AND a.response_id = r.id) AS n FROM invitations i"
            " JOIN responses r ON r.program_id = i.program_id AND r.invitation_id = i.id"
            " WHERE i.program_id = $1 AND i.token_hash = ANY($2::bytea[])",
            wave.program_id, [security.token_hash(t) for t in acknowledged],
        )
        complete = await conn.fetchval(
            "SELECT count(*) FROM responses WHERE program_id = $1 AND status = 'complete'"
            " AND invitation_id IS NOT NULL", wave.program_id,
        )
    finally:
        await conn.close()
    whole = sum(1 for r in rows if r["status"] == "complete" and r["n"] == answers)
    assert whole == len(acknowledged), (whole, len(acknowledged))
    return (f"{len(acknowledged)} acknowledged, {whole} complete with all {answers} answers"
            f" in the database ({complete} complete web responses in all)")


async def main(args: argparse.Namespace) -> None:
    levels = [int(c) for c in args.clients.split(",")]
    flows = args.flows.split(",")
    # Enough tokens that no client runs out, whatever the machine does.
    per_flow = max(2000, int(args.seconds * 1000))
    per_level = per_flow * len(flows)
    with database() as (url, _server):
        await migrate(url)
        wave = await seed_wave(url, invitations_count=per_level * len(levels) + 200)
        tokens = wave.tokens
        print(f"server: survey serve --workers {args.workers}; database: embedded PostgreSQL")
        acknowledged: list[str] = []
        with survey_serve(url, args.workers) as server:
            # Warm-up: templates compiled, questionnaire cached, pools filled.
            warm = load({"mode": "walk", "base": server.base, "clients": 4, "seconds": 3,
                         "tokens": tokens[:200]})
            acknowledged += warm["done"]
            script, answers = await pgbench_script(url, wave)
            print(f"one complete response stores {answers} answers; "
                  f"{len(warm['requests']) // max(1, len(warm['done']))} HTTP requests each")
            for i, clients in enumerate(levels):
                chunk = tokens[200 + i * per_level: 200 + (i + 1) * per_level]
                ticks = machine_ticks()
                tps = pgbench(url, script, clients, args.seconds)
                base_busy = busy_share(ticks, machine_ticks())
                # Its latencies from a shorter run of their own: the per-transaction
                # log it needs for them could slow the run whose rate is the baseline.
                timed: list[tuple[float, float]] = []
                pgbench(url, script, clients, max(3.0, args.seconds / 2), latencies=timed)
                waits, settled = [took for _, took in timed], steady(timed)
                print(f"{clients} clients: baseline pgbench -n -c {clients} -j 2"
                      f" -T {round(args.seconds)} (1 response + {answers} answers per"
                      f" transaction): {tps:,.0f} tps; machine CPU per transaction"
                      f" {base_busy * CORES / tps * 1000:.1f} ms ({base_busy:.0%} busy);"
                      f" its latency in a run of its own with --log: p50 {ms(waits, 50)},"
                      f" p99 {ms(waits, 99)}; steady state (after the first {SETTLE} s):"
                      f" p50 {ms(settled, 50)}, p99 {ms(settled, 99)}")
                for flow in flows:
                    take, chunk = chunk[:per_flow], chunk[per_flow:]
                    config: dict[str, Any] = {
                        "mode": "walk" if flow == "walk" else "onepage",
                        "base": server.base, "clients": clients, "seconds": args.seconds,
                        "tokens": take,
                    }
                    if flow == "post":
                        # The pages residents would hold on their phones, fetched first
                        # (untimed): only the POSTs are timed.
                        fetched = load({"mode": "prefetch", "base": server.base,
                                        "clients": 8, "seconds": 0,
                                        "tokens": take[: int(args.seconds * 1500)]})
                        config["prepared"] = fetched["prepared"]
                        config["tokens"] = list(fetched["prepared"])
                    spies = profile(server.workers(), args.profile, f"{flow}-c{clients}",
                                    args.seconds)
                    pids = server.workers()
                    batches = await batch_count(url)
                    before = cpu_seconds(pids), cpu_seconds(await backend_pids(url))
                    each = [cpu_seconds([pid]) for pid in pids]
                    ticks = machine_ticks()
                    run = load(config)
                    busy = busy_share(ticks, machine_ticks())
                    acknowledged += run["done"]
                    after = cpu_seconds(pids), cpu_seconds(await backend_pids(url))
                    cpu = after[0] - before[0], after[1] - before[1]
                    each = [cpu_seconds([pid]) - was for pid, was in zip(pids, each, strict=True)]
                    for spy in spies:
                        spy.wait()
                    report(flow, run)
                    n = max(1, len(run["done"]))
                    print(f"    CPU per response: server workers {cpu[0] / n * 1000:.1f} ms,"
                          f" PostgreSQL backends {cpu[1] / n * 1000:.1f} ms,"
                          f" load client {run['cpu'] / n * 1000:.1f} ms;"
                          f" the machine's cores were {busy:.0%} busy")
                    print("    CPU seconds of each worker: "
                          + ", ".join(f"{seconds:.1f}" for seconds in each))
                    if flow != "walk":
                        commits = await commits_since(url, batches)
                        print(f"    commits: {commits:,}"
                              f" ({len(run['done']) / max(1, commits):.1f} responses each)")
                    ours = len(run["done"]) / run["elapsed"]
                    print(f"    machine CPU per response {busy * CORES / ours * 1000:.1f} ms"
                          f" (pgbench's per transaction: {base_busy * CORES / tps * 1000:.1f} ms)")
                    print(f"    ratio ours / pgbench: {ours / tps:.3f}x")
        print(await verify(url, wave, acknowledged, answers))


def profile(pids: list[int], into: str | None, label: str, seconds: float) -> list[Any]:
    """py-spy on each worker while the load runs: collapsed stacks, one file each."""
    if not into:
        return []
    import subprocess
    from pathlib import Path

    Path(into).mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            ["py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)),
             "--rate", "200", "--format", "raw", "--nonblocking",
             "--output", f"{into}/submit-{label}-{pid}.txt"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def report(flow: str, run: dict[str, Any]) -> None:
    done, requests, units = run["done"], run["requests"], run["units"]
    print(f"  {FLOWS[flow]}: {len(done)} responses in {run['elapsed']:.1f} s ="
          f" {len(done) / run['elapsed']:.1f} responses/s"
          f" ({len(requests) / run['elapsed']:.0f} requests/s)")
    print(f"    per HTTP request: p50 {ms(requests, 50)}, p99 {ms(requests, 99)}")
    if run["posts"]:
        settled = steady(list(zip(run["post_starts"], run["posts"], strict=True)))
        print(f"    per POST of a whole response: p50 {ms(run['posts'], 50)},"
              f" p99 {ms(run['posts'], 99)}; steady state (after the first {SETTLE} s):"
              f" p50 {ms(settled, 50)}, p99 {ms(settled, 99)}")
    print(f"    per completed response: p50 {ms(units, 50)}, p99 {ms(units, 99)}")
    if run["errors"]:
        print(f"    errors: {run['errors']}")


async def batch_count(url: str) -> int:
    """The last response id so far: the responses of a run are those above it."""
    conn = await db.connect(url)
    try:
        value: int = await conn.fetchval("SELECT coalesce(max(id), 0) FROM responses")
        return value
    finally:
        await conn.close()


async def commits_since(url: str, last_id: int) -> int:
    """How many transactions completed the responses above ``last_id``: responses
    completed by one commit share its transaction id."""
    conn = await db.connect(url)
    try:
        value: int = await conn.fetchval(
            "SELECT count(DISTINCT completed_xid) FROM responses"
            " WHERE id > $1 AND status = 'complete'", last_id)
        return value
    finally:
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", default="16,64")
    parser.add_argument("--workers", type=int, default=PRODUCTION_WORKERS)
    parser.add_argument("--flows", default="walk,onepage,post",
                        help="which of: " + ", ".join(f"{k} ({v})" for k, v in FLOWS.items()))
    parser.add_argument("--profile", metavar="DIR",
                        help="record py-spy collapsed stacks of each worker into DIR")
    asyncio.run(main(parser.parse_args()))
