"""A CSV download the client drops halfway must leave the connection usable, with
sorting back on (the export turns it off for its streamed plan). In a transaction,
the ROLLBACK went out while the COPY's cancel was still on its way: InterfaceError or
InternalClientError ("another operation is in progress"), a connection lost."""

from __future__ import annotations

from typing import Any

from survey import db
from survey.export import csvfile


async def test_a_reader_who_leaves_mid_copy_leaves_the_connection_clean(
    database_url: str, monkeypatch: Any
) -> None:
    async def prepare(conn: Any, plan: Any) -> None:
        return None

    class Queries:
        # 16 MB: far more than the copy queue holds, so the COPY is still running.
        export_csv_lines = "SELECT repeat('x', 1000) FROM generate_series(1, 16000)"
        export_sort_off = csvfile.Q.export_sort_off
        export_sort_reset = csvfile.Q.export_sort_reset

    monkeypatch.setattr(csvfile, "prepare", prepare)
    monkeypatch.setattr(csvfile, "header", lambda plan: b"h\r\n")
    monkeypatch.setattr(csvfile, "line_args", lambda plan, cells: [])
    monkeypatch.setattr(csvfile, "Q", Queries)
    pool = await db.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            lines = csvfile.csv_lines(conn, object())  # type: ignore[arg-type]
            assert await lines.__anext__() == b"h\r\n"
            assert len(await lines.__anext__()) > 0
            await lines.aclose()  # the client hung up
        # Back in the pool and out again: usable, nothing left open, sorting back on.
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT 1") == 1
            assert await conn.fetchval("SHOW enable_sort") == "on"
    finally:
        await pool.close()
