"""A slow reader of an export stalls the COPY (constant memory) but is never cut off
by the pool's command timeout, which is meant for runaway statements."""

from __future__ import annotations

import asyncio
import time

from survey import db
from survey.export.copy import copy_out


async def test_a_slow_reader_outlasts_the_command_timeout(database_url: str) -> None:
    # statement_timeout 200 ms gives the pool's connections a command timeout of 5.2 s.
    # (Not 1 ms: the pool's reset on release runs under it too, and on a busy machine
    # took longer than that and was cancelled.)
    pool = await db.create_pool(database_url, min_size=1, max_size=1, statement_timeout_ms=200)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL statement_timeout = 0")
            started = time.monotonic()
            received = 0
            # About 16 MiB, more than socket buffers hold: 62 pieces of 256 KiB, one read
            # every 0.1 s.
            async for piece in copy_out(
                conn, "SELECT repeat('x', 1000) FROM generate_series(1, 16000)"
            ):
                received += len(piece)
                await asyncio.sleep(0.1)
            took = time.monotonic() - started
    finally:
        await pool.close()
    assert received == 16000 * 1001
    assert took > 5.5  # past the command timeout, and not cancelled
