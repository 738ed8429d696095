"""Group commit for whole responses sent by personal links.

A fresh one-page response is one INSERT of a response and its forty-odd answers.
Written one transaction each, PostgreSQL spends more on statements and commits than
on the rows. Here responses that arrive while a write is under way wait for the
next one and share it: one statement (``Q.response_submit_batch``) and one commit
for the lot. Each resident is answered only after the commit that holds their own
response, as with a transaction of their own.

A batch is all or nothing in PostgreSQL, but residents are not: if a batch fails
for a reason other than the database being away, each of its responses is written
again on its own, so one bad response cannot take others down with it.

``Batcher`` is the mechanism, also used to look up many links in one query.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import msgspec

from survey import db
from survey.db import Conn, Pool
from survey.errors import Unavailable
from survey.questionnaire import Answer
from survey.sql import Q

T = TypeVar("T")
R = TypeVar("R")

#: Joins a multiple choice's codes in one array cell (see the statement).
CODE_SEPARATOR = "\x1f"


class Fresh(msgspec.Struct, frozen=True, kw_only=True):
    """A checked, complete response for an invitation that has none yet."""

    program_id: int
    wave_id: int
    site_id: int
    invitation_id: int
    panel_member_id: int | None
    language: str
    questionnaire_hash: str
    answers: Mapping[str, Answer]


def _arguments(batch: Sequence[Fresh]) -> list[str]:
    return [db.array_literal(column) for column in _columns(batch)]


def _columns(batch: Sequence[Fresh]) -> list[list[object]]:
    # Column by column, each a comprehension: the batch's few hundred answers are
    # walked once per column in C rather than once in Python with six appends each.
    pairs = [(n, item_id, answer) for n, fresh in enumerate(batch)
             for item_id, answer in fresh.answers.items()]
    return [
        list(range(len(batch))),
        [f.program_id for f in batch],
        [f.wave_id for f in batch],
        [f.site_id for f in batch],
        [f.invitation_id for f in batch],
        [f.panel_member_id for f in batch],
        [f.language for f in batch],
        [f.questionnaire_hash for f in batch],
        [n for n, _, _ in pairs],
        [item_id for _, item_id, _ in pairs],
        [a.value_num for _, _, a in pairs],
        [a.value_text for _, _, a in pairs],
        [None if a.value_codes is None else CODE_SEPARATOR.join(a.value_codes)
         for _, _, a in pairs],
        [a.missing for _, _, a in pairs],
    ]


async def store_batch(conn: Conn, batch: Sequence[Fresh]) -> list[int | None]:
    """Write the batch, one statement per program: each response's new id, or None
    where its invitation already had a response. Outside a transaction each statement
    commits on its own; inside one, with it.

    One program per statement keeps every statement within one program's rows, which
    is what Citus needs to run it on one worker (tables are distributed by program).
    """
    if any(CODE_SEPARATOR in code for f in batch for a in f.answers.values()
           for code in a.value_codes or ()):
        raise ValueError("an option code holds the separator")
    ids: list[int | None] = [None] * len(batch)
    for places in by_program(f.program_id for f in batch):
        rows = await conn.fetch(Q.response_submit_batch, *_arguments([batch[n] for n in places]))
        for place, row in zip(places, rows, strict=True):
            ids[place] = row["id"]
    return ids


def by_program(programs: Iterable[int]) -> list[list[int]]:
    """Places in a batch, grouped by program in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for place, program in enumerate(programs):
        groups.setdefault(program, []).append(place)
    return list(groups.values())


class Batcher(Generic[T, R]):
    """Calls of ``run(conn, items)`` shared by whoever waits: at most ``writers`` at a
    time, each on a connection it keeps while there is work (so a busy batcher pays
    for no pool round trip, reset query or BEGIN per caller), and each caller is
    answered with its own result once its batch is done.

    No task runs while nothing waits: the first caller to arrive starts a writer,
    which keeps taking what has queued up until the queue is empty.
    """

    def __init__(
        self,
        run: Callable[[Conn, list[T]], Awaitable[list[R]]],
        *,
        writers: int = 2,
        max_batch: int = 200,
        linger: float = 0.05,
    ) -> None:
        self.run = run
        self.linger = linger
        self.writers = writers
        self.max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._running = 0
        self._arrived = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        """Batches done so far (for benchmarks and tests)."""

    async def submit(self, pool: Pool, item: T) -> R:
        """``item``'s result once its batch is done (for a write: committed).
        Raises what doing it raised: ``Unavailable`` when the database is away."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._arrived.set()
        if self._running < self.writers:
            self._running += 1
            task = asyncio.create_task(self._drain(pool))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        batch = self._queue[: self.max_batch]
        del self._queue[: self.max_batch]
        return batch

    async def _drain(self, pool: Pool) -> None:
        try:
            while self._queue:
                batch = self._take()
                try:
                    async with pool.acquire() as conn:
                        while True:
                            await self._do(conn, batch)
                            if not await self._more():
                                break
                            batch = self._take()
                except asyncio.CancelledError:
                    # The server is stopping mid-write: whether it committed is
                    # unknown, so no one is told "received".
                    _fail(batch, Unavailable())
                    raise
                except Exception as exc:
                    # No connection, or it broke: the batch in hand fails, the pool
                    # replaces the connection, and the next batch tries afresh.
                    _fail(batch, db.translate_error(exc) or exc)
        finally:
            self._running -= 1

    async def _more(self) -> bool:
        """Whether work is waiting, lingering a moment for it: under a steady load the
        connection is kept from one batch to the next instead of going back to the
        pool (and through its reset query) between them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.linger
        while not self._queue:
            left = deadline - loop.time()
            if left <= 0:
                return False
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        return True

    async def _do(self, conn: Conn, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            # No BEGIN: ``run`` outside a transaction commits each statement as it ends.
            results = await self.run(conn, [item for item, _ in batch])
        except Exception as exc:
            mapped = db.translate_error(exc)
            gone = isinstance(mapped, Unavailable) and not db.transient(exc)
            if gone or (mapped is None and len(batch) == 1):
                raise  # the connection is gone, or a bug: nothing to retry here
            if len(batch) == 1:
                _fail(batch, mapped or exc)
                return
            for one in batch:  # find the bad one; the others are kept
                await self._do(conn, [one])
        else:
            self.batches += 1
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its request may have been cancelled
                    future.set_result(result)


class GroupCommit(Batcher[Fresh, "int | None"]):
    """Fresh one-page responses, written many to a commit (``store_batch``).

    The batch is one statement run on its own, so it is its own transaction: atomic,
    and committed when it returns, without a BEGIN and a COMMIT round trip.
    """

    def __init__(self, *, writers: int = 2, max_batch: int = 200) -> None:
        super().__init__(store_batch, writers=writers, max_batch=max_batch)


def _fail(batch: Sequence[tuple[object, asyncio.Future[Any]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
