"""Benchmark: complete web responses per second through the real HTTP server.

    python -m tests.bench.submit [--seconds 15] [--clients 16,64] [--workers 2]

Ours: ``survey serve --workers 2`` (uvicorn, ``serve_app()``, the worker count
compose.yaml runs in production) against a freshly migrated embedded PostgreSQL with
a launched ``community-trust`` wave and personal invitations issued through the
services. The load client (``tests.bench.webload``, aiohttp, its own process) walks
the whole survey per response: landing, Start, each page GET and POST, thank-you
page. Latency is reported per HTTP request and per completed response.

Baseline, same run, same database, same concurrency: ``pgbench -n -c N -j 2 -T s``
running the equivalent insert transaction: one completed response row and the same
answer rows a completed response stores (copied from one the server stored), in one
transaction. Afterwards every acknowledged response is looked up in the database.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from survey import db
from tests.bench.common import database, migrate
from tests.bench.serving import (
    PRODUCTION_WORKERS,
    Wave,
    backend_pids,
    cpu_seconds,
    load,
    ms,
    pgbench,
    seed_wave,
    survey_serve,
)


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
    # Enough tokens that no client runs out, whatever the machine does.
    per_level = max(2000, int(args.seconds * 400))
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
                spies = profile(server.workers(), args.profile, clients, args.seconds)
                pids = server.workers()
                before = cpu_seconds(pids), cpu_seconds(await backend_pids(url))
                run = load({"mode": "walk", "base": server.base, "clients": clients,
                            "seconds": args.seconds, "tokens": chunk})
                acknowledged += run["done"]
                after = cpu_seconds(pids), cpu_seconds(await backend_pids(url))
                cpu = after[0] - before[0], after[1] - before[1]
                for spy in spies:
                    spy.wait()
                report(clients, run)
                n = max(1, len(run["done"]))
                print(f"  CPU per response: server workers {cpu[0] / n * 1000:.0f} ms,"
                      f" PostgreSQL backends {cpu[1] / n * 1000:.0f} ms")
                tps = pgbench(url, script, clients, args.seconds)
                ours = len(run["done"]) / run["elapsed"]
                print(f"  baseline pgbench -n -c {clients} -j 2 -T {round(args.seconds)}"
                      f" (1 response + {answers} answers per transaction): {tps:,.0f} tps")
                print(f"  ratio ours / pgbench: {ours / tps:.3f}x")
        print(await verify(url, wave, acknowledged, answers))


def profile(pids: list[int], into: str | None, clients: int, seconds: float) -> list[Any]:
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
             "--output", f"{into}/submit-c{clients}-{pid}.txt"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def report(clients: int, run: dict[str, Any]) -> None:
    done, requests, units = run["done"], run["requests"], run["units"]
    print(f"{clients} clients: {len(done)} responses in {run['elapsed']:.1f} s ="
          f" {len(done) / run['elapsed']:.1f} responses/s"
          f" ({len(requests) / run['elapsed']:.0f} requests/s)")
    print(f"  per HTTP request: p50 {ms(requests, 50)}, p99 {ms(requests, 99)}")
    print(f"  per completed response: p50 {ms(units, 50)}, p99 {ms(units, 99)}")
    if run["errors"]:
        print(f"  errors: {run['errors']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", default="16,64")
    parser.add_argument("--workers", type=int, default=PRODUCTION_WORKERS)
    parser.add_argument("--profile", metavar="DIR",
                        help="record py-spy collapsed stacks of each worker into DIR")
    asyncio.run(main(parser.parse_args()))
