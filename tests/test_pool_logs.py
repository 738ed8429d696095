"""asyncpg's pool, restoring its connections while the database is down, logs as
background work: no request's id (its task copied the context of an unrelated
request), and one line per outage rather than a traceback on every retry."""

from __future__ import annotations

import json
import logging

from survey import db, logs


def _record(name: str, msg: str, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, None, exc_info)


def test_pool_warnings_carry_no_request_id() -> None:
    token = logs.request_id.set("0123456789abcdef")
    try:
        pool_line = json.loads(logs.JsonFormatter().format(_record("asyncpg.pool", "retrying")))
        own_line = json.loads(logs.JsonFormatter().format(_record("survey.access", "request")))
    finally:
        logs.request_id.reset(token)
    assert "request_id" not in pool_line
    assert own_line["request_id"] == "0123456789abcdef"


async def test_the_pool_floor_retry_is_logged_once_per_outage(database_url: str) -> None:
    floor = "Failed to restore the pool connection floor; retrying"
    pool_logger = logging.getLogger("asyncpg.pool")
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep()
    pool_logger.addHandler(handler)
    try:
        for _ in range(3):
            try:
                raise TimeoutError("connect timed out")
            except TimeoutError:
                pool_logger.warning(floor, exc_info=True)
        assert len(seen) == 1
        assert seen[0].exc_info is None
        assert seen[0].__dict__["error"] == "TimeoutError: connect timed out"
        assert "Traceback" not in logs.JsonFormatter().format(seen[0])
        # A connection opens: the outage is over, and the next one is told again.
        await (await db.connect(database_url)).close()
        pool_logger.warning(floor)
        assert len(seen) == 2
    finally:
        pool_logger.removeHandler(handler)
        db._FLOOR_LOG.reported = False
