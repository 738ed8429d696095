"""``COPY (query) TO STDOUT`` as an async iterator of byte pieces.

The driver pushes COPY data into a callback; a web response or a file writer pulls.
A queue of a few pieces joins the two, so a slow reader stalls the COPY (the driver
stops reading the socket while the callback waits) instead of letting data pile up:
memory stays at a few pieces whatever the size of the result.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from survey.db import Conn

PIECE = 256 * 1024
"""Bytes of a piece: the driver's deliveries (one socket read each, often a few KiB)
are gathered, and cut, to this size."""

_DEPTH = 4

#: Seconds a whole COPY may take. Not the pool's command timeout (a few seconds past
#: the statement timeout): with a slow reader the COPY waits on the reader, and a
#: phone on a weak connection downloading a large export is not a runaway query.
COPY_TIMEOUT = 6 * 3600.0


async def copy_out(
    conn: Conn, query: str, *args: object, fmt: str = "text"
) -> AsyncGenerator[bytes, None]:
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(_DEPTH)
    pending = bytearray()

    async def sink(data: bytes) -> None:
        pending.extend(data)
        while len(pending) >= PIECE:
            await queue.put(bytes(pending[:PIECE]))
            del pending[:PIECE]

    async def run() -> None:
        try:
            await conn.copy_from_query(
                query, *args, output=sink, format=fmt, timeout=COPY_TIMEOUT
            )
            if pending:
                await queue.put(bytes(pending))
        finally:
            await queue.put(None)

    task = asyncio.create_task(run())
    try:
        while (piece := await queue.get()) is not None:
            yield piece
        await task  # raises what the COPY raised
    finally:
        if not task.done():
            # The reader went away (a client hung up): stop the COPY, free the connection.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
