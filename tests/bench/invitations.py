"""Benchmark: generate and store 100,000 personal invitation tokens.

    python -m tests.bench.invitations [N] [--rounds 3]

Ours: token generation (128 random bits each), SHA-256, and COPY into `invitations`
(``survey.services.invitations.store``). Baselines in the same run and database:
a bare COPY of N rows already hashed (the floor for storing), and row-by-row
INSERTs via executemany (what COPY replaces).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from statistics import median

from survey import db
from survey.services import invitations
from tests.bench.common import Timer, database, migrate


async def setup(conn: db.Conn) -> tuple[int, int, int]:
    pid = await conn.fetchval(
        "INSERT INTO programs (slug, name) VALUES ('bench', 'Bench') RETURNING id"
    )
    sid = await conn.fetchval(
        "INSERT INTO sites (program_id, name) VALUES ($1, 'S') RETURNING id", pid
    )
    wid = await conn.fetchval(
        "INSERT INTO waves (program_id, name, phase, questionnaire_id) "
        "VALUES ($1, 'W', 'pre', 'community-trust') RETURNING id",
        pid,
    )
    await conn.execute(
        "INSERT INTO wave_sites (program_id, wave_id, site_id) VALUES ($1, $2, $3)", pid, wid, sid
    )
    return pid, wid, sid


COLUMNS = ("id", "program_id", "wave_id", "site_id", "channel", "token_hash", "contact_id",
           "panel_member_id")


async def _ours(conn: db.Conn, ids: tuple[int, int, int], n: int) -> float:
    pid, wid, sid = ids
    with Timer() as ours:
        async with conn.transaction():
            issued = await invitations.store(conn, pid, wid, sid, "web", [(None, None)] * n)
    assert len(issued) == n
    assert await conn.fetchval("SELECT count(*) FROM invitations") == n
    return ours.seconds


async def _bare(conn: db.Conn, rows: list[tuple[object, ...]]) -> float:
    with Timer() as bare:
        async with conn.transaction():
            await conn.copy_records_to_table("invitations", records=rows, columns=COLUMNS)
    return bare.seconds


async def _rowwise(conn: db.Conn, sample: list[tuple[object, ...]]) -> float:
    with Timer() as rowwise:
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO invitations (id, program_id, wave_id, site_id, channel,"
                " token_hash, contact_id, panel_member_id)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                sample,
            )
    return rowwise.seconds


async def main(n: int, rounds: int) -> None:
    times: dict[str, list[float]] = {"ours": [], "bare": [], "rowwise": []}
    with database() as (url, _server):
        await migrate(url)
        conn = await db.connect(url)
        try:
            ids = await setup(conn)
            pid, wid, sid = ids
            # Baselines write the same table, with the same keys and foreign keys.
            rows: list[tuple[object, ...]] = [
                (i, pid, wid, sid, "web", hashlib.sha256(str(i).encode()).digest(), None, None)
                for i in range(1, n + 1)
            ]
            sample = rows[: min(n, 10_000)]
            # Rounds, each method once per round in turn, each into an emptied table
            # after a checkpoint: one run alone swung by 1.3-1.9x with whatever the
            # server was still writing out from the step before.
            for _ in range(rounds):
                for name, step in (("ours", lambda: _ours(conn, ids, n)),
                                   ("bare", lambda: _bare(conn, rows)),
                                   ("rowwise", lambda: _rowwise(conn, sample))):
                    await conn.execute("TRUNCATE invitations CASCADE")
                    await conn.execute("CHECKPOINT")
                    times[name].append(await step())
        finally:
            await conn.close()
    ours, bare = median(times["ours"]), median(times["bare"])
    rowwise_full = median(times["rowwise"]) * n / len(sample)
    print(f"invitations stored: {n:,} per round, {rounds} rounds (medians below)")
    print(f"ours (generate + hash + COPY): {ours:.3f} s  ({n / ours:,.0f} tokens/s);"
          f" rounds {_list(times['ours'])}")
    print(f"baseline bare COPY of hashed rows: {bare:.3f} s; rounds {_list(times['bare'])}")
    print(f"row-by-row INSERT (extrapolated from {len(sample):,}): {rowwise_full:.3f} s")
    print(f"ratio ours / bare COPY: {ours / bare:.2f}x")
    print(f"ratio row-by-row / ours: {rowwise_full / ours:.2f}x")


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.rounds))
