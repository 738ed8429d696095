"""Benchmark: generate and store 100,000 personal invitation tokens.

    python -m tests.bench.invitations [N]

Ours: token generation (128 random bits each), SHA-256, and COPY into `invitations`
(``survey.services.invitations.store``). Baselines in the same run and database:
a bare COPY of N rows already hashed (the floor for storing), and row-by-row
INSERTs via executemany (what COPY replaces).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys

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


async def main(n: int) -> None:
    with database() as (url, _server):
        await migrate(url)
        conn = await db.connect(url)
        try:
            pid, wid, sid = await setup(conn)
            with Timer() as ours:
                async with conn.transaction():
                    issued = await invitations.store(conn, pid, wid, sid, "web", [(None, None)] * n)
            assert len(issued) == n
            stored = await conn.fetchval("SELECT count(*) FROM invitations")
            # Baselines write the same table, with the same keys and foreign keys.
            await conn.execute("TRUNCATE invitations CASCADE")
            rows = [
                (i, pid, wid, sid, "web", hashlib.sha256(str(i).encode()).digest(), None, None)
                for i in range(1, n + 1)
            ]
            with Timer() as bare:
                async with conn.transaction():
                    await conn.copy_records_to_table(
                        "invitations",
                        records=rows,
                        columns=(
                            "id",
                            "program_id",
                            "wave_id",
                            "site_id",
                            "channel",
                            "token_hash",
                            "contact_id",
                            "panel_member_id",
                        ),
                    )
            await conn.execute("TRUNCATE invitations CASCADE")
            sample = rows[: min(n, 10_000)]
            with Timer() as rowwise:
                async with conn.transaction():
                    await conn.executemany(
                        "INSERT INTO invitations (id, program_id, wave_id, site_id, channel,"
                        " token_hash, contact_id, panel_member_id)"
                        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                        sample,
                    )
            rowwise_full = rowwise.seconds * n / len(sample)
        finally:
            await conn.close()
    print(f"invitations stored: {stored}")
    print(
        f"ours (generate + hash + COPY): {ours.seconds:.3f} s  ({n / ours.seconds:,.0f} tokens/s)"
    )
    print(f"baseline bare COPY of hashed rows: {bare.seconds:.3f} s")
    print(f"row-by-row INSERT (extrapolated from {len(sample):,}): {rowwise_full:.3f} s")
    print(f"ratio ours / bare COPY: {ours.seconds / bare.seconds:.2f}x")
    print(f"ratio row-by-row / ours: {rowwise_full / ours.seconds:.2f}x")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
