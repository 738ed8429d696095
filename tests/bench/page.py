"""Benchmark: the localized survey page per second, against a bare endpoint.

    python -m tests.bench.page [--seconds 15] [--clients 16] [--workers 2]

Ours: GET of a resident's first question page (``/s/<token>/q/neighborhood`` of a
started ``community-trust`` response) with ``Accept-Language: es``: the link looked
up, the answers read, the page rendered in Spanish from the cached translation.
Baseline, same server processes, same run: ``GET /bench/bare``, a Litestar handler
returning "ok" behind the same middleware (``tests.bench.bareapp``). Both under
uvicorn with the options ``survey serve`` uses and its production worker count.
"""

from __future__ import annotations

import argparse
import asyncio
import re

import httpx

from tests.bench.common import database, migrate
from tests.bench.serving import (
    PRODUCTION_WORKERS,
    cpu_seconds,
    load,
    ms,
    seed_wave,
    uvicorn_serve,
)

SECTION = "neighborhood"


def start(base: str, tokens: list[str]) -> list[str]:
    """Press Start on each token's landing page; the paths of their first pages."""
    paths = []
    with httpx.Client(base_url=base) as client:
        for token in tokens:
            landing = client.get(f"/s/{token}")
            csrf = re.search(r'name="csrf" value="([^"]+)"', landing.text)
            assert csrf is not None, landing.text[:300]
            started = client.post(f"/s/{token}/start", data={"csrf": csrf.group(1)})
            assert started.status_code == 303, started.text[:300]
            assert started.headers["location"].endswith(f"/q/{SECTION}")
            paths.append(started.headers["location"])
    return paths


async def main(args: argparse.Namespace) -> None:
    with database() as (url, _server):
        await migrate(url)
        wave = await seed_wave(url, invitations_count=args.clients)
        with uvicorn_serve(url, args.workers, "tests.bench.bareapp:bench_app") as server:
            paths = start(server.base, wave.tokens)
            spanish = {"Accept-Language": "es"}
            page = httpx.get(server.base + paths[0], headers=spanish)
            assert page.status_code == 200 and 'lang="es"' in page.text, page.text[:300]
            print(f"server: uvicorn, {args.workers} workers; page {len(page.content):,} bytes")
            config = {"mode": "get", "base": server.base, "clients": args.clients,
                      "seconds": 3, "headers": spanish}
            load({**config, "paths": paths})  # warm-up
            runs = []
            for targets in (paths, ["/bench/bare"]):
                before = cpu_seconds(server.workers())
                run = load({**config, "paths": targets, "seconds": args.seconds})
                run["cpu"] = cpu_seconds(server.workers()) - before
                runs.append(run)
            ours, bare = runs
    rates = []
    for name, run in (("survey page (es)", ours), ("bare endpoint", bare)):
        rate = len(run["requests"]) / run["elapsed"]
        rates.append(rate)
        print(f"{name}: {rate:,.0f} requests/s at {args.clients} clients;"
              f" p50 {ms(run['requests'], 50)}, p99 {ms(run['requests'], 99)};"
              f" server CPU {run['cpu'] / len(run['requests']) * 1000:.2f} ms/request"
              + (f"; errors {run['errors']}" if run["errors"] else ""))
    print(f"ratio survey page / bare endpoint: {rates[0] / rates[1]:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=PRODUCTION_WORKERS)
    asyncio.run(main(parser.parse_args()))
