"""Reports on large waves that have no summaries yet: prepared in the background.

A report reads its two waves' caches (``survey.report.cache``). A wave without one
builds it from every answer first: about 25 s per half a million responses on two
cores, 52 s for a report on two waves of half a million each in the report benchmark.
A request that waited for that would hold the reader, a connection and a worker for a
minute, past the read timeout of many proxies (nginx: 60 s). Over
``SURVEY_REPORT_PREPARE_OVER`` complete responses, the report starts the build in the
background and answers ``ReportPreparing`` at once (503 with Retry-After); asked again
once the build is done, it reads the caches, well under a second at a million.

The server's warmer builds the same caches ahead of time while fieldwork goes on, so
most reports never come here. This covers what it has not built: a cache that a change
made stale, a weighting or scoring nobody asked for before, responses loaded in bulk,
or a deployment with no warmer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from survey.db import Connect, translate_error

__all__ = ["Builds", "Key", "Prepare"]

log = logging.getLogger(__name__)

Key = tuple[int, tuple[int, ...], str]
"""A build: the program, its waves and the caches' signature (scoring and weighting)."""


@dataclass
class Builds:
    """The builds a server's requests started and left running, one per key.

    A build that failed with an error of ours (not the database away, nor another
    process building the same cache) is remembered, and the next request for it builds
    in the request instead, so the reader is told what is wrong rather than "being
    prepared" for ever."""

    _running: dict[Key, asyncio.Task[None]] = field(default_factory=dict)
    _failed: set[Key] = field(default_factory=set)

    def running(self, key: Key) -> bool:
        return key in self._running

    def start(self, key: Key, job: Callable[[], Awaitable[None]]) -> bool:
        """Run ``job`` in the background unless a build of ``key`` runs already."""
        if key in self._running:
            return False
        self._running[key] = asyncio.create_task(self._run(key, job))
        return True

    async def _run(self, key: Key, job: Callable[[], Awaitable[None]]) -> None:
        try:
            await job()
        except Exception as exc:
            if translate_error(exc) is None:
                log.exception("report prepared in the background failed: %s", key[:2])
                self._failed.add(key)
            else:
                log.info("report prepared in the background stopped: %s: %s", key[:2],
                         type(exc).__name__)
        else:
            log.info("report prepared in the background: program %s, waves %s", *key[:2])
        finally:
            self._running.pop(key, None)

    def failed(self, key: Key) -> bool:
        """Whether the last build of ``key`` failed; forgotten once asked."""
        if key in self._failed:
            self._failed.discard(key)
            return True
        return False

    async def close(self) -> None:
        """Cancel the builds still running (the server stopping): each rolls back, and
        the next report, or the warmer, builds again."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass(frozen=True)
class Prepare:
    """What a report needs to prepare itself in the background: the threshold
    (``SURVEY_REPORT_PREPARE_OVER``), the server's builds, and where the build gets
    its connections (the pool, not the request's own)."""

    over: int
    builds: Builds
    connect: Connect
