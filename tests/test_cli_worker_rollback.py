"""A long-running worker (``survey sms worker``, ``survey warm``) outlives a pass the
database rolled back (a deadlock it broke, a serialization failure): logged, and the
next pass runs on the same connection. Before, only a lost connection was survived and
any other error ended the command."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import pytest

from survey.cli.common import once_or_until_stopped


class _Passes:
    """A worker whose first pass the server rolls back; the second stops the loop."""

    def __init__(self, error: Exception) -> None:
        self.conn: Any = None
        self.error = error
        self.runs = 0
        self.total = 0

    async def run_once(self) -> int:
        raise AssertionError("not --once")

    async def run(self, stop: asyncio.Event, poll: float) -> int:
        self.runs += 1
        if self.runs == 1:
            raise self.error
        stop.set()
        self.total += 1
        return self.total


def _no_connect() -> Any:
    raise AssertionError("the connection was not lost: no new one")


@pytest.mark.parametrize("error", [asyncpg.DeadlockDetectedError("deadlock detected"),
                                   asyncpg.SerializationError("could not serialize")])
async def test_a_rolled_back_pass_does_not_end_the_worker(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    worker = _Passes(error)
    with caplog.at_level(logging.WARNING):
        total = await once_or_until_stopped(
            worker, once=False, poll=0.01, doing="testing", connect=_no_connect)
    assert (worker.runs, total) == (2, 1)
    assert any("rolled back" in r.getMessage() for r in caplog.records)


async def test_any_other_error_still_ends_it() -> None:
    worker = _Passes(ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        await once_or_until_stopped(
            worker, once=False, poll=0.01, doing="testing", connect=_no_connect)
