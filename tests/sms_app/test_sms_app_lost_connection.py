"""A real ``survey sms worker`` process whose database session is terminated
(``pg_terminate_backend``, as a PostgreSQL restart or a failover would): it logs the
lost connection, reconnects after its poll interval and sends what is queued next,
once each. ``--once`` still fails as a command."""

from __future__ import annotations

import datetime as dt
import json
import signal
from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.services import sms_campaigns
from survey.sms.fakeprovider import FakeTwilio
from survey.sms_schemas import SmsSendIn

from .conftest import OUR_NUMBER, make_world
from .test_sms_app_crash import _daytime_zone, _wait, _worker

SESSIONS = ("SELECT array_agg(pid ORDER BY pid) FROM pg_stat_activity"
            " WHERE application_name = 'survey-sms-worker'")


async def test_worker_outlives_a_terminated_session_and_sends_what_is_queued_next(
    conn: Conn, resources: Any, fake: FakeTwilio, database_url: str
) -> None:
    phones = ["+12065551001", "+12065551002", "+12065551003"]
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         sites=[("Site", _daytime_zone())],
                         contacts=[(p, "Site", "en") for p in phones])
    worker = _worker(database_url, fake)
    try:
        async def in_its_loop() -> bool:
            # Past naming its session: a lost connection while it starts (the schema
            # check) still ends it, as a database it cannot reach at start does.
            return bool(await conn.fetchval(
                SESSIONS + " AND query NOT LIKE '%set_config%'"))
        await _wait(in_its_loop, 60, "the worker's loop")  # a cold start under load
        first = await conn.fetchval(SESSIONS)
        assert len(first) == 1
        await conn.fetchval("SELECT pg_terminate_backend($1)", first[0])

        async def reconnected() -> bool:
            now = await conn.fetchval(SESSIONS)
            return bool(now) and now != first
        await _wait(reconnected, 10, "the worker to reconnect")
        assert worker.poll() is None, "the worker exited on a lost connection"

        out = await sms_campaigns.send(conn, SYSTEM, resources, w.program_id, w.wave_id,
                                       SmsSendIn(action="invite"), our_number=OUR_NUMBER,
                                       now=dt.datetime.now(dt.UTC))
        assert out.queued == len(phones)

        async def all_sent() -> bool:
            return len(fake.messages) >= len(phones)
        await _wait(all_sent, 10, "the queued texts")
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=10)
    assert worker.returncode == 0, err.decode()
    assert sorted(m.to for m in fake.messages) == phones  # each once
    states = await conn.fetch("SELECT state, maybe_duplicate FROM sms_messages")
    assert [(r["state"], r["maybe_duplicate"]) for r in states] == [("sent", False)] * 3
    # One JSON line says what happened (SURVEY_LOG_LEVEL=WARNING hides the rest).
    logged = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    lost = [r for r in logged if "database connection lost" in r["msg"]]
    assert len(lost) == 1, logged
    assert lost[0]["level"] == "WARNING" and lost[0]["logger"] == "survey.cli"
    # Which error says so depends on when the worker next touches its connection: a
    # query in flight, the server's notice, or asyncpg finding it closed (under load).
    assert lost[0]["error"].split(":")[0] in {
        "ConnectionDoesNotExistError", "AdminShutdownError", "InterfaceError"}
    assert "sent 3" in err.decode()  # the totals at exit count the texts of every run


async def test_once_still_fails_when_the_database_cannot_be_reached(
    fake: FakeTwilio, database_url: str
) -> None:
    dead = database_url.rsplit("@", 1)[0] + "@127.0.0.1:9/nowhere"
    once = _worker(dead, fake, "--once")
    _, err = once.communicate(timeout=30)
    assert once.returncode == 1
    assert err.decode().strip().splitlines()[-1].startswith("survey: error: cannot connect")
